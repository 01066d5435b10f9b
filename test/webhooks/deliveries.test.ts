/**
 * Webhooks through the real API, workers and delivery loop, on SQLite and on PostgreSQL: signed
 * deliveries checked with node:crypto (not the server's signing code), retries, what is never
 * retried or followed, and what a submit refuses. Receivers listen on 127.0.0.1, allowed the way
 * file-input tests allow their servers (MODELGATE_INPUT_ALLOW_HTTP / _ALLOW_HOSTS).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import type { Store } from '../../src/store/store.ts';
import { webhookSecret } from '../../src/webhooks/secret.ts';
import { createHarness, MODELS, waitFor, type Harness } from '../support/harness.ts';
import { PostgresSchemas, reachable } from '../support/postgres-schemas.ts';
import { stubResolver } from '../support/stub-resolver.ts';
import { startReceiver, verifiedIndependently, type Receiver } from './receiver.ts';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const schemas = new PostgresSchemas();
after(() => schemas.dropAll());

type Backend = { name: string; open?: (name: string) => Promise<Store> };
const backends: Backend[] = [{ name: 'SQLite' }];
if (reachable === true) backends.push({ name: 'PostgreSQL', open: (name) => schemas.open(name) });
else test(`webhooks on PostgreSQL (skipped: ${reachable})`, { skip: true }, () => {});

let databases = 0;

for (const backend of backends) {
  describe(`webhooks (${backend.name})`, () => {
    let receiver: Receiver;
    let h: Harness;

    beforeEach(async () => {
      receiver = await startReceiver();
      h = await createHarness({
        env: {
          MODELGATE_INPUT_ALLOW_HTTP: '1',
          MODELGATE_INPUT_ALLOW_HOSTS: `127.0.0.1:${receiver.port}`,
          MODELGATE_POLL_INTERVAL_MS: '50',
          MODELGATE_WEBHOOK_RETRY_BASE_MS: '50',
          MODELGATE_WEBHOOK_CONCURRENCY: '2',
          MODELGATE_WEBHOOK_SECRET: SECRET,
        },
        resolver: stubResolver({ 'hooks.example': ['10.1.2.3'], 'public.example': ['93.184.216.34'] }).resolve,
        ...(backend.open ? { store: await backend.open(`wh${++databases}`) } : {}),
      });
      h.startWorkers(1);
    });
    afterEach(async () => {
      await h.close();
      await receiver.close();
    });

    const submit = (query: string, body: unknown = { prompt: 'a cat' }, headers: Record<string, string> = {}) =>
      h.app.inject({ method: 'POST', url: `/v1/models/${MODELS.dreamina}?${query}`, headers: { ...h.auth, 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) });
    const result = async (id: string) => (await h.app.inject({ method: 'GET', url: `/v1/requests/${id}/result`, headers: h.auth })).json();
    const settledWebhook = (id: string) => waitFor(() => result(id), (r) => r.webhook?.state === 'delivered' || r.webhook?.state === 'failed', 15_000, 25);
    const hook = (path = '/hook') => encodeURIComponent(receiver.url(path));

    test('a completed delivery: signed (checked with node:crypto), the result JSON as body, Standard Webhooks headers; the result then shows delivered', async () => {
      const submitted = await submit(`webhook=${hook()}`);
      assert.equal(submitted.statusCode, 200, submitted.body);
      const id = submitted.json().request_id as string;
      const final = await settledWebhook(id);
      assert.deepEqual(final.webhook, { state: 'delivered', attempts: 1 });
      assert.equal(receiver.received.length, 1);
      const [delivery] = receiver.received;
      assert.ok(delivery);
      assert.equal(delivery.path, '/hook');
      assert.equal(delivery.headers['content-type'], 'application/json');
      assert.match(String(delivery.headers['webhook-id']), /^msg_\d+$/);
      assert.ok(Math.abs(Number(delivery.headers['webhook-timestamp']) - Date.now() / 1000) < 30, 'Unix seconds of the attempt');
      assert.match(String(delivery.headers['user-agent']), /ModelGate/);
      assert.ok(verifiedIndependently(SECRET, delivery), 'the HMAC-SHA256 of id.timestamp.body under the whsec_ key');
      assert.equal(verifiedIndependently(`whsec_${randomBytes(32).toString('base64')}`, delivery), false, 'and not under another key');
      const body = JSON.parse(delivery.body);
      assert.equal(body.status, 'succeeded');
      assert.deepEqual(body.webhook, { state: 'delivering', attempts: 1 }, 'the body reports the attempt it is');
      assert.deepEqual({ ...body, webhook: undefined }, { ...final, webhook: undefined }, 'exactly the result route JSON');
    });

    test('a 500 is retried with the same webhook-id and a fresh timestamp and signature', async () => {
      receiver.answer({ status: 500 }, { status: 200 });
      const id = (await submit(`webhook=${hook()}`)).json().request_id as string;
      const final = await settledWebhook(id);
      assert.deepEqual(final.webhook, { state: 'delivered', attempts: 2 });
      const [first, second] = receiver.received;
      assert.ok(first && second);
      assert.equal(receiver.received.length, 2);
      assert.equal(second.headers['webhook-id'], first.headers['webhook-id']);
      assert.ok(verifiedIndependently(SECRET, first) && verifiedIndependently(SECRET, second));
      assert.deepEqual(JSON.parse(second.body).webhook, { state: 'delivering', attempts: 2 });
      const metrics = await h.ctx.metrics.registry.metrics();
      assert.match(metrics, /modelgate_webhook_deliveries_total\{event="completed",outcome="retrying"\} 1/);
      assert.match(metrics, /modelgate_webhook_deliveries_total\{event="completed",outcome="delivered"\} 1/);
      assert.match(metrics, /modelgate_webhook_delivery_seconds_count\{event="completed"\} 1/);
    });

    test('a 4xx is not retried, and a redirect is not followed (both fail at once)', async () => {
      receiver.answer({ status: 400 });
      const refused = (await submit(`webhook=${hook('/refuses')}`)).json().request_id as string;
      assert.deepEqual((await settledWebhook(refused)).webhook, { state: 'failed', attempts: 1 });

      receiver.answer({ status: 302, headers: { location: receiver.url('/elsewhere') } });
      const redirected = (await submit(`webhook=${hook('/moved')}`)).json().request_id as string;
      assert.deepEqual((await settledWebhook(redirected)).webhook, { state: 'failed', attempts: 1 });
      // Retries here come after at most 50-100 ms: a wrongly retried one would have arrived.
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.deepEqual(receiver.received.map((r) => r.path), ['/refuses', '/moved']);
    });

    test('start, progress and completed events when asked for; start and progress carry the status JSON', async () => {
      const id = (await submit(`webhook=${hook()}&webhook_events_filter=start,progress,completed`, { prompt: 'sleep=400' })).json().request_id as string;
      await settledWebhook(id);
      await waitFor(() => receiver.received.length, (n) => n >= 2, 5_000);
      const bodies = receiver.received.map((r) => JSON.parse(r.body));
      assert.ok(receiver.received.every((r) => verifiedIndependently(SECRET, r)));
      const start = bodies.find((b) => b.status === 'in_progress' && b.progress === undefined) ?? bodies.find((b) => b.status === 'in_progress');
      assert.ok(start, `a start event: ${JSON.stringify(bodies)}`);
      assert.equal(start.request_id, id);
      assert.ok(typeof start.status_url === 'string', 'the status route JSON');
      assert.ok(bodies.some((b) => b.status === 'succeeded'), 'the completed event');
      const ids = new Set(receiver.received.map((r) => r.headers['webhook-id']));
      assert.equal(ids.size, receiver.received.length, 'each event is a delivery of its own');
    });
  });
}

describe('webhooks at submit (SQLite)', () => {
  let h: Harness;
  let receiver: Receiver;
  const dns = stubResolver({ 'hooks.example': ['10.1.2.3'], 'mixed.example': ['93.184.216.34', '127.0.0.1'], 'public.example': ['93.184.216.34'] });
  beforeEach(async () => {
    receiver = await startReceiver();
    h = await createHarness({ env: { MODELGATE_POLL_INTERVAL_MS: '50' }, resolver: dns.resolve });
  });
  afterEach(async () => {
    await h.close();
    await receiver.close();
  });
  const submit = (query: string, headers: Record<string, string> = {}) =>
    h.app.inject({ method: 'POST', url: `/v1/models/${MODELS.dreamina}?${query}`, headers: { ...h.auth, 'content-type': 'application/json', ...headers }, payload: JSON.stringify({ prompt: 'a cat' }) });
  const refusal = async (query: string, param = 'webhook') => {
    const res = await submit(query);
    assert.equal(res.statusCode, 422, `${query}: ${res.body}`);
    const body = res.json();
    assert.equal(body.error_code, 422001);
    assert.deepEqual(body.detail[0].loc, ['query', param]);
    return body.detail[0] as { msg: string; type: string };
  };

  test('a private address is refused at submit (DNS asked through the stub), and nothing is contacted', async () => {
    assert.match((await refusal(`webhook=${encodeURIComponent('https://hooks.example/in')}`)).msg, /private network/);
    assert.match((await refusal(`webhook=${encodeURIComponent('https://mixed.example/in')}`)).msg, /loopback/, 'any non-public answer refuses');
    assert.match((await refusal(`webhook=${encodeURIComponent(receiver.url())}`)).msg, /https|loopback/, 'http to loopback without the allow settings');
    assert.match((await refusal(`webhook=${encodeURIComponent('https://169.254.169.254/latest')}`)).msg, /link-local/);
    assert.match((await refusal(`webhook=${encodeURIComponent('http://public.example/in')}`)).msg, /https/);
    assert.match((await refusal(`webhook=${encodeURIComponent(`https://public.example/${'a'.repeat(2100)}`)}`)).msg, /longer than 2048/);
    assert.equal((await refusal(`webhook=not-a-url`)).type, 'webhook_bad_url');
    assert.equal(receiver.received.length, 0);
    assert.equal(dns.count('hooks.example'), 1);
  });

  test('the events filter: unknown names and a filter without a webhook are refused naming webhook_events_filter', async () => {
    const unknown = await refusal(`webhook=${encodeURIComponent('https://public.example/in')}&webhook_events_filter=completed,logs`, 'webhook_events_filter');
    assert.match(unknown.msg, /"logs"/);
    await refusal('webhook_events_filter=completed', 'webhook_events_filter');
    const ok = await submit(`webhook=${encodeURIComponent('https://public.example/in')}&webhook_events_filter=start&webhook_events_filter=completed`);
    assert.equal(ok.statusCode, 200, ok.body);
    const result = (await h.app.inject({ method: 'GET', url: `/v1/requests/${ok.json().request_id}/result`, headers: h.auth })).json();
    assert.deepEqual(result.webhook, { state: 'pending', attempts: 0 }, 'queued: nothing sent yet');
    const plain = await submit('');
    assert.equal((await h.app.inject({ method: 'GET', url: `/v1/requests/${plain.json().request_id}/result`, headers: h.auth })).json().webhook, undefined, 'no webhook, no field');
  });

  test('Idempotency-Key: the webhook is part of the request, so another webhook under the same key is a mismatch', async () => {
    const url = (path: string) => `webhook=${encodeURIComponent(`https://public.example/${path}`)}`;
    const first = await submit(url('a'), { 'idempotency-key': 'hook-1' });
    assert.equal(first.statusCode, 200);
    const replay = await submit(url('a'), { 'idempotency-key': 'hook-1' });
    assert.equal(replay.json().request_id, first.json().request_id);
    const other = await submit(url('b'), { 'idempotency-key': 'hook-1' });
    assert.equal(other.statusCode, 422);
    assert.deepEqual(other.json().detail[0].loc, ['header', 'idempotency-key']);
  });

  test('without MODELGATE_WEBHOOK_SECRET, a secret is made once, stored, and signs deliveries', async () => {
    const a = await webhookSecret(h.ctx.config.webhooks, h.ctx.store);
    const b = await webhookSecret(h.ctx.config.webhooks, h.ctx.store);
    assert.equal(a.source, 'database');
    assert.equal(a.text, b.text);
    assert.match(a.text, /^whsec_[A-Za-z0-9+/]{43}=$/);
  });
});
