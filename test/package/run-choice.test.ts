/**
 * Which code `modelgate` runs (bin/dist-state.mjs): dist/ only when its build stamp is newer than
 * every source, else src/ through tsx, else an error that says to build; MODELGATE_RUN_FROM forces
 * one. The end-to-end cases run the real bin/ files in a scratch package whose dist/ and src/
 * entries only say which one they are, with node_modules linked so that tsx resolves.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
// @ts-expect-error: plain .mjs, no types
import { chooseEntry, distState } from '../../bin/dist-state.mjs';
import { tempDir } from '../support/harness.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const scratch = tempDir('modelgate-choice-');
after(() => scratch.remove());

type State = { built: boolean; fresh: boolean; hasSources: boolean };
const choose = (runFrom: string | undefined, state: State, tsxInstalled: boolean) =>
  (chooseEntry as (a: unknown) => { kind: string; message?: string; notice?: string })({ runFrom, state, tsxInstalled });

test('the choice: fresh dist, else sources with tsx, else an error naming the fix; MODELGATE_RUN_FROM forces', () => {
  const dev = { built: true, fresh: false, hasSources: true };
  assert.equal(choose(undefined, { ...dev, fresh: true }, true).kind, 'dist');
  assert.equal(choose(undefined, dev, true).kind, 'src');
  assert.match(choose(undefined, dev, true).notice!, /older than src/);
  assert.match(choose(undefined, { ...dev, built: false }, false).message!, /not built.*npm run build/);
  assert.equal(choose(undefined, { built: true, fresh: true, hasSources: false }, false).kind, 'dist'); // a packed install
  assert.equal(choose('src', { ...dev, fresh: true }, true).kind, 'src');
  assert.match(choose('src', { built: true, fresh: true, hasSources: false }, false).message!, /no src/);
  assert.equal(choose('dist', dev, true).kind, 'dist');
  assert.match(choose('dist', { ...dev, built: false }, true).message!, /has not been built/);
  assert.match(choose('both', dev, true).message!, /"dist" or "src"/);
});

function scratchPackage(): string {
  const dir = join(scratch.path, `pkg-${Math.random().toString(36).slice(2)}`);
  mkdirSync(join(dir, 'src/cli'), { recursive: true });
  mkdirSync(join(dir, 'dist/cli'), { recursive: true });
  cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  // The TypeScript entry uses a type annotation, so only tsx can run it.
  writeFileSync(join(dir, 'src/cli/main.ts'), "const from: string = 'src';\nconsole.log(`ran ${from}`);\n");
  writeFileSync(join(dir, 'dist/cli/main.js'), "console.log('ran dist');\n");
  return dir;
}

function run(dir: string, env: Record<string, string> = {}) {
  const { MODELGATE_RUN_FROM: _, ...inherited } = process.env;
  const result = spawnSync(process.execPath, [join(dir, 'bin/modelgate.mjs')], { env: { ...inherited, ...env }, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
}

test('end to end: the real bin/ picks dist/ only when its stamp is newer than the sources', () => {
  const dir = scratchPackage();
  const stamp = join(dir, 'dist/.build-stamp');
  assert.equal(run(dir).stdout, 'ran src', 'no stamp: an unfinished build is never run');
  writeFileSync(stamp, 'built');
  const now = Date.now() / 1000;
  utimesSync(stamp, now + 60, now + 60);
  assert.equal((distState as (root: string) => State)(dir).fresh, true);
  assert.deepEqual(run(dir), { status: 0, stdout: 'ran dist', stderr: '' });
  assert.equal(run(dir, { MODELGATE_RUN_FROM: 'src' }).stdout, 'ran src', 'the test suite forces the sources');
  // A source edited after the build makes dist/ stale.
  utimesSync(join(dir, 'src/cli/main.ts'), now + 120, now + 120);
  const stale = run(dir);
  assert.equal(stale.stdout, 'ran src');
  assert.match(stale.stderr, /dist\/ is older than src\/; running the TypeScript sources through tsx/);
  assert.equal(run(dir, { MODELGATE_RUN_FROM: 'dist' }).stdout, 'ran dist');
});

test('end to end: stale dist/ and no tsx is exit 1 with how to build, not a stack trace', () => {
  const dir = scratchPackage();
  rmSync(join(dir, 'node_modules')); // the link only
  const result = run(dir);
  assert.equal(result.status, 1);
  assert.equal(result.stdout, '');
  assert.equal(result.stderr, 'modelgate: dist/ is not built and tsx is not installed: run `npm run build` (or `npm start`, which builds first)');
});
