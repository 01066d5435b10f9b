import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { JSON_CEILINGS, MAX_ESCAPED_QUOTES, MAX_JSON_DEPTH, MAX_JSON_MEMBERS, MAX_KEYS_PER_OBJECT, scanJson } from '../../src/api/json-scan.ts';

const keys = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `"k${from + i}":0`).join(',');

describe('scanJson: ceilings on a body, counted before it is parsed', () => {
  test('ordinary bodies pass, including strings full of structural characters and escapes', () => {
    for (const text of ['{}', '[]', '{"prompt":"a {b} [c] d:e, \\"f\\" \\\\"}', '{"a":[1,2,{"b":[]}],"c":{"d":"\\\\\\""}}', ' { "x" : [ ] } ']) {
      assert.deepEqual(scanJson(text), { ok: true }, text);
      JSON.parse(text); // the cases are real JSON
    }
  });

  test('depth: 32 nested containers pass, 33 are refused', () => {
    const nest = (n: number) => '['.repeat(n) + ']'.repeat(n);
    assert.equal(MAX_JSON_DEPTH, 32);
    assert.deepEqual(scanJson(nest(32)), { ok: true });
    assert.deepEqual(scanJson(`{"a":${nest(31)}}`), { ok: true });
    assert.deepEqual(scanJson(`{"a":${nest(32)}}`), { ok: false, ceiling: 'maxDepth', limit: 32 });
  });

  test('keys per object: exactly the ceiling passes, one more is refused, wherever the object is', () => {
    assert.deepEqual(scanJson(`{${keys(MAX_KEYS_PER_OBJECT)}}`), { ok: true });
    assert.deepEqual(scanJson(`{${keys(MAX_KEYS_PER_OBJECT + 1)}}`), { ok: false, ceiling: 'maxKeysPerObject', limit: MAX_KEYS_PER_OBJECT });
    assert.deepEqual(scanJson(`{"style":{"a":[{${keys(MAX_KEYS_PER_OBJECT + 1)}}]}}`), { ok: false, ceiling: 'maxKeysPerObject', limit: MAX_KEYS_PER_OBJECT });
    // Keys are counted per object: two objects of 200 keys each are fine.
    assert.deepEqual(scanJson(`{"a":{${keys(200)}},"b":{${keys(200)}}}`), { ok: true });
  });

  test('members: object members and array elements add up over the whole body', () => {
    const array = (n: number) => `[${Array(n).fill(0).join(',')}]`;
    assert.deepEqual(scanJson(array(MAX_JSON_MEMBERS)), { ok: true });
    assert.deepEqual(scanJson(array(MAX_JSON_MEMBERS + 1)), { ok: false, ceiling: 'maxMembers', limit: MAX_JSON_MEMBERS });
    // 40 objects of 250 keys: each object is under its ceiling, the body is over (10,000 + 40 elements).
    const objects = `[${Array.from({ length: 40 }, (_, i) => `{${keys(250, i * 250)}}`).join(',')}]`;
    assert.deepEqual(scanJson(objects), { ok: false, ceiling: 'maxMembers', limit: MAX_JSON_MEMBERS });
  });

  test('escaped quotes are counted; other escapes and a quote after an even run of backslashes are not', () => {
    const quotes = (n: number) => `{"p":"${'\\"'.repeat(n)}"}`;
    assert.deepEqual(scanJson(quotes(MAX_ESCAPED_QUOTES)), { ok: true });
    assert.deepEqual(scanJson(quotes(MAX_ESCAPED_QUOTES + 1)), { ok: false, ceiling: 'maxEscapedQuotes', limit: MAX_ESCAPED_QUOTES });
    // `\\` then a closing quote: the string ends there, so the key after it is seen and counted.
    const tricky = `{${Array.from({ length: MAX_KEYS_PER_OBJECT + 1 }, (_, i) => `"k${i}\\\\":0`).join(',')}}`;
    assert.deepEqual(scanJson(tricky), { ok: false, ceiling: 'maxKeysPerObject', limit: MAX_KEYS_PER_OBJECT });
    // Colons, commas and braces inside strings are text, not structure.
    assert.deepEqual(scanJson(`{"p":"${'{"a":1,'.repeat(1000)}"}`.replaceAll('{"a"', '{\\"a\\"')), { ok: true });
  });

  test('a million keys are refused without reading past the ceiling', () => {
    const body = `{${keys(1_000_000)}}`;
    const started = performance.now();
    assert.deepEqual(scanJson(body), { ok: false, ceiling: 'maxKeysPerObject', limit: MAX_KEYS_PER_OBJECT });
    // Generous: the scan stops after 256 keys; parsing the body takes about a second.
    assert.ok(performance.now() - started < 2000);
  });

  test('malformed text is left to JSON.parse (no ceiling reported, and no crash)', () => {
    for (const text of ['{"a"', '"unterminated', ']]]', '{,,,}', '[:::]', '{"a":1 "b":2}', '{"a" "b":1}']) {
      assert.deepEqual(scanJson(text), { ok: true }, text);
      assert.throws(() => JSON.parse(text));
    }
  });

  test('the ceilings can be set per call', () => {
    assert.deepEqual(scanJson('{"a":1,"b":2}', { ...JSON_CEILINGS, maxKeysPerObject: 1 }), { ok: false, ceiling: 'maxKeysPerObject', limit: 1 });
  });
});
