/**
 * The comfyui engine when servers misbehave, over real HTTP and websockets on loopback: a server
 * killed mid-job puts the job back in the queue (one unit of its retry budget) and it completes on
 * a second server; a dropped websocket loses nothing (the job is followed by /history until the
 * socket is back); a shutdown interrupts our running prompt and dequeues our pending one;
 * dispatch goes to the least-loaded healthy server.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { ComfyUIDouble } from '../support/comfyui-double.ts';
import { MODELS, waitFor } from '../support/harness.ts';
import { SMALL_PNG_DATA_URI } from '../support/models.ts';
import { comfyHarness, finished, status, submit, WAIT_MS, type ComfyHarness } from './comfyui-helpers.ts';

const doubles: ComfyUIDouble[] = [];
const harnesses: ComfyHarness[] = [];

async function double(options: Parameters<typeof ComfyUIDouble.start>[0] = {}): Promise<ComfyUIDouble> {
  const started = await ComfyUIDouble.start(options);
  doubles.push(started);
  return started;
}

async function harness(...args: Parameters<typeof comfyHarness>): Promise<ComfyHarness> {
  const h = await comfyHarness(...args);
  harnesses.push(h);
  return h;
}

after(async () => {
  for (const h of harnesses) {
    await h.close();
    h.removeConfig();
  }
  for (const d of doubles) await d.close();
});

const onSomeServer = (servers: ComfyUIDouble[]) => () => servers.find((s) => s.running !== undefined);

describe('comfyui engine: failover', () => {
  test('killing the server mid-job puts the job back in the queue and it completes on the second server', async () => {
    const [a, b] = [await double(), await double()];
    a.hold();
    b.hold();
    const h = await harness([a.url, b.url]);
    h.startWorkers(1);
    const id = await submit(h, MODELS.dreamina, { prompt: 'a lighthouse at dusk' });
    const victim = await waitFor(onSomeServer([a, b]), (s) => s !== undefined, WAIT_MS, 10);
    const survivor = victim === a ? b : a;
    await waitFor(() => status(h, id), (s) => s.status === 'in_progress' && Number(s.progress) > 0, WAIT_MS, 25);
    survivor.release();
    await victim!.kill();

    const r = await finished(h, id);
    assert.equal(r.status, 'succeeded', JSON.stringify(r));
    const job = await h.ctx.store.getJob(id, h.keyId);
    assert.deepEqual([job?.attempt, job?.lostLeases], [2, 1], 'a second attempt, one unit of the retry budget spent');
    assert.equal(victim!.accepted.length, 1);
    assert.equal(survivor.accepted.length, 1, 'the second attempt ran on the other server');
    assert.notEqual(survivor.accepted[0]!.promptId, victim!.accepted[0]!.promptId, 'each attempt has its own prompt_id');
  });

  test('a job whose servers all die fails once its retry budget is spent, with the reason', async () => {
    const c = await double();
    c.hold();
    const h = await harness([c.url], { unavailable_wait_ms: 300 }, { MODELGATE_MAX_ATTEMPTS: '2' });
    h.startWorkers(1);
    const id = await submit(h, MODELS.dreamina, { prompt: 'a storm' });
    await waitFor(() => c.running, (running) => running !== undefined, WAIT_MS, 10);
    await c.kill();
    const r = await finished(h, id);
    assert.equal(r.status, 'failed');
    assert.equal(r.error.type, 'comfyui_unavailable');
    assert.match(r.error.message, /No ComfyUI server could take the job .*MODELGATE_MAX_ATTEMPTS/);
    const job = await h.ctx.store.getJob(id, h.keyId);
    assert.equal(job?.lostLeases, 2);
  });

  test('a dropped websocket loses nothing: the job is followed by /history until the socket is back', async () => {
    const d = await double();
    d.hold();
    // Rare reconciling while the socket is up: if the fallback polling did not work, the job would hang.
    const h = await harness([d.url], { reconcile_interval_ms: 600_000 });
    h.startWorkers(1);
    const id = await submit(h, MODELS.seedream, { prompt: 'a fox', resolution: '1600x2848 (9:16)' });
    await waitFor(() => status(h, id), (s) => s.status === 'in_progress' && Number(s.progress) > 0, WAIT_MS, 25);
    const connections = d.websocketConnections;
    d.refuseWebsockets = true;
    d.dropWebsockets();
    d.release(); // finishes while no socket is open: its events are lost
    const r = await finished(h, id);
    assert.equal(r.status, 'succeeded', JSON.stringify(r));
    assert.equal(d.websocketConnections, connections, 'it finished with the websocket still down');

    d.refuseWebsockets = false;
    await waitFor(() => d.openWebsockets, (open) => open === 1, WAIT_MS, 25);
    assert.ok(d.websocketConnections > connections, 'the engine reconnected');
    const next = await finished(h, await submit(h, MODELS.dreamina, { prompt: 'after the reconnect' }));
    assert.equal(next.status, 'succeeded', JSON.stringify(next));
  });

  test('a failure while the websocket is down is read from /history: the node\'s message, not a lost job', async () => {
    const d = await double();
    d.hold();
    const h = await harness([d.url], { reconcile_interval_ms: 600_000 });
    h.startWorkers(1);
    const id = await submit(h, MODELS.dreamina, { prompt: 'a broken decoder' });
    await waitFor(() => status(h, id), (s) => Number(s.progress) > 0, WAIT_MS, 25);
    d.refuseWebsockets = true;
    d.dropWebsockets();
    d.failNode('VAEDecode', 'decoder exploded');
    d.release();
    const r = await finished(h, id);
    assert.equal(r.status, 'failed');
    assert.deepEqual(r.error, { type: 'comfyui_execution_error', message: 'ComfyUI failed in node 8 (VAEDecode): RuntimeError: decoder exploded' });
    d.refuseWebsockets = false;
  });

  test('a websocket dropped mid-job is reopened with the same client_id and the job\'s events resume on it', async () => {
    const d = await double();
    d.hold();
    const h = await harness([d.url], { reconcile_interval_ms: 600_000 });
    h.startWorkers(1);
    const id = await submit(h, MODELS.reframe, { image: SMALL_PNG_DATA_URI, resolution: '640:1536 (5:12)' });
    await waitFor(() => status(h, id), (s) => s.status === 'in_progress' && Number(s.progress) > 0, WAIT_MS, 25);
    const connections = d.websocketConnections;
    d.dropWebsockets();
    await waitFor(() => [d.websocketConnections, d.openWebsockets], ([total, open]) => total! > connections && open === 1, WAIT_MS, 10);
    d.release();
    const r = await finished(h, id);
    assert.equal(r.status, 'succeeded', JSON.stringify(r));
    assert.equal(d.accepted.length, 1, 'the same prompt, not a second one');
  });

  test('a shutdown interrupts our running prompt and dequeues our pending one; both jobs go back to the queue', async () => {
    // A long history lag keeps the second prompt from starting right after the first is
    // interrupted, so the dequeue always meets it still pending, however loaded the machine.
    const e = await double({ historyLagMs: 5_000 });
    e.hold();
    const h = await harness([e.url]);
    const pool = h.startWorkers(2);
    const first = await submit(h, MODELS.dreamina, { prompt: 'first' });
    await waitFor(() => e.running, (running) => running !== undefined, WAIT_MS, 10);
    await waitFor(() => status(h, first), (s) => Number(s.progress) > 0, WAIT_MS, 25);
    const second = await submit(h, MODELS.dreamina, { prompt: 'second' });
    await waitFor(() => e.pendingIds.length, (n) => n === 1, WAIT_MS, 10);
    const [running, pending] = [e.running!, e.pendingIds[0]!];

    await pool.stop();
    assert.deepEqual(e.interrupts, [{ promptId: running, hit: true }], 'a targeted interrupt of the running prompt');
    assert.deepEqual(e.deleted, [pending], 'the pending prompt was removed from the ComfyUI queue');
    await waitFor(() => e.running, (r) => r === undefined, WAIT_MS, 10);
    for (const id of [first, second]) {
      const job = await h.ctx.store.getJob(id, h.keyId);
      assert.deepEqual([job?.state, job?.lostLeases], ['queued', 0], 'released without spending the retry budget');
    }
  });

  test('dispatch: the least-loaded healthy server; a dead server is skipped', async () => {
    const [f, g, dead] = [await double(), await double(), await double()];
    await dead.kill();
    f.hold();
    g.hold();
    const h = await harness([dead.url, f.url, g.url]);
    h.startWorkers(2);
    const ids = [await submit(h, MODELS.dreamina, { prompt: 'one' }), await submit(h, MODELS.dreamina, { prompt: 'two' })];
    await waitFor(() => [f.running, g.running], (running) => running.every((r) => r !== undefined), WAIT_MS, 10);
    assert.deepEqual([f.accepted.length, g.accepted.length], [1, 1], 'one job on each server, none queued behind the other');
    f.release();
    g.release();
    for (const id of ids) assert.equal((await finished(h, id)).status, 'succeeded');
  });

  test('dispatch counts other clients\' queue depth; a server that cuts /prompt is skipped for the next at once, spending no retry', async () => {
    const [busy, broken] = [await double(), await double()];
    busy.hold();
    // Another ComfyUI client keeps `busy` loaded: one prompt running, one pending.
    const other = { '1': { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 64, batch_size: 1 } }, '2': { class_type: 'KSampler', inputs: { model: ['1', 0], seed: 1, steps: 2, cfg: 1, sampler_name: 'euler', scheduler: 'simple', positive: ['1', 0], negative: ['1', 0], latent_image: ['1', 0], denoise: 1 } }, '3': { class_type: 'VAEDecode', inputs: { samples: ['2', 0], vae: ['1', 0] } }, '4': { class_type: 'SaveImage', inputs: { images: ['3', 0], filename_prefix: 'other' } } };
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${busy.url}/prompt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: other, client_id: 'someone-else' }) });
      assert.equal(res.status, 200);
    }
    broken.dropRequests.add('POST /prompt');
    const h = await harness([busy.url, broken.url]);
    h.startWorkers(1);
    const id = await submit(h, MODELS.dreamina, { prompt: 'queued behind others' });
    await waitFor(() => busy.pendingIds.length, (n) => n === 2, WAIT_MS, 10);
    assert.ok(broken.requests.includes('POST /prompt'), 'the less-loaded server was tried first');
    assert.equal(broken.accepted.length, 0);
    busy.release();
    const r = await finished(h, id);
    assert.equal(r.status, 'succeeded', JSON.stringify(r));
    const job = await h.ctx.store.getJob(id, h.keyId);
    assert.deepEqual([job?.attempt, job?.lostLeases], [1, 0], 'one attempt, no retry spent');
  });

  test('job_timeout_ms: the prompt is interrupted and the job fails with timeout', async () => {
    const t = await double();
    t.hold();
    const h = await harness([t.url], { job_timeout_ms: 1_500 });
    h.startWorkers(1);
    const id = await submit(h, MODELS.dreamina, { prompt: 'forever' });
    const r = await finished(h, id);
    assert.equal(r.status, 'failed');
    assert.equal(r.error.type, 'timeout');
    assert.match(r.error.message, /job_timeout_ms \(1500 ms\)/);
    assert.deepEqual(t.interrupts.map((i) => i.hit), [true], 'the running prompt was interrupted on the server');
  });
});
