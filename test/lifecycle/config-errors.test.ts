/**
 * `modelgate serve` refuses to start on a bad setting: non-zero exit, one plain line naming the
 * setting (no stack trace), and nothing listening.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { MODEL_IDS as MODELS } from '../support/models.ts';
import { Processes } from '../support/processes.ts';

const procs = new Processes();
after(() => procs.cleanup());

test('serve exits non-zero with a message naming the bad setting', async () => {
  const install = procs.install();
  const badRoute = join(install.dir, 'bad-route.json');
  writeFileSync(badRoute, JSON.stringify({ engines: { test: { type: 'module', module: './x.ts' } }, models: { [MODELS.runway]: { engine: 'gpu' } } }));
  const missing = join(install.dir, 'no-such-config.yaml');

  const cases: Array<{ env: Record<string, string>; message: RegExp }> = [
    { env: { PORT: 'abc' }, message: /PORT must be an integer, got "abc"/ },
    { env: { PORT: '8080', MODELGATE_WORKERS: '-1' }, message: /MODELGATE_WORKERS must be between 0 and \d+, got -1/ },
    { env: { PORT: '8080', MODELGATE_CONFIG: missing }, message: new RegExp(`MODELGATE_CONFIG names a file that cannot be read: ${missing.replaceAll('.', '\\.')}`) },
    { env: { PORT: '8080', MODELGATE_CONFIG: badRoute }, message: new RegExp(`MODELGATE_CONFIG routes model ${MODELS.runway.replaceAll('/', '\\/')} to engine "gpu", which is not defined`) },
  ];
  // Run in parallel: each exits during configuration, before opening the database or a port.
  const runs = await Promise.all(cases.map((c) => procs.run(install, ['serve'], c.env, 20_000)));
  runs.forEach((run, i) => {
    const { message } = cases[i]!;
    assert.equal(run.code, 1, `${message}: ${run.stdout}${run.stderr}`);
    assert.match(run.stderr, /^modelgate: invalid configuration: /);
    assert.match(run.stderr, message);
    assert.equal(run.stderr.trim().split('\n').length, 1, `one line, no stack trace: ${run.stderr}`);
    assert.ok(!(run.stdout + run.stderr).includes('ModelGate is serving'));
  });
});
