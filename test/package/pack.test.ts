/**
 * The package as a user gets it: `npm pack` (its prepack builds dist/ and the console: the one
 * build of dist/ in the test suite), the tarball installed into an empty folder without the
 * network (offline-install.ts says how), `modelgate serve` started from there on plain Node, and a
 * plain .mjs file there that imports `modelgate/client` and runs a model through the API on the
 * default engines (text-to-image on the bundled ONNX model).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { tempDir } from '../support/harness.ts';
import { Child, freePort, KEY_LINE, SERVING_LINE } from '../support/processes.ts';
import { localSqlitePrebuild, offlineInstallEnv, writeAppWithLock } from './offline-install.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const work = tempDir('modelgate-pack-');
const appDir = join(work.path, 'app');
let tarball: string;
const children: Child[] = [];

function npm(args: string[], cwd: string, env: Record<string, string> = {}, timeout = 900_000) {
  const result = spawnSync('npm', args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', timeout });
  assert.equal(result.status, 0, `npm ${args.join(' ')} failed (${result.status ?? result.signal})\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`);
  return result.stdout;
}

before(async () => {
  const packDir = join(work.path, 'pack');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(packDir);
  mkdirSync(appDir);
  npm(['pack', '--pack-destination', packDir, '--silent'], ROOT);
  tarball = join(packDir, readdirSync(packDir).find((name) => name.endsWith('.tgz'))!);
  writeAppWithLock(ROOT, appDir, tarball);
  const prebuilds = localSqlitePrebuild(ROOT, join(work.path, 'prebuilds'));
  npm(['ci', '--offline', '--no-audit', '--no-fund'], appDir, offlineInstallEnv(prebuilds));
});

after(async () => {
  await Promise.all(children.map((child) => child.kill('SIGKILL')));
  work.remove();
});

describe('npm pack, installed in an empty folder', () => {
  test('the tarball holds the build, the catalog, workflows, the bundled model, bin, README and LICENSE, and nothing of src, test, bench or training', () => {
    const listed = spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map((path) => path.replace(/^package\//, ''));
    const tops = new Set(listed.map((path) => path.split('/')[0]));
    for (const expected of ['dist', 'catalog', 'workflows', 'models', 'bin', 'README.md', 'LICENSE', 'package.json']) assert.ok(tops.has(expected), `${expected} missing from ${[...tops].join(', ')}`);
    for (const absent of ['src', 'test', 'bench', 'training', 'docs', 'scripts', 'node_modules', 'tsconfig.json']) assert.ok(!tops.has(absent), `${absent} is in the tarball`);
    for (const file of ['dist/cli/main.js', 'dist/client/index.js', 'dist/client/index.d.ts', 'dist/index.d.ts', 'dist/engines/threads/thread-boot.mjs', 'bin/dist-state.mjs']) assert.ok(listed.includes(file), `${file} missing`);
    assert.ok(!listed.some((path) => path.endsWith('.ts') && !path.endsWith('.d.ts')), 'TypeScript sources in the tarball');
  });

  test('the install has no tsx or TypeScript: the package runs on what it depends on', () => {
    assert.ok(existsSync(join(appDir, 'node_modules/modelgate/dist/cli/main.js')));
    for (const devOnly of ['tsx', 'typescript', 'esbuild']) assert.ok(!existsSync(join(appDir, 'node_modules', devOnly)), `${devOnly} was installed`);
  });

  test('modelgate serve starts from there, and a plain .mjs imports modelgate/client and runs a model through the API', async () => {
    const port = await freePort();
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MODELGATE_') && k !== 'HOST' && k !== 'PORT')) as Record<string, string>;
    const serve = new Child('installed serve', spawn(join(appDir, 'node_modules/.bin/modelgate'), ['serve'], {
      cwd: appDir,
      env: { ...base, HOST: '127.0.0.1', PORT: String(port), MODELGATE_DATA_DIR: join(work.path, 'data'), MODELGATE_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }));
    children.push(serve);
    await serve.waitFor(SERVING_LINE, 60_000);
    const key = KEY_LINE.exec(serve.stderr + serve.stdout)?.[1];
    assert.ok(key, serve.describe());
    assert.doesNotMatch(serve.stderr, /tsx|ERR_|Error/, serve.describe());

    writeFileSync(join(appDir, 'run-model.mjs'), `
import { ApiError, ModelGateClient } from 'modelgate/client';
const [baseUrl, apiKey] = process.argv.slice(2);
const client = new ModelGateClient({ baseUrl, apiKey });
const updates = [];
const result = await client.run('bytedance/dreamina-4-0/text-to-image', { prompt: 'a red circle' }, { onQueueUpdate: (s) => updates.push(s.status) });
await client.download(result.output.image, 'out.png');
const rejected = await client.submit('bytedance/dreamina-4-0/text-to-image', { prompt: 'x', colour: 'red' }).catch((e) => e);
console.log(JSON.stringify({ status: result.status, last: updates.at(-1), apiError: rejected instanceof ApiError, code: rejected.error_code }));
`);
    const ran = spawnSync(process.execPath, ['run-model.mjs', `http://127.0.0.1:${port}`, key], { cwd: appDir, encoding: 'utf8', timeout: 180_000 });
    assert.equal(ran.status, 0, `${ran.stdout}\n${ran.stderr}\n${serve.describe()}`);
    assert.deepEqual(JSON.parse(ran.stdout), { status: 'succeeded', last: 'completed', apiError: true, code: 422001 });
    const png = readFileSync(join(appDir, 'out.png'));
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    assert.ok(statSync(join(appDir, 'out.png')).size > 1000);
  });
});
