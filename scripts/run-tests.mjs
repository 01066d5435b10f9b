#!/usr/bin/env node
// Runs the type checker, then every test file under test/ with node's test runner (through tsx).
// The last line printed is "N passed, N failed", which is what CI reads.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function findTests(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'support' ? [] : findTests(path);
    return entry.name.endsWith('.test.ts') ? [relative(root, path)] : [];
  });
}

const filter = process.argv.slice(2);
const files = findTests(join(root, 'test'))
  .filter((file) => filter.length === 0 || filter.some((word) => file.includes(word)))
  .sort();

if (filter.length === 0) {
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', root], {
    stdio: 'inherit',
  });
  if (tsc.status !== 0) {
    console.log('type check failed');
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

const result = spawnSync(
  process.execPath,
  [
    '--import', 'tsx',
    '--test',
    '--test-concurrency=2',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=./test/support/summary-reporter.mjs', '--test-reporter-destination=stdout',
    ...files,
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, MODELGATE_LOG_LEVEL: process.env.MODELGATE_LOG_LEVEL ?? 'silent' } },
);
process.exit(result.status ?? 1);
