/**
 * Catalog queries as RunComfy's clients send them: GET /v1/models with search, category, limit,
 * offset and include_schema (total counts every match), GET /v1/models/categories, model_url,
 * and a bad query parameter answered 422001 at loc ["query", name].
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createHarness, type Harness } from '../support/harness.ts';
import { MODELS } from './fixtures.ts';

const PUBLIC_URL = 'https://gate.example.test/mg';

interface Entry {
  model_id: string;
  model_url: string;
  input_schema?: unknown;
  output_schema?: unknown;
}

describe('catalog queries', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({ env: { MODELGATE_PUBLIC_URL: PUBLIC_URL } });
  });
  after(() => h.close());

  const get = (url: string) => h.app.inject({ method: 'GET', url, headers: h.auth });
  async function list(query: string): Promise<{ ids: string[]; total: number; models: Entry[] }> {
    const res = await get(`/v1/models?${query}`);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json() as { models: Entry[]; total: number };
    return { ids: body.models.map((m) => m.model_id), total: body.total, models: body.models };
  }

  test('search is a case-insensitive substring of the id, the display name or a category, not the description', async () => {
    assert.deepEqual((await list('search=RUNWAY')).ids, [MODELS.runway]); // id
    assert.deepEqual((await list('search=alpha%20turbo')).ids, [MODELS.runway]); // display name only ("alpha/turbo" in the id)
    assert.deepEqual((await list('search=outpainting')).ids, [MODELS.reframe]); // category only
    assert.deepEqual((await list('search=Text-To-Image')).ids.sort(), [MODELS.dreamina, MODELS.seedream].sort());
    assert.deepEqual(await list('search=sequence'), { ids: [], total: 0, models: [] }); // in seedream's description only
    assert.equal((await list('search=')).total, 4, 'an empty search filters nothing');
  });

  test('category is an exact, case-insensitive filter; one no model has gives an empty list', async () => {
    assert.deepEqual((await list('category=text-to-image')).ids.sort(), [MODELS.dreamina, MODELS.seedream].sort());
    assert.deepEqual((await list('category=Image-To-Video')).ids, [MODELS.runway]);
    assert.deepEqual(await list('category=video'), { ids: [], total: 0, models: [] }, 'a substring of a category is not that category');
    assert.deepEqual(await list('category=no-such-category'), { ids: [], total: 0, models: [] });
    assert.deepEqual((await list('category=text-to-image&search=seedream')).ids, [MODELS.seedream], 'filters combine');
  });

  test('limit and offset page through the matches; total counts every match, before paging', async () => {
    const all = (await list('')).ids;
    assert.equal(all.length, 4);
    assert.deepEqual(await list('limit=1&offset=1').then((r) => [r.ids, r.total]), [[all[1]], 4]);
    assert.deepEqual(await list('limit=2&offset=3').then((r) => [r.ids, r.total]), [[all[3]], 4]);
    assert.deepEqual(await list('offset=10').then((r) => [r.ids, r.total]), [[], 4]);
    assert.deepEqual(await list('category=text-to-image&limit=1').then((r) => [r.ids.length, r.total]), [1, 2]);
    assert.equal((await list('limit=100')).total, 4, 'the largest page is accepted');
  });

  test('include_schema adds the schemas the detail route shows; without it there are none', async () => {
    for (const model of (await list('')).models) {
      assert.equal(model.input_schema, undefined);
      assert.equal(model.output_schema, undefined);
    }
    // RunComfy's CLI sends "true"; Python clients send "True"; 1 is FastAPI's too.
    for (const value of ['true', 'True', '1']) {
      const { models } = await list(`include_schema=${value}&search=runway`);
      assert.equal(models.length, 1);
      const detail = (await get(`/v1/models/${MODELS.runway}`)).json();
      assert.deepEqual(models[0], detail, `include_schema=${value}`);
    }
    assert.equal((await list('include_schema=false&search=runway')).models[0]!.input_schema, undefined);
  });

  test('every entry carries model_url, an absolute URL under MODELGATE_PUBLIC_URL', async () => {
    for (const model of (await list('')).models) {
      assert.equal(model.model_url, `${PUBLIC_URL}/models/${model.model_id}`);
    }
    assert.equal((await get(`/v1/models/${MODELS.reframe}`)).json().model_url, `${PUBLIC_URL}/models/${MODELS.reframe}`);
  });

  test('a bad limit, offset or include_schema: 422001 naming the parameter at ["query", name]', async () => {
    const cases: Array<[string, string, string]> = [
      ['limit=-1', 'limit', 'greater_than_equal'],
      ['limit=0', 'limit', 'greater_than_equal'],
      ['limit=101', 'limit', 'less_than_equal'],
      ['limit=10000', 'limit', 'less_than_equal'],
      ['limit=abc', 'limit', 'int_parsing'],
      ['limit=1.5', 'limit', 'int_parsing'],
      ['limit=', 'limit', 'int_parsing'],
      ['limit=1&limit=2', 'limit', 'int_parsing'],
      ['offset=-1', 'offset', 'greater_than_equal'],
      ['offset=abc', 'offset', 'int_parsing'],
      ['include_schema=maybe', 'include_schema', 'bool_parsing'],
      ['search=a&search=b', 'search', 'string_type'],
    ];
    for (const [query, name, type] of cases) {
      const res = await get(`/v1/models?${query}`);
      assert.equal(res.statusCode, 422, `${query}: ${res.body}`);
      const envelope = res.json();
      assert.equal(envelope.error_code, 422001);
      assert.ok(envelope.error_message.includes(`query parameter ${name}`), `${query}: ${envelope.error_message}`);
      assert.deepEqual(envelope.detail.map((d: { loc: unknown[] }) => d.loc), [['query', name]], query);
      assert.equal(envelope.detail[0].type, type, query);
    }
    assert.match((await get('/v1/models?limit=0')).json().error_message, /limit must be an integer from 1 to 100/);
  });

  test('parameters RunComfy clients send that ModelGate has no use for (the CLI\'s kind) are ignored', async () => {
    assert.equal((await list('kind=model&limit=20&offset=0')).total, 4);
  });

  test('GET /v1/models/categories lists every category with its model count, not a model id', async () => {
    const res = await get('/v1/models/categories');
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), {
      categories: [
        { category: 'image-to-image', count: 1 },
        { category: 'image-to-video', count: 1 },
        { category: 'outpainting', count: 1 },
        { category: 'text-to-image', count: 2 },
      ],
      total: 4,
    });
    // Each count is what the category filter finds.
    for (const { category, count } of res.json().categories) assert.equal((await list(`category=${category}`)).total, count);
    assert.equal((await h.app.inject({ method: 'GET', url: '/v1/models/categories' })).statusCode, 401);
    // The wildcard still answers ids that merely start with "categories".
    assert.equal((await get('/v1/models/categories/x')).json().error_code, 400001);
  });
});
