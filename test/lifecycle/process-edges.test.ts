/**
 * Process edges (issue 11): a serve that cannot take its port or use its data folder exits 1
 * with one line naming the address or path and the setting, before any worker claims a job; the
 * first key goes to the terminal (stderr), never into the JSON log stream (stdout); during the
 * shutdown grace new requests get a 503 envelope instead of a refused connection.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { MODEL_IDS as MODELS } from '../support/models.ts';
import { api, poll, Processes } from '../support/processes.ts';

const procs = new Processes();
after(() => procs.cleanup());

function assertOneLine(run: { code: number | null; stdout: string; stderr: string }, message: RegExp): void {
  const context = `${run.stdout}\n${run.stderr}`;
  assert.equal(run.code, 1, context);
  assert.equal(run.stderr.trim().split('\n').length, 1, `one line, no stack trace: ${run.stderr}`);
  assert.match(run.stderr.trim(), message);
  assert.doesNotMatch(run.stderr, /\n\s+at /);
  assert.ok(!(run.stdout + run.stderr).includes('ModelGate is serving'), context);
}

test('first start: stdout holds only JSON log lines; the key is on stderr', async () => {
  const install = procs.install();
  const server = await procs.serve(install, { MODELGATE_WORKERS: '0', MODELGATE_LOG_LEVEL: 'info' });
  const lines = server.stdout.split('\n').filter((line) => line.trim() !== '');
  assert.ok(lines.length > 0, server.describe());
  for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `not a JSON log line: ${line}`);
  assert.match(server.stderr, /MODELGATE_API_KEY=mg_[0-9A-Za-z]+/);
  assert.ok(!server.stdout.includes(server.apiKey!), 'the key is not in the log stream');
  await server.kill('SIGTERM');
});

test('serve on a busy port exits 1 with one line naming the address and PORT, and claims nothing', async () => {
  const install = procs.install({ MODELGATE_POLL_INTERVAL_MS: '50' });
  const first = await procs.serve(install, { MODELGATE_WORKERS: '0' });
  const client = api(first.url, first.apiKey);
  const id = (await client.submit(MODELS.dreamina, { prompt: 'sleep=10' })).json.request_id as string;

  const second = await procs.run(install, ['serve'], { HOST: '127.0.0.1', PORT: String(first.port), MODELGATE_WORKERS: '2' });
  assertOneLine(second, new RegExp(`^modelgate: cannot listen on 127\\.0\\.0\\.1:${first.port} \\(EADDRINUSE, .*\\); set PORT \\(or HOST\\)`));
  // Had its workers started before the listen failed, they would have claimed the job by now.
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal((await client.status(id)).json.status, 'in_queue');
  assert.equal(install.executions().size, 0);
  await first.kill('SIGTERM');
});

test('an unusable data folder: one line naming the path, MODELGATE_DATA_DIR and the reason, exit 1', async () => {
  const install = procs.install();
  const fileThere = join(install.dir, 'a-file');
  writeFileSync(fileThere, 'not a folder');
  const dbIsFolder = join(install.dir, 'db-is-folder');
  mkdirSync(join(dbIsFolder, 'modelgate.db'), { recursive: true });
  const cases: Array<{ args: string[]; dataDir: string; message: RegExp }> = [
    { args: ['serve'], dataDir: fileThere, message: /^modelgate: cannot use the data folder \S+a-file \(MODELGATE_DATA_DIR\): EEXIST, a file, not a folder, is at that path$/ },
    { args: ['worker'], dataDir: fileThere, message: /^modelgate: cannot use the data folder \S+a-file \(MODELGATE_DATA_DIR\): EEXIST/ },
    { args: ['serve'], dataDir: join(fileThere, 'data'), message: /^modelgate: cannot use the data folder \S+a-file\/data \(MODELGATE_DATA_DIR\): ENOTDIR, a part of that path is a file/ },
    { args: ['keys', 'list'], dataDir: join(fileThere, 'data'), message: /MODELGATE_DATA_DIR\): ENOTDIR/ },
    { args: ['serve'], dataDir: dbIsFolder, message: /^modelgate: cannot open the database \S+db-is-folder\/modelgate\.db \(under MODELGATE_DATA_DIR\): / },
  ];
  if (process.getuid?.() !== 0) {
    // Root may write anywhere, so a folder without write permission only refuses other users.
    const locked = join(install.dir, 'locked');
    mkdirSync(locked, { mode: 0o500 });
    cases.push({ args: ['serve'], dataDir: join(locked, 'data'), message: /\(MODELGATE_DATA_DIR\): EACCES, permission denied/ });
  }
  const runs = await Promise.all(cases.map((c) => procs.run(install, c.args, { PORT: '0', MODELGATE_DATA_DIR: c.dataDir })));
  runs.forEach((run, i) => assertOneLine(run, cases[i]!.message));
});

test('SIGTERM during a job: new requests get the 503 envelope until the job is done, then the process exits 0', async () => {
  const install = procs.install({ MODELGATE_POLL_INTERVAL_MS: '50' });
  const server = await procs.serve(install, { MODELGATE_WORKERS: '1', MODELGATE_SHUTDOWN_GRACE_MS: '20000', MODELGATE_LOG_LEVEL: 'warn' });
  const client = api(server.url, server.apiKey);
  const id = (await client.submit(MODELS.dreamina, { prompt: 'sleep=2500' })).json.request_id as string;
  await poll(() => client.status(id), (r) => r.json.status === 'in_progress');

  server.process.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 300));
  for (const answer of [await api(server.url).get('/healthz'), await client.status(id)]) {
    assert.equal(answer.status, 503, answer.text);
    assert.equal(answer.json.error_code, 503001);
    assert.match(answer.json.error_message, /shutting down/);
    assert.equal(answer.headers.get('retry-after'), '20');
    assert.equal(answer.headers.get('connection'), 'close');
  }
  assert.ok(server.running, 'the process waits for its running job');
  assert.deepEqual(await server.exited, { code: 0, signal: null }, server.describe());
  // The job ran once, to its end, within the grace: a new server finds it succeeded.
  const next = await procs.serve(install, { MODELGATE_WORKERS: '0' }, 'serve 2');
  assert.equal((await api(next.url, server.apiKey).result(id)).json.status, 'succeeded');
  assert.deepEqual(install.executions().get(id), [1]);
});
