/**
 * docs/examples/webhook-receiver.mjs, run as it is documented (node, WEBHOOK_SECRET, PORT), is
 * the receiver of a real delivery: it verifies it, answers 2xx, and prints the event; and it
 * refuses a forged signature and a stale timestamp.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { signWebhook } from '../../src/webhooks/signing.ts';
import { createHarness, MODELS, waitFor, type Harness } from '../support/harness.ts';

const EXAMPLE = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'docs/examples/webhook-receiver.mjs');
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

let example: ChildProcess;
let stdout = '';
let port = 0;
let h: Harness;

before(async () => {
  example = spawn(process.execPath, [EXAMPLE], { env: { PATH: process.env.PATH ?? '', WEBHOOK_SECRET: SECRET, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  example.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  port = await new Promise<number>((resolvePort, reject) => {
    let stderr = '';
    example.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(stderr);
      if (match) resolvePort(Number(match[1]));
    });
    example.once('exit', (code) => reject(new Error(`the example exited (${code}): ${stderr}`)));
  });
  h = await createHarness({
    env: { MODELGATE_INPUT_ALLOW_HTTP: '1', MODELGATE_INPUT_ALLOW_HOSTS: `127.0.0.1:${port}`, MODELGATE_POLL_INTERVAL_MS: '50', MODELGATE_WEBHOOK_SECRET: SECRET },
  });
  h.startWorkers(1);
});

after(async () => {
  await h?.close();
  example?.kill('SIGTERM');
});

const post = (headers: Record<string, string>, body: string) => fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

test('the example receiver verifies a real delivery, answers 2xx, and prints the event', async () => {
  const submitted = await h.app.inject({ method: 'POST', url: `/v1/models/${MODELS.dreamina}?webhook=${encodeURIComponent(`http://127.0.0.1:${port}/`)}`, headers: { ...h.auth, 'content-type': 'application/json' }, payload: JSON.stringify({ prompt: 'a cat' }) });
  assert.equal(submitted.statusCode, 200, submitted.body);
  const id = submitted.json().request_id as string;
  const result = await waitFor(async () => (await h.app.inject({ method: 'GET', url: `/v1/requests/${id}/result`, headers: h.auth })).json(), (r) => r.webhook?.state === 'delivered' || r.webhook?.state === 'failed', 15_000, 25);
  assert.deepEqual(result.webhook, { state: 'delivered', attempts: 1 });
  const line = await waitFor(() => stdout.split('\n').find((l) => l.includes(id)), (l) => l !== undefined, 5_000);
  const event = JSON.parse(line!);
  assert.equal(event.status, 'succeeded');
  assert.match(event.webhook_id, /^msg_/);
  assert.deepEqual(event.output, result.output);
});

test('the example receiver refuses a forged signature and a stale timestamp with a 4xx (not retried)', async () => {
  const body = JSON.stringify({ request_id: 'forged', status: 'succeeded' });
  const now = Math.floor(Date.now() / 1000);
  const forged = await post({ 'webhook-id': 'msg_x', 'webhook-timestamp': String(now), 'webhook-signature': signWebhook(randomBytes(32), 'msg_x', now, body) }, body);
  assert.equal(forged.status, 401);
  const staleAt = now - 6 * 60;
  const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
  const stale = await post({ 'webhook-id': 'msg_y', 'webhook-timestamp': String(staleAt), 'webhook-signature': signWebhook(key, 'msg_y', staleAt, body) }, body);
  assert.equal(stale.status, 401);
  const fresh = await post({ 'webhook-id': 'msg_z', 'webhook-timestamp': String(now), 'webhook-signature': `v1,bm9wZQ== ${signWebhook(key, 'msg_z', now, body)}` }, body);
  assert.equal(fresh.status, 204, 'any one valid signature of several is enough (key rotation)');
  assert.ok(!stdout.includes('forged') || stdout.split('\n').filter((l) => l.includes('"forged"')).length === 1, 'only the valid one was handled');
});
