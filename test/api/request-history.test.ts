/** GET /v1/requests: the wire shape the web console reads, paging, filters and refusals. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeCursor, encodeCursor } from '../../src/jobs/history.ts';
import { createHarness, type Harness, MODELS, submitAndWait } from '../support/harness.ts';

type Item = Record<string, any>;

async function page(h: Harness, query: string, auth = h.auth): Promise<{ requests: Item[]; next_cursor: string | null }> {
  const res = await h.app.inject({ method: 'GET', url: `/v1/requests${query}`, headers: auth });
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

describe('GET /v1/requests', () => {
  let h: Harness;
  let done: Item;
  before(async () => {
    h = await createHarness();
    h.startWorkers(1);
    done = await submitAndWait(h, MODELS.dreamina, { prompt: 'a cat' });
  });
  after(() => h.close());

  test('lists the caller’s requests newest first, each as the console reads it', async () => {
    const queued = (await h.app.inject({ method: 'POST', url: `/v1/models/${MODELS.dreamina}`, headers: h.auth, payload: { prompt: 'sleep=3000' } })).json();
    await h.app.inject({ method: 'POST', url: `/v1/requests/${queued.request_id}/cancel`, headers: h.auth });
    const { requests, next_cursor } = await page(h, '');
    assert.equal(next_cursor, null);
    assert.equal(requests[0]!.request_id, queued.request_id);
    assert.ok(['cancelled', 'in_progress'].includes(requests[0]!.status), requests[0]!.status);
    const item = requests.find((r) => r.request_id === done.request_id)!;
    assert.deepEqual(Object.keys(item).sort(), ['created_at', 'finished_at', 'model_id', 'output', 'request_id', 'result_url', 'status', 'status_url']);
    assert.equal(item.model_id, MODELS.dreamina);
    assert.equal(item.status, 'succeeded');
    assert.deepEqual(item.output, done.output, 'the output exactly as the result route shows it');
    assert.equal(item.created_at, done.created_at);
    assert.equal(item.finished_at, done.finished_at);
    assert.match(item.status_url, /\/v1\/requests\/[^/]+\/status$/);
    assert.match(item.result_url, /\/v1\/requests\/[^/]+\/result$/);
    const stranger = await h.newKey('stranger');
    assert.deepEqual(await page(h, '', stranger.auth), { requests: [], next_cursor: null }, 'another key sees none of them');
  });

  test('pages with an opaque cursor; filters by model_id, status (one or several) and since', async () => {
    const key = await h.newKey('pager');
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      // Two text-only models: nothing here fetches a file.
      const res = await h.app.inject({ method: 'POST', url: `/v1/models/${i % 2 ? MODELS.dreamina : MODELS.seedream}`, headers: key.auth, payload: { prompt: `request ${i}` } });
      assert.equal(res.statusCode, 200, res.body);
      ids.push(res.json().request_id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const result: { requests: Item[]; next_cursor: string | null } = await page(h, `?limit=3${cursor ? `&cursor=${cursor}` : ''}`, key.auth);
      assert.ok(result.requests.length <= 3);
      seen.push(...result.requests.map((r) => r.request_id));
      cursor = result.next_cursor;
      if (cursor) assert.match(cursor, /^[A-Za-z0-9_-]+$/, 'url-safe');
      pages++;
    } while (cursor);
    assert.deepEqual(seen, [...ids].reverse());
    assert.equal(pages, Math.ceil(ids.length / 3));
    const dreamina = await page(h, `?model_id=${encodeURIComponent(MODELS.dreamina)}`, key.auth);
    assert.ok(dreamina.requests.length > 0 && dreamina.requests.every((r) => r.model_id === MODELS.dreamina));
    const mine = await page(h, '?status=succeeded,cancelled');
    assert.ok(mine.requests.some((r) => r.request_id === done.request_id));
    assert.ok(mine.requests.every((r) => r.status === 'succeeded' || r.status === 'cancelled'));
    assert.equal((await page(h, '?status=failed')).requests.length, 0);
    assert.equal((await page(h, `?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).requests.length, 0);
    assert.ok((await page(h, '?since=2020-01-01T00:00:00Z')).requests.length > 0);
  });

  test('bad values are a 422001 naming the parameter; a tampered or foreign cursor names `cursor`', async () => {
    const other = await h.newKey('other');
    const cases: Array<[string, string]> = [
      ['?limit=0', 'limit'],
      ['?limit=101', 'limit'],
      ['?limit=abc', 'limit'],
      ['?status=done', 'status'],
      ['?status=succeeded,', 'status'],
      ['?since=yesterday', 'since'],
      ['?model_id=', 'model_id'],
      ['?cursor=abc', 'cursor'],
      ['?cursor=%E2%9C%93', 'cursor'],
      [`?cursor=${encodeCursor(other.keyId, 5)}`, 'cursor'],
      [`?cursor=${Buffer.from(`h1.6.${Buffer.from(encodeCursor(h.keyId, 5), 'base64url').toString().split('.')[2]}`).toString('base64url')}`, 'cursor'],
    ];
    for (const [query, name] of cases) {
      const res = await h.app.inject({ method: 'GET', url: `/v1/requests${query}`, headers: h.auth });
      assert.equal(res.statusCode, 422, `${query}: ${res.body}`);
      const body = res.json();
      assert.equal(body.error_code, 422001);
      assert.deepEqual(body.detail[0].loc, ['query', name], query);
      assert.match(body.error_message, new RegExp(name));
    }
    assert.equal(decodeCursor(h.keyId, encodeCursor(h.keyId, 12345)), 12345);
    const noKey = await h.app.inject({ method: 'GET', url: '/v1/requests' });
    assert.equal(noKey.statusCode, 401);
  });
});
