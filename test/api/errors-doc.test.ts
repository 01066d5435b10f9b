import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ERROR_CATALOG } from '../../src/errors.ts';

// The error table in docs/api.md is for humans; this keeps it equal to the code's catalogue.
test('docs/api.md lists exactly the error codes of src/errors.ts, with the same status and meaning', () => {
  const doc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
  const table = /<!-- error-codes:start -->([\s\S]*?)<!-- error-codes:end -->/.exec(doc)?.[1];
  assert.ok(table, 'docs/api.md has the error-codes markers');
  const rows = table
    .split('\n')
    .filter((line) => /^\|\s*\d{6}/.test(line))
    .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
  const documented = rows.map(([code, status, meaning]) => ({ code: Number(code), status: Number(status), meaning }));
  const expected = Object.values(ERROR_CATALOG).map(({ code, status, meaning }) => ({ code, status, meaning }));
  assert.deepEqual(documented, expected);
});
