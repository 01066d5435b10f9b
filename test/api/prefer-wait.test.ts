/**
 * `Prefer: wait=N` on a submit: the answer holds until the job finishes (output or error in it)
 * or N seconds pass (then its status as it is), with Preference-Applied; holds are bounded and
 * end at shutdown and when the client leaves. Settles made by another process wake the hold
 * through PostgreSQL's NOTIFY, and through the slow re-read where the store cannot (SQLite).
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../../src/api/app.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';
import { FALLBACK_POLL_MS } from '../../src/jobs/wait-for-settle.ts';
import { createHarness, type Harness, MODELS } from '../support/harness.ts';
import { PostgresSchemas, reachable, TEST_DATABASE_URL } from '../support/postgres-schemas.ts';

type Json = Record<string, any>;

async function submit(h: Harness, prefer: string | undefined, prompt: string) {
  const started = Date.now();
  const res = await h.app.inject({ method: 'POST', url: `/v1/models/${MODELS.dreamina}`, headers: { ...h.auth, ...(prefer ? { prefer } : {}) }, payload: { prompt } });
  assert.equal(res.statusCode, 200, res.body);
  return { body: res.json() as Json, applied: res.headers['preference-applied'], ms: Date.now() - started };
}

/** Completes the job in `store` (another instance over the same data: another process's worker). */
async function settleElsewhere(store: Store, id: string): Promise<void> {
  const claimed = await store.claimNext('elsewhere', 60_000, Date.now());
  assert.equal(claimed?.id, id);
  assert.equal(await store.complete(id, claimed.attempt, [{ key: `outputs/${id}/1-ab/0.png`, kind: 'image', contentType: 'image/png' }], Date.now()), true);
}

describe('Prefer: wait', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({ env: { MODELGATE_MAX_WAITING_REQUESTS: '2' } });
  });
  after(() => h.close());

  test('answers with the output once the job succeeds, long before N, as the result route shows it', async () => {
    const pool = h.startWorkers(1);
    try {
      const { body, applied, ms } = await submit(h, 'wait=20', 'sleep=300');
      assert.equal(applied, 'wait=20');
      assert.equal(body.status, 'completed');
      assert.ok(ms < 10_000, `${ms} ms`);
      const result = (await h.app.inject({ method: 'GET', url: `/v1/requests/${body.request_id}/result`, headers: h.auth })).json();
      assert.deepEqual(body.output, result.output);
      for (const field of ['request_id', 'status_url', 'result_url', 'cancel_url']) assert.ok(typeof body[field] === 'string', field);
      const failed = await submit(h, 'respond-async, wait=20', 'fail');
      assert.equal(failed.applied, 'wait=20');
      assert.equal(failed.body.status, 'completed');
      assert.equal(failed.body.error.type, 'test_failure');
      assert.equal(failed.body.output, undefined);
    } finally {
      await pool.stop();
    }
  });

  test('times out cleanly: after N seconds the answer is the status as it is', async () => {
    const { body, applied, ms } = await submit(h, 'wait=1', 'queued, nobody runs it');
    assert.equal(applied, 'wait=1');
    assert.equal(body.status, 'in_queue');
    assert.equal(body.output, undefined);
    assert.ok(ms >= 950 && ms < 5_000, `${ms} ms`);
  });

  test('a request deleted while its submit waits: the submit still answers 200, at once', async () => {
    const answering = submit(h, 'wait=20', 'deleted while held');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [job] = await h.ctx.store.listJobs({ ownerKeyId: h.keyId, limit: 1 });
    const deleted = await h.app.inject({ method: 'DELETE', url: `/v1/requests/${job!.id}`, headers: h.auth });
    assert.equal(deleted.statusCode, 200, deleted.body);
    const { body, ms } = await answering;
    assert.equal(body.request_id, job!.id);
    assert.ok(body.status === undefined || body.status === 'cancelled', JSON.stringify(body));
    assert.ok(ms < 5_000, `${ms} ms`);
  });

  test('a value outside 1..60 is ignored, as RFC 7240 lets a server ignore a preference', async () => {
    for (const prefer of ['wait=0', 'wait=61', 'wait=abc', 'wait=', 'return=minimal']) {
      const { body, applied, ms } = await submit(h, prefer, 'x');
      assert.equal(applied, undefined, prefer);
      assert.equal(body.status, undefined, prefer);
      assert.ok(ms < 900, `${prefer}: ${ms} ms`);
    }
  });

  test('holds are bounded per server: past MODELGATE_MAX_WAITING_REQUESTS the submit answers at once', async () => {
    const held = [submit(h, 'wait=2', 'a'), submit(h, 'wait=2', 'b')];
    await new Promise((resolve) => setTimeout(resolve, 200));
    const third = await submit(h, 'wait=2', 'c');
    assert.equal(third.applied, undefined);
    assert.ok(third.ms < 900, `${third.ms} ms`);
    for (const answer of await Promise.all(held)) assert.equal(answer.applied, 'wait=2');
    assert.equal((await submit(h, 'wait=1', 'd')).applied, 'wait=1', 'the holds were given back');
  });

  test('a client that goes away gives its hold back; shutdown (draining) ends every hold at once', async () => {
    const draining = new AbortController();
    const app = await buildApp(h.ctx, { draining: draining.signal });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const post = (onResponse: (status: number, body: string, headers: Record<string, unknown>) => void) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: `/v1/models/${MODELS.dreamina}`, headers: { ...h.auth, prefer: 'wait=30', 'content-type': 'application/json' } }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => onResponse(res.statusCode ?? 0, body, res.headers));
      });
      req.on('error', () => {});
      req.end(JSON.stringify({ prompt: 'x' }));
      return req;
    };
    try {
      // Two clients hold both places, then leave; two new holds must get them.
      const leaving = [post(() => {}), post(() => {})];
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (const req of leaving) req.destroy();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const answers = [0, 1].map(() => new Promise<{ status: number; body: string; headers: Record<string, unknown>; at: number }>((resolve) => post((status, body, headers) => resolve({ status, body, headers, at: Date.now() }))));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const abortedAt = Date.now();
      draining.abort();
      for (const answer of await Promise.all(answers)) {
        assert.equal(answer.status, 200, answer.body);
        assert.equal(answer.headers['preference-applied'], 'wait=30', 'held, so the places were given back by the clients that left');
        assert.equal(JSON.parse(answer.body).status, 'in_queue');
        assert.ok(answer.at - abortedAt < 2_000, `answered ${answer.at - abortedAt} ms after draining began`);
      }
    } finally {
      await app.close();
    }
  });

  test('SQLite: a settle in another process is seen by the slow re-read (no cross-process wake-ups)', async () => {
    assert.equal(h.ctx.store.capabilities.crossProcessSettleWakeups, false);
    const other = await SqliteStore.open({ path: join(h.ctx.config.dataDir, 'modelgate.db'), synchronous: 'FULL' });
    try {
      // Clear the queue of earlier tests' jobs first, so the other instance claims ours.
      while (await other.claimNext('drain', 60_000, Date.now())) {}
      const answering = submit(h, 'wait=20', 'settled elsewhere');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const [job] = await other.listJobs({ ownerKeyId: h.keyId, limit: 1 });
      await settleElsewhere(other, job!.id);
      const { body, ms } = await answering;
      assert.equal(body.request_id, job!.id);
      assert.equal(body.status, 'completed');
      assert.ok(ms < 300 + FALLBACK_POLL_MS + 2_000, `${ms} ms`);
    } finally {
      await other.close();
    }
  });
});

describe('Prefer: wait over PostgreSQL', { skip: reachable === true ? false : `cannot connect to ${TEST_DATABASE_URL}: ${String(reachable)}` }, () => {
  const schemas = new PostgresSchemas();
  after(() => schemas.dropAll());

  test('a settle by another process wakes the hold through NOTIFY, well before the slow re-read would', async () => {
    const h = await createHarness({ store: await schemas.open('wait') });
    const other = await schemas.open('wait');
    try {
      assert.equal(h.ctx.store.capabilities.crossProcessSettleWakeups, true);
      const answering = submit(h, 'wait=20', 'settled elsewhere');
      let id: string | undefined;
      while (!id) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        id = (await other.listJobs({ ownerKeyId: h.keyId, limit: 1 }))[0]?.id;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      const settledAt = Date.now();
      await settleElsewhere(other, id);
      const { body } = await answering;
      const lag = Date.now() - settledAt;
      assert.equal(body.status, 'completed');
      assert.ok(lag < 900, `answered ${lag} ms after the other process settled (the hold is woken, not polled)`);
    } finally {
      await other.close();
      await h.close();
    }
  });
});
