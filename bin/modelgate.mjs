#!/usr/bin/env node
// The package command. It runs the compiled JavaScript in dist/ on plain Node; in a development
// checkout whose dist/ is missing or older than src/, it runs the TypeScript sources through tsx
// instead (registered here, before the CLI module is imported). bin/dist-state.mjs makes the choice.
import { chooseEntry, distState, PACKAGE_ROOT, resolvable } from './dist-state.mjs';

const state = distState();
const entry = chooseEntry({ runFrom: process.env.MODELGATE_RUN_FROM, state, tsxInstalled: state.hasSources && resolvable(PACKAGE_ROOT, 'tsx/esm/api') });
if (entry.kind === 'error') {
  process.stderr.write(`modelgate: ${entry.message}\n`);
  process.exit(1);
}
if (entry.kind === 'dist') {
  await import('../dist/cli/main.js');
} else {
  if (entry.notice) process.stderr.write(`modelgate: ${entry.notice}\n`);
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
