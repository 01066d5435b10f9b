/**
 * Prices, cost and usage through the real server, workers and stores (SQLite and PostgreSQL):
 * the operator's prices on the model entries, `cost` on a finished result with
 * ?include_cost=true (price × images, or × seconds of video), and GET /v1/usage per key.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../../src/api/app.ts';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { createContext } from '../../src/context.ts';
import type { Engine, EngineOutput } from '../../src/engines/engine.ts';
import { WorkerPool } from '../../src/worker/worker-pool.ts';
import { createHarness, MODELS, submitAndWait, tempDir, testConfig, waitFor, type Harness } from '../support/harness.ts';
import { SMALL_PNG_DATA_URI } from '../support/models.ts';
import { PostgresSchemas, reachable } from '../support/postgres-schemas.ts';
import { createTestEngine } from '../support/test-engine.ts';

/** A real 1.5 s MP4: its length is measured with ffprobe when the engine does not report one. */
const CLIP = readFileSync(new URL('../inputs/fixtures/tiny-96x64-1.5s.mp4', import.meta.url));

/** Stands in for `builtin` (which runs the video model): "reported=N" in promptText reports N seconds, else the worker measures. */
function clipEngine(): Engine {
  return {
    name: 'builtin',
    type: 'test',
    async run(job) {
      const reported = /reported=(\d+(?:\.\d+)?)/.exec(String(job.input.promptText ?? ''))?.[1];
      const clip: EngineOutput = { kind: 'video', contentType: 'video/mp4', extension: 'mp4', data: CLIP };
      return [reported === undefined ? clip : { ...clip, durationSeconds: Number(reported) }];
    },
  };
}

const PRICES = {
  models: {
    [MODELS.dreamina]: { price: { usd: 0.03, unit: 'output' } },
    [MODELS.runway]: { price: { usd: 0.2, note: 'Twenty cents a second of video.' } },
  },
  default_price: { usd: 0.01 },
};

const dir = tempDir('modelgate-pricing-');
let files = 0;
/** Writes a MODELGATE_CONFIG file and returns the env that names it. */
function configEnv(content: unknown): Record<string, string> {
  const path = join(dir.path, `config-${++files}.json`);
  writeFileSync(path, JSON.stringify(content));
  return { MODELGATE_CONFIG: path };
}
const schemas = new PostgresSchemas();
after(async () => {
  await schemas.dropAll();
  dir.remove();
});

async function pricedHarness(backend: 'SQLite' | 'PostgreSQL'): Promise<Harness> {
  const store = backend === 'PostgreSQL' ? await schemas.open('pricing') : undefined;
  return createHarness({
    env: configEnv(PRICES),
    engines: { builtin: clipEngine(), onnx: createTestEngine('onnx') },
    ...(store ? { store } : {}),
  });
}

async function run(h: Harness, auth: Harness['auth'], model: string, body: unknown): Promise<string> {
  const submitted = await h.app.inject({ method: 'POST', url: `/v1/models/${model}`, headers: auth, payload: body as object });
  assert.equal(submitted.statusCode, 200, submitted.body);
  const id = submitted.json().request_id as string;
  await waitFor(async () => (await h.app.inject({ method: 'GET', url: `/v1/requests/${id}/result`, headers: auth })).json().status, (s) => s === 'succeeded' || s === 'failed', 15_000);
  return id;
}

const get = async (h: Harness, url: string, auth = h.auth) => h.app.inject({ method: 'GET', url, headers: auth });
const DAY = 86_400_000;
const isoDay = (at: number) => new Date(at).toISOString().slice(0, 10);

for (const backend of ['SQLite', 'PostgreSQL'] as const) {
  const skip = backend === 'PostgreSQL' && reachable !== true ? `cannot connect to PostgreSQL: ${String(reachable)}` : false;

  describe(`prices, cost and usage (${backend})`, { skip }, () => {
    let h: Harness;
    before(async () => {
      h = await pricedHarness(backend);
      h.startWorkers(1);
    });
    after(() => h?.close());

    test('model entries carry the operator’s price: its own, the default (unit from the model’s kind), a note', async () => {
      const { models } = (await get(h, '/v1/models')).json() as { models: Array<Record<string, unknown>> };
      const byId = Object.fromEntries(models.map((m) => [m.model_id, [m.base_price_usd, m.price_unit, m.pricing_note]]));
      assert.deepEqual(byId, {
        [MODELS.dreamina]: [0.03, 'output', '0.03 USD per output image, as set by the operator of this server.'],
        [MODELS.runway]: [0.2, 'second', 'Twenty cents a second of video.'],
        [MODELS.seedream]: [0.01, 'output', '0.01 USD per output image, as set by the operator of this server.'],
        [MODELS.reframe]: [0.01, 'output', '0.01 USD per output image, as set by the operator of this server.'],
      });
      const detail = (await get(h, `/v1/models/${MODELS.runway}`)).json();
      assert.deepEqual([detail.base_price_usd, detail.price_unit], [0.2, 'second']);
    });

    test('a finished job’s cost is price × images made, only when asked with include_cost', async () => {
      const id = await run(h, h.auth, MODELS.dreamina, { prompt: 'images=3' });
      const plain = (await get(h, `/v1/requests/${id}/result`)).json();
      assert.equal(plain.status, 'succeeded');
      assert.equal(plain.output.images.length, 3);
      assert.equal('cost' in plain, false, 'without the flag the answer is unchanged');
      for (const flag of ['true', '1', 'True']) assert.equal((await get(h, `/v1/requests/${id}/result?include_cost=${flag}`)).json().cost, 0.09, flag);
      for (const flag of ['false', '0']) assert.equal('cost' in (await get(h, `/v1/requests/${id}/result?include_cost=${flag}`)).json(), false, flag);
      const bad = await get(h, `/v1/requests/${id}/result?include_cost=maybe`);
      assert.equal(bad.statusCode, 422);
      assert.equal(bad.json().error_code, 422001);
      assert.deepEqual(bad.json().detail.map((d: { loc: unknown[] }) => d.loc), [['query', 'include_cost']]);
    });

    test('video is priced per second: the engine’s reported length, else the MP4 measured', async () => {
      const measured = await run(h, h.auth, MODELS.runway, { promptText: 'a slow pan', promptImage: SMALL_PNG_DATA_URI });
      assert.equal((await get(h, `/v1/requests/${measured}/result?include_cost=true`)).json().cost, 0.3, '0.2 USD × 1.5 s');
      const reported = await run(h, h.auth, MODELS.runway, { promptText: 'reported=10', promptImage: SMALL_PNG_DATA_URI });
      assert.equal((await get(h, `/v1/requests/${reported}/result?include_cost=true`)).json().cost, 2, '0.2 USD × 10 s');
    });

    test('failed and cancelled jobs cost 0; an unfinished one has no cost yet', async () => {
      const failed = await run(h, h.auth, MODELS.dreamina, { prompt: 'fail' });
      assert.equal((await get(h, `/v1/requests/${failed}/result?include_cost=true`)).json().cost, 0);

      const busy = (await h.app.inject({ method: 'POST', url: `/v1/models/${MODELS.dreamina}`, headers: h.auth, payload: { prompt: 'sleep=800' } })).json().request_id;
      const queued = (await h.app.inject({ method: 'POST', url: `/v1/models/${MODELS.dreamina}`, headers: h.auth, payload: { prompt: 'x' } })).json().request_id;
      const running = await waitFor(async () => (await get(h, `/v1/requests/${busy}/result?include_cost=true`)).json(), (r) => r.status === 'in_progress');
      assert.equal('cost' in running, false);
      assert.equal((await h.app.inject({ method: 'POST', url: `/v1/requests/${queued}/cancel`, headers: h.auth })).json().outcome, 'cancelled');
      assert.equal((await get(h, `/v1/requests/${queued}/result?include_cost=true`)).json().cost, 0);
      await waitFor(async () => (await get(h, `/v1/requests/${busy}/result`)).json().status, (s) => s === 'succeeded', 10_000);
    });

    test('GET /v1/usage sums one key’s jobs, outputs, seconds and cost, in total, by model and by day; another key’s never appear', async () => {
      const a = await h.newKey('team-a');
      const b = await h.newKey('team-b');
      await run(h, a.auth, MODELS.dreamina, { prompt: 'images=2' });
      await run(h, a.auth, MODELS.seedream, { prompt: 'one image' });
      const last = await run(h, a.auth, MODELS.runway, { promptText: 'reported=5', promptImage: SMALL_PNG_DATA_URI });
      await run(h, a.auth, MODELS.dreamina, { prompt: 'fail' });
      await run(h, b.auth, MODELS.dreamina, { prompt: 'images=4' });
      const finished = Date.parse((await get(h, `/v1/requests/${last}/result`, a.auth)).json().finished_at);
      const window = `from=${isoDay(finished - DAY)}&to=${isoDay(finished + DAY)}`;

      const total = (await get(h, `/v1/usage?${window}`, a.auth)).json();
      assert.deepEqual(total, {
        from: `${isoDay(finished - DAY)}T00:00:00.000Z`,
        to: `${isoDay(finished + 2 * DAY)}T00:00:00.000Z`,
        group_by: null,
        totals: { jobs: 4, outputs: 4, seconds: 5, cost_usd: 1.07 },
        groups: [],
      });
      const byModel = (await get(h, `/v1/usage?${window}&group_by=model`, a.auth)).json();
      assert.deepEqual(byModel.groups, [
        { model_id: MODELS.dreamina, jobs: 2, outputs: 2, seconds: 0, cost_usd: 0.06 },
        { model_id: MODELS.seedream, jobs: 1, outputs: 1, seconds: 0, cost_usd: 0.01 },
        { model_id: MODELS.runway, jobs: 1, outputs: 1, seconds: 5, cost_usd: 1 },
      ], 'ordered by model id');
      assert.deepEqual(byModel.totals, total.totals);
      const byDay = (await get(h, `/v1/usage?${window}&group_by=day`, a.auth)).json();
      assert.deepEqual(byDay.groups, [{ day: isoDay(finished), jobs: 4, outputs: 4, seconds: 5, cost_usd: 1.07 }]);

      assert.deepEqual((await get(h, `/v1/usage?${window}&group_by=model`, b.auth)).json().groups, [{ model_id: MODELS.dreamina, jobs: 1, outputs: 4, seconds: 0, cost_usd: 0.12 }]);
      const fresh = await h.newKey('nobody');
      assert.deepEqual((await get(h, '/v1/usage', fresh.auth)).json().totals, { jobs: 0, outputs: 0, seconds: 0, cost_usd: 0 });
      assert.equal((await h.app.inject({ method: 'GET', url: '/v1/usage' })).statusCode, 401);
    });

    test('GET /v1/usage: the default window is the last 30 days; a bad value is 422001 naming it', async () => {
      const before = Date.now();
      const answer = (await get(h, '/v1/usage')).json();
      const to = Date.parse(answer.to);
      assert.ok(to >= before && to <= Date.now(), answer.to);
      assert.equal(to - Date.parse(answer.from), 30 * DAY);
      const cases: Array<[string, string]> = [
        ['from=yesterday', 'from'],
        ['from=2026-02-30', 'from'],
        ['to=2026-01-01T25:00:00Z', 'to'],
        ['from=2026-02-01&to=2026-01-01', 'from'],
        ['group_by=week', 'group_by'],
        ['from=2026-01-01&from=2026-01-02', 'from'],
      ];
      for (const [query, name] of cases) {
        const response = await get(h, `/v1/usage?${query}`);
        assert.equal(response.statusCode, 422, query);
        assert.equal(response.json().error_code, 422001, query);
        assert.deepEqual(response.json().detail.map((d: { loc: unknown[] }) => d.loc), [['query', name]], query);
      }
      const offset = (await get(h, '/v1/usage?from=2026-01-01T02:00:00%2B02:00&to=2026-01-02')).json();
      assert.deepEqual([offset.from, offset.to], ['2026-01-01T00:00:00.000Z', '2026-01-03T00:00:00.000Z'], 'an offset is honoured; a bare `to` date includes its day');
    });
  });
}

describe('a price change', () => {
  test('never changes the cost of a job that already settled (the same data, restarted with a new price)', async () => {
    const data = tempDir('modelgate-reprice-');
    const open = async (usd: number) => {
      const ctx = await createContext(testConfig(data.path, configEnv({ models: { [MODELS.dreamina]: { price: { usd } } } })), { engines: { builtin: clipEngine(), onnx: createTestEngine('onnx') } });
      return { ctx, app: await buildApp(ctx) };
    };
    try {
      const first = await open(0.05);
      const { key } = await createApiKey(first.ctx.store, 'reprice');
      const h = { app: first.app, auth: { authorization: `Bearer ${key}` } } as Harness;
      const pool = new WorkerPool(first.ctx, { concurrency: 1, shutdownGraceMs: 100 });
      pool.start();
      const result = await submitAndWait(h, MODELS.dreamina, { prompt: 'images=2' });
      await pool.stop();
      await first.app.close();
      await first.ctx.close();
      const id = result.request_id as string;

      const second = await open(1);
      try {
        const entry = (await second.app.inject({ method: 'GET', url: `/v1/models/${MODELS.dreamina}`, headers: h.auth })).json();
        assert.equal(entry.base_price_usd, 1, 'the new price is in force');
        const settled = (await second.app.inject({ method: 'GET', url: `/v1/requests/${id}/result?include_cost=true`, headers: h.auth })).json();
        assert.equal(settled.cost, 0.1, '2 images at the 0.05 USD of the time they were made');
      } finally {
        await second.app.close();
        await second.ctx.close();
      }
    } finally {
      data.remove();
    }
  });
});
