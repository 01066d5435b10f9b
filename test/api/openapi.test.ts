import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Ajv } from 'ajv';
import { createHarness, type Harness } from '../support/harness.ts';

describe('GET /openapi.json', () => {
  let h: Harness;
  let doc: { openapi: string; servers: Array<{ url: string }>; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> }; responses: Record<string, unknown> }>>; components: { schemas: Record<string, unknown> } };
  before(async () => {
    h = await createHarness();
    doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  });
  after(() => h.close());

  test('describes the four RunComfy routes and a submit operation per catalog model with its input schema', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(doc.servers[0]!.url, h.ctx.config.publicUrl);
    for (const path of ['/v1/models', '/v1/requests/{request_id}/status', '/v1/requests/{request_id}/result', '/v1/requests/{request_id}/cancel']) {
      assert.ok(doc.paths[path], path);
    }
    for (const model of h.ctx.catalog.models) {
      const op = doc.paths[`/v1/models/${model.id}`]?.post;
      assert.ok(op, model.id);
      assert.deepEqual(op.requestBody!.content['application/json']!.schema, model.inputSchema);
      assert.deepEqual(Object.keys(op.responses).sort(), ['200', '400', '401', '413', '422', '429']);
    }
  });

  test('every schema in it compiles as JSON Schema, and the live answers match the documented shapes', async () => {
    const ajv = new Ajv({ strict: false, validateFormats: false });
    ajv.addSchema({ $id: 'doc', ...doc });
    const schemaOf = (path: string, method: string) => {
      const response = doc.paths[path]![method]!.responses['200'] as { content: Record<string, { schema: object }> };
      return ajv.compile(response.content['application/json']!.schema);
    };
    const submit = await h.app.inject({ method: 'POST', url: '/v1/models/bytedance/dreamina-4-0/text-to-image', headers: h.auth, payload: { prompt: 'x' } });
    const validSubmit = schemaOf('/v1/models/bytedance/dreamina-4-0/text-to-image', 'post');
    assert.ok(validSubmit(submit.json()), JSON.stringify(validSubmit.errors));
    const id = submit.json().request_id;
    const status = await h.app.inject({ method: 'GET', url: `/v1/requests/${id}/status`, headers: h.auth });
    const validStatus = schemaOf('/v1/requests/{request_id}/status', 'get');
    assert.ok(validStatus(status.json()), JSON.stringify(validStatus.errors));
    // A shape that breaks the schema is caught, so the check above can fail.
    assert.equal(validStatus({ request_id: id, status: 'running' }), false);
  });
});
