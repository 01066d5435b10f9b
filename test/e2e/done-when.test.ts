/**
 * Issue 2's "Done when", end to end: the real `modelgate` CLI as child processes, over real
 * sockets on 127.0.0.1, with the four seed requests routed to the test engine (a `module`
 * engine). One install (data dir) is used throughout, in order:
 *   1. `serve` on a fresh data dir prints a key; the seed requests run to `succeeded` and their
 *      outputs download; the documented error codes; /healthz and /openapi.json without a key;
 *      `keys create|list|revoke`; `modelgate run` against the running server.
 *   2. a second `serve` on the same data dir prints no key; with MODELGATE_WORKERS=0 jobs queue
 *      with increasing positions and cancel answers `cancelled`; a `modelgate worker` process then
 *      takes a job to in_progress, where cancel answers `not_cancellable`, and on to completed.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MODEL_IDS as MODELS, SMALL_PNG_DATA_URI } from '../support/models.ts';
import { api, type Install, poll, Processes, type Server } from '../support/processes.ts';

const SEEDREAM_PROMPT =
  'A vibrant close-up editorial portrait featuring a model with a sharp, piercing gaze, wearing a sculptural hat. Rich color blocking, crisp focus on the eyes, and a shallow depth of field create a striking visual impact. Styled with a Vogue cover aesthetic, captured in medium format, with bold and dramatic studio lighting.';

const SEED_REQUESTS: Array<{ model: string; body: Record<string, unknown>; kind: 'image' | 'video' }> = [
  { model: MODELS.reframe, body: { image: SMALL_PNG_DATA_URI, resolution: '1152:864 (4:3)' }, kind: 'image' },
  { model: MODELS.dreamina, body: { prompt: 'A beautiful girl is walking on the street' }, kind: 'image' },
  { model: MODELS.seedream, body: { prompt: SEEDREAM_PROMPT }, kind: 'image' },
  { model: MODELS.runway, body: { promptText: 'a slow pan', promptImage: SMALL_PNG_DATA_URI }, kind: 'video' },
];

const ORDER = ['in_queue', 'in_progress', 'completed'];

describe('e2e: the real CLI over a socket (issue 2, "Done when")', () => {
  const procs = new Processes();
  let install: Install;
  let server: Server;
  let key: string;
  let client: ReturnType<typeof api>;

  before(async () => {
    install = procs.install();
    server = await procs.serve(install);
    key = server.apiKey!;
    client = api(server.url, key);
  });
  after(() => procs.cleanup());

  test('the first start of a fresh install prints one API key, once', () => {
    assert.match(key ?? '', /^mg_[0-9A-Za-z]{43}$/, server.describe());
    assert.equal(server.stderr.match(/MODELGATE_API_KEY=/g)?.length, 1);
    assert.equal(server.url, `http://127.0.0.1:${server.port}`);
  });

  test('GET /healthz and /openapi.json answer without a key', async () => {
    const anonymous = api(server.url);
    const health = await anonymous.get('/healthz');
    assert.equal(health.status, 200);
    assert.equal(health.json.status, 'ok');
    assert.equal(health.json.models, 4);
    const openapi = await anonymous.get('/openapi.json');
    assert.equal(openapi.status, 200);
    assert.match(String(openapi.json.openapi), /^3\./);
    assert.ok(Object.keys(openapi.json.paths).some((path) => path.includes('/v1/requests/')));
  });

  test('the four seed requests: submit → in_queue/in_progress → completed → succeeded, outputs download', async () => {
    const submitted = await Promise.all(SEED_REQUESTS.map(async (seed) => {
      const res = await client.submit(seed.model, seed.body);
      assert.equal(res.status, 200, `${seed.model}: ${res.text}`);
      assert.deepEqual(Object.keys(res.json).sort(), ['cancel_url', 'request_id', 'result_url', 'status_url']);
      const id: string = res.json.request_id;
      assert.equal(res.json.status_url, `${server.url}/v1/requests/${id}/status`);
      assert.equal(res.json.result_url, `${server.url}/v1/requests/${id}/result`);
      assert.equal(res.json.cancel_url, `${server.url}/v1/requests/${id}/cancel`);
      return { ...seed, id };
    }));
    for (const job of submitted) {
      const seen: string[] = [];
      await poll(async () => {
        const res = await client.status(job.id);
        assert.equal(res.status, 200);
        if (seen.at(-1) !== res.json.status) seen.push(res.json.status);
        return res.json.status as string;
      }, (status) => status === 'completed');
      // Whatever the poll happened to catch, states only move forward.
      assert.deepEqual(seen, [...seen].sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b)), `${job.model}: ${seen.join(' → ')}`);
      const result = await client.result(job.id);
      assert.equal(result.status, 200);
      assert.equal(result.json.status, 'succeeded', JSON.stringify(result.json));
      assert.equal(result.json.request_id, job.id);
      assert.match(result.json.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(result.json.finished_at >= result.json.created_at);
      const url: string = result.json.output[job.kind];
      assert.ok(url?.startsWith(`${server.url}/`), JSON.stringify(result.json.output));
      const file = await fetch(url);
      assert.equal(file.status, 200);
      const bytes = Buffer.from(await file.arrayBuffer());
      if (job.kind === 'image') {
        assert.equal(file.headers.get('content-type'), 'image/png');
        assert.equal(bytes.subarray(1, 4).toString(), 'PNG');
      } else {
        assert.equal(file.headers.get('content-type'), 'video/mp4');
        assert.ok(bytes.length > 0);
      }
    }
    // The defaulted input ran: the test engine saw each job exactly once.
    const runs = install.executions();
    for (const job of submitted) assert.deepEqual(runs.get(job.id), [1]);
  });

  test('missing, wrong and malformed keys get 401001', async () => {
    const body = { prompt: 'a cat' };
    const cases = [
      api(server.url),
      api(server.url, `mg_${'A'.repeat(43)}`),
      api(server.url, 'not-a-key'),
    ];
    for (const anonymous of cases) {
      const res = await anonymous.submit(MODELS.dreamina, body);
      assert.equal(res.status, 401);
      assert.equal(res.json.error_code, 401001);
      assert.equal(typeof res.json.error_message, 'string');
    }
  });

  test('unknown model 400001; bad enum, out-of-range integers, over-long prompts 422001 naming the field', async () => {
    const unknown = await client.submit('acme/no-such-model', { prompt: 'x' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.error_code, 400001);
    assert.match(unknown.json.error_message, /acme\/no-such-model/);

    const cases: Array<{ model: string; body: Record<string, unknown>; field: string; type: string }> = [
      { model: MODELS.reframe, body: { image: 'https://example.com/a.png', resolution: '1000:1000 (1:1)' }, field: 'resolution', type: 'enum' },
      { model: MODELS.reframe, body: { image: 'https://example.com/a.png', resolution: '1152:864 (4:3)', seed: 2147483648 }, field: 'seed', type: 'less_than_equal' },
      { model: MODELS.runway, body: { promptText: 'x', promptImage: 'https://example.com/b.png', seed: -1 }, field: 'seed', type: 'greater_than_equal' },
      { model: MODELS.dreamina, body: { prompt: 'a'.repeat(801) }, field: 'prompt', type: 'max_length' },
      { model: MODELS.runway, body: { promptText: 'a'.repeat(513), promptImage: 'https://example.com/b.png' }, field: 'promptText', type: 'max_length' },
    ];
    for (const { model, body, field, type } of cases) {
      const res = await client.submit(model, body);
      assert.equal(res.status, 422, `${model} ${field}: ${res.text}`);
      assert.equal(res.json.error_code, 422001);
      assert.match(res.json.error_message, new RegExp(`\\b${field}\\b`));
      assert.deepEqual(res.json.detail.map((d: { loc: unknown[] }) => d.loc), [['body', field]], res.text);
      assert.equal(res.json.detail[0].type, type);
    }
    // Boundary values themselves are accepted (both sides of each bound).
    for (const body of [{ prompt: 'a'.repeat(800) }]) assert.equal((await client.submit(MODELS.dreamina, body)).status, 200);
    assert.equal((await client.submit(MODELS.reframe, { image: SMALL_PNG_DATA_URI, resolution: '1152:864 (4:3)', seed: 2147483647 })).status, 200);
  });

  test('keys create prints only the key; list shows it; revoke makes its requests 401001 within the key cache bound', async () => {
    const created = await procs.run(install, ['keys', 'create', '--name', 'x']);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^mg_[0-9A-Za-z]{43}\n$/);
    const newKey = created.stdout.trim();

    const listed = await procs.run(install, ['keys', 'list']);
    assert.equal(listed.code, 0, listed.stderr);
    const row = listed.stdout.split('\n').find((line) => /\s+x\s+/.test(line));
    assert.ok(row, listed.stdout);
    assert.match(row, /active/);
    assert.ok(row.includes(newKey.slice(0, 10)), 'the list shows the prefix');
    assert.ok(!listed.stdout.includes(newKey), 'the list never shows a whole key');
    const id = row.split(/\s+/)[0]!;

    const probe = `/v1/requests/00000000-0000-4000-8000-000000000000/status`;
    const before = await api(server.url, newKey).get(probe);
    assert.equal(before.json.error_code, 404001, 'the new key is accepted by the running server');

    const revoked = await procs.run(install, ['keys', 'revoke', id]);
    assert.equal(revoked.code, 0, revoked.stderr);
    // Another process revoked it: the server's key cache keeps an active key for at most 1 s
    // (docs/operations.md, "Keys"); the slack is for a loaded machine, not for the cache.
    const revokedAt = Date.now();
    const afterRevoke = await poll(() => api(server.url, newKey).get(probe), (res) => res.status !== 200 && res.json.error_code !== 404001, 5_000, 50);
    assert.ok(Date.now() - revokedAt <= 2_000, `revocation took ${Date.now() - revokedAt} ms to reach the server`);
    assert.equal(afterRevoke.status, 401);
    assert.equal(afterRevoke.json.error_code, 401001);
    assert.equal((await client.get(probe)).json.error_code, 404001, 'other keys are untouched');
  });

  test('keys create --max-running 1: that key runs one job at a time while the server has two workers; keys set changes it', async () => {
    const created = await procs.run(install, ['keys', 'create', '--name', 'one-at-a-time', '--max-running', '1']);
    assert.equal(created.code, 0, created.stderr);
    const limited = api(server.url, created.stdout.trim());
    const listed = await procs.run(install, ['keys', 'list']);
    const row = listed.stdout.split('\n').find((line) => line.includes('one-at-a-time'))!;
    assert.match(row, /\s1\s+active$/, 'the list shows the quota');
    const id = row.split(/\s+/)[0]!;

    const first = (await limited.submit(MODELS.dreamina, { prompt: 'sleep=1500 first' })).json.request_id as string;
    const second = (await limited.submit(MODELS.dreamina, { prompt: 'sleep=10 second' })).json.request_id as string;
    const statusOf = async (id: string) => (await limited.get(`/v1/requests/${id}/status`)).json.status as string;
    await poll(() => statusOf(first), (status) => status === 'in_progress');
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(await statusOf(second), 'in_queue', 'the second waits for the first, though a worker is idle');
    assert.equal(await statusOf(first), 'in_progress');
    await poll(() => statusOf(second), (status) => status === 'completed', 10_000);
    assert.equal(await statusOf(first), 'completed');

    const reset = await procs.run(install, ['keys', 'set', id, '--max-running', 'default']);
    assert.equal(reset.code, 0, reset.stderr);
    assert.equal(reset.stdout, `${id}: max running default\n`);
    const bad = await procs.run(install, ['keys', 'set', id, '--max-running', '-1']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--max-running takes a whole number/);
    const unknown = await procs.run(install, ['keys', 'set', 'key_nope', '--max-running', '2']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /no key with id key_nope/);
  });

  test('modelgate run downloads the output and exits 0; plain progress lines on a pipe; a failing job exits non-zero', async () => {
    const out = join(install.dir, 'run-out');
    const ok = await procs.run(install, ['run', MODELS.dreamina, '--prompt', 'sleep=600 a red fox', '--out', out, '--url', server.url, '--interval', '100'], { MODELGATE_API_KEY: key });
    assert.equal(ok.code, 0, `${ok.stdout}\n${ok.stderr}`);
    assert.deepEqual(readdirSync(out), ['image.png']);
    assert.equal(readFileSync(join(out, 'image.png')).subarray(1, 4).toString(), 'PNG');
    assert.equal(ok.stdout, `${join(out, 'image.png')}\n`);
    assert.match(ok.stderr, /^submitted [0-9a-f-]{36}$/m);
    assert.match(ok.stderr, /^\d+\.\ds in progress/m);
    assert.match(ok.stderr, /^\d+\.\ds completed$/m);
    assert.ok(!/[\r\x1b]/.test(ok.stderr), 'no spinner or escape codes when stderr is not a TTY');

    const failed = await procs.run(install, ['run', MODELS.dreamina, '--prompt', 'fail', '--url', server.url, '--key', key, '--interval', '100']);
    assert.notEqual(failed.code, 0);
    assert.match(failed.stderr, /failed \(test_failure\): the test engine was asked to fail/);
  });

  test('a second start on the same data dir prints no key; MODELGATE_WORKERS=0 queues, cancel, then a worker process', async () => {
    const stopped = await server.kill('SIGTERM');
    assert.deepEqual(stopped, { code: 0, signal: null }, server.describe());

    server = await procs.serve(install, { MODELGATE_WORKERS: '0' }, 'serve (workers 0)');
    assert.equal(server.apiKey, undefined);
    assert.ok(!(server.stdout + server.stderr).includes('MODELGATE_API_KEY'), server.describe());
    assert.match(server.stderr, /workers: 0/);
    client = api(server.url, key);

    const ids: string[] = [];
    for (const prompt of ['sleep=2000 first', 'second', 'third']) {
      const res = await client.submit(MODELS.dreamina, { prompt });
      assert.equal(res.status, 200);
      ids.push(res.json.request_id);
    }
    const [running, next, cancelled] = ids as [string, string, string];
    const statuses = await Promise.all(ids.map((id) => client.status(id).then((r) => r.json)));
    assert.ok(statuses.every((s) => s.status === 'in_queue'), JSON.stringify(statuses));
    assert.deepEqual(statuses.map((s) => s.queue_position), [0, 1, 2]);

    assert.deepEqual((await client.cancel(cancelled)).json, { request_id: cancelled, status: 'cancelled', outcome: 'cancelled' });
    assert.deepEqual((await client.cancel(cancelled)).json, { request_id: cancelled, status: 'cancelled', outcome: 'cancelled' });
    assert.equal((await client.result(cancelled)).json.status, 'cancelled');

    const worker = await procs.worker(install, { MODELGATE_WORKERS: '1', MODELGATE_POLL_INTERVAL_MS: '50' });
    await poll(() => client.status(running).then((r) => r.json.status), (s) => s === 'in_progress', 15_000);
    assert.deepEqual((await client.cancel(running)).json, { request_id: running, status: 'in_progress', outcome: 'not_cancellable' });
    assert.equal((await client.result(running)).json.status, 'in_progress');
    const waiting = (await client.status(next)).json;
    assert.equal(waiting.status, 'in_queue');
    assert.equal(waiting.queue_position, 0, 'the job behind the running one is next');

    await poll(() => client.status(next).then((r) => r.json.status), (s) => s === 'completed', 15_000);
    assert.equal((await client.result(running)).json.status, 'succeeded');
    assert.equal((await client.result(next)).json.status, 'succeeded');
    assert.equal((await client.cancel(running)).json.outcome, 'not_cancellable');
    assert.equal(install.executions().get(cancelled), undefined, 'a cancelled job never runs');

    const exit = await worker.kill('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null }, worker.describe());
  });
});
