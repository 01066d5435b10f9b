/**
 * The OpenAPI document stays true for prices, cost and usage: the result's include_cost and
 * /v1/usage's parameters are documented, and live answers (a priced model entry, a result with
 * cost, usage in total and grouped, a bad usage query) match the documented shapes.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Ajv, type ValidateFunction } from 'ajv';
import { createHarness, MODELS, submitAndWait, tempDir, type Harness } from '../support/harness.ts';

interface Operation {
  parameters?: Array<{ name: string; in: string }>;
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}

describe('OpenAPI: prices, cost and usage', () => {
  const dir = tempDir('modelgate-openapi-usage-');
  let h: Harness;
  let doc: { paths: Record<string, Record<string, Operation>> };
  let ajv: Ajv;
  before(async () => {
    const config = join(dir.path, 'prices.json');
    writeFileSync(config, JSON.stringify({ default_price: { usd: 0.04 } }));
    h = await createHarness({ env: { MODELGATE_CONFIG: config } });
    h.startWorkers(1);
    doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    ajv = new Ajv({ strict: false, validateFormats: false });
    ajv.addSchema({ $id: 'doc', ...doc });
  });
  after(async () => {
    await h.close();
    dir.remove();
  });

  const schemaOf = (path: string, status: string): ValidateFunction => ajv.compile(doc.paths[path]!.get!.responses[status]!.content!['application/json']!.schema);
  const get = (url: string) => h.app.inject({ method: 'GET', url, headers: h.auth });

  test('include_cost, include_input and the usage window are documented query parameters', () => {
    const names = (path: string) => doc.paths[path]!.get!.parameters!.filter((p) => p.in === 'query').map((p) => p.name);
    assert.deepEqual(names('/v1/requests/{request_id}/result'), ['include_cost', 'include_input']);
    assert.deepEqual(names('/v1/usage'), ['from', 'to', 'group_by']);
    assert.ok(doc.paths['/v1/usage']!.get!.responses['422'], 'a bad window is documented');
  });

  test('live answers match the documented shapes', async () => {
    const result = await submitAndWait(h, MODELS.dreamina, { prompt: 'images=2' });
    const withCost = (await get(`/v1/requests/${result.request_id}/result?include_cost=true`)).json() as Record<string, unknown>;
    assert.equal(withCost.cost, 0.08);
    const validResult = schemaOf('/v1/requests/{request_id}/result', '200');
    assert.ok(validResult(withCost), JSON.stringify(validResult.errors));
    assert.equal(validResult({ ...withCost, cost: 'free' }), false, 'a wrong shape is caught');
    // include_input: the input as stored (defaults filled in), only when asked for.
    assert.equal(withCost.input, undefined);
    const withInput = (await get(`/v1/requests/${result.request_id}/result?include_input=true`)).json() as Record<string, unknown>;
    assert.equal((withInput.input as Record<string, unknown>).prompt, 'images=2');
    assert.ok(Object.keys(withInput.input as object).length > 1, 'the defaults are filled in');
    assert.ok(validResult(withInput), JSON.stringify(validResult.errors));
    assert.equal((await get(`/v1/requests/${result.request_id}/result?include_input=maybe`)).statusCode, 422);

    const validModels = schemaOf('/v1/models', '200');
    const models = (await get('/v1/models')).json();
    assert.ok(validModels(models), JSON.stringify(validModels.errors));

    const validUsage = schemaOf('/v1/usage', '200');
    for (const query of ['', '?group_by=model', '?group_by=day']) {
      const usage = (await get(`/v1/usage${query}`)).json();
      assert.equal(usage.totals.cost_usd, 0.08, query);
      assert.ok(validUsage(usage), `${query}: ${JSON.stringify(validUsage.errors)}`);
    }
    assert.equal(validUsage({ from: 'x', to: 'y', group_by: 'week', totals: {}, groups: [] }), false, 'a wrong shape is caught');

    const bad = await get('/v1/usage?group_by=week');
    assert.equal(bad.statusCode, 422);
    // Error answers are documented as a reference to the shared envelope.
    const validError = ajv.compile({ $ref: `doc${String((doc.paths['/v1/usage']!.get!.responses['422']!.content!['application/json']!.schema as { $ref: string }).$ref)}` });
    assert.ok(validError(bad.json()), JSON.stringify(validError.errors));
  });
});
