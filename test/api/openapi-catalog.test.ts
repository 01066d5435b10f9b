/**
 * The OpenAPI document stays true for the catalog queries: the list's query parameters are the
 * ones the route validates, and live answers of the list (with and without include_schema), the
 * categories route and a bad query match the documented shapes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Ajv, type ValidateFunction } from 'ajv';
import { createHarness, type Harness } from '../support/harness.ts';

interface Operation {
  parameters?: Array<{ name: string; in: string; schema: Record<string, unknown> }>;
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}

describe('OpenAPI: catalog queries', () => {
  let h: Harness;
  let doc: { paths: Record<string, Record<string, Operation>> };
  let ajv: Ajv;
  before(async () => {
    h = await createHarness();
    doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    ajv = new Ajv({ strict: false, validateFormats: false });
    ajv.addSchema({ $id: 'doc', ...doc });
  });
  after(() => h.close());

  const schemaOf = (path: string, status: string): ValidateFunction => {
    const content = doc.paths[path]!.get!.responses[status]!.content!;
    return ajv.compile(content['application/json']!.schema);
  };
  const get = (url: string) => h.app.inject({ method: 'GET', url, headers: h.auth });

  test('GET /v1/models documents search, category, limit, offset and include_schema as query parameters', () => {
    const parameters = doc.paths['/v1/models']!.get!.parameters!;
    assert.deepEqual(parameters.map((p) => [p.name, p.in]), [['search', 'query'], ['category', 'query'], ['limit', 'query'], ['offset', 'query'], ['include_schema', 'query']]);
    assert.deepEqual(parameters.find((p) => p.name === 'limit')!.schema, { type: 'integer', minimum: 1, maximum: 100, default: 100 });
  });

  test('live answers match the documented shapes', async () => {
    const validList = schemaOf('/v1/models', '200');
    for (const url of ['/v1/models', '/v1/models?include_schema=true&limit=2', '/v1/models?category=nothing']) {
      const body = (await get(url)).json();
      assert.ok(validList(body), `${url}: ${JSON.stringify(validList.errors)}`);
    }
    const validCategories = schemaOf('/v1/models/categories', '200');
    assert.ok(validCategories((await get('/v1/models/categories')).json()), JSON.stringify(validCategories.errors));
    assert.equal(validCategories({ categories: ['text-to-image'], total: 1 }), false, 'a wrong shape is caught');
    // The 422 is documented as the envelope; its $ref is resolved against the whole document.
    assert.deepEqual(doc.paths['/v1/models']!.get!.responses['422']!.content!['application/json']!.schema, { $ref: '#/components/schemas/ErrorEnvelope' });
    const validError = ajv.compile({ $ref: 'doc#/components/schemas/ErrorEnvelope' });
    const bad = await get('/v1/models?limit=0');
    assert.equal(bad.statusCode, 422);
    assert.ok(validError(bad.json()), JSON.stringify(validError.errors));
  });

  test('each model page is documented, keyless, at its model_url path', async () => {
    for (const model of (await get('/v1/models')).json().models) {
      const op = doc.paths[new URL(model.model_url).pathname]?.get as (Operation & { security?: unknown[] }) | undefined;
      assert.ok(op, model.model_url);
      assert.deepEqual(op.security, []);
    }
  });
});
