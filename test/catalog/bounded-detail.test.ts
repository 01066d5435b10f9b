import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { boundDetail, invalidInputMessage, MAX_DETAIL_BYTES, MAX_DETAIL_ENTRIES, MAX_LOC_PART_CHARS, MAX_MSG_CHARS, truncate } from '../../src/catalog/bounded-detail.ts';
import type { ErrorDetail } from '../../src/errors.ts';

const entry = (field: string, msg = 'unknown field'): ErrorDetail => ({ loc: ['body', field], msg, type: 'extra_forbidden' });

describe('boundDetail: a validation answer of bounded size', () => {
  test('short lists pass through unchanged', () => {
    const detail = [entry('a'), entry('b')];
    assert.deepEqual(boundDetail(detail), detail);
    assert.equal(invalidInputMessage('m', detail), 'Invalid input for m: a, b.');
  });

  test('past MAX_DETAIL_ENTRIES the rest is counted in one last entry and in the message', () => {
    const detail = Array.from({ length: 1_000_000 }, (_, i) => entry(`k${i}`));
    const bounded = boundDetail(detail);
    assert.equal(bounded.length, MAX_DETAIL_ENTRIES + 1);
    assert.deepEqual(bounded.at(-1), { loc: ['body'], msg: 'and 999,950 more errors, not listed', type: 'too_many_errors' });
    assert.match(invalidInputMessage('m', bounded), /^Invalid input for m: k0, k1, .*, k49, and 999,950 more errors, not listed\.$/);
    assert.equal(boundDetail([...detail.slice(0, MAX_DETAIL_ENTRIES + 1)]).at(-1)!.msg, 'and 1 more error, not listed');
  });

  test('long loc parts and messages are cut, saying by how much', () => {
    const [bounded] = boundDetail([entry('k'.repeat(10_000), 'm'.repeat(MAX_MSG_CHARS + 5))]);
    assert.equal(bounded!.loc[1], `${'k'.repeat(MAX_LOC_PART_CHARS)}… (9,900 more characters)`);
    assert.equal(bounded!.msg, `${'m'.repeat(MAX_MSG_CHARS)}… (5 more characters)`);
  });

  test('a cut never splits a surrogate pair', () => {
    assert.equal(truncate(`ab😀cd`, 3), 'ab… (4 more characters)');
    assert.equal(truncate('abc', 3), 'abc');
  });

  test('entries stop at MAX_DETAIL_BYTES even below the entry count', () => {
    const detail = Array.from({ length: MAX_DETAIL_ENTRIES }, (_, i) => entry(`${i}`, '字'.repeat(MAX_MSG_CHARS)));
    const bounded = boundDetail(detail);
    assert.ok(bounded.length < MAX_DETAIL_ENTRIES);
    assert.equal(bounded.at(-1)!.type, 'too_many_errors');
    assert.ok(Buffer.byteLength(JSON.stringify(bounded)) <= MAX_DETAIL_BYTES + 200);
  });
});
