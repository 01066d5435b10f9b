import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createHarness, type Harness, MODELS } from '../support/harness.ts';

describe('error envelope, body limits and malformed bodies', () => {
  let h: Harness;
  before(async () => {
    // Submit accepts a data: URI of MODELGATE_INPUT_MAX_DATA_URI_MB as base64 plus 64 KiB of the rest.
    h = await createHarness({ env: { MODELGATE_BODY_LIMIT: '4096', MODELGATE_INPUT_MAX_DATA_URI_MB: '0.01' } });
  });
  after(() => h.close());

  const post = (payload: string, headers: Record<string, string> = { 'content-type': 'application/json' }, model: string = MODELS.dreamina) =>
    h.app.inject({ method: 'POST', url: `/v1/models/${model}`, headers: { ...h.auth, ...headers }, payload });

  function assertEnvelope(res: Awaited<ReturnType<typeof post>>, status: number, code: number): Record<string, unknown> {
    assert.equal(res.statusCode, status, res.body);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const body = res.json();
    assert.equal(body.error_code, code);
    assert.equal(typeof body.error_message, 'string');
    assert.ok(body.error_message.length > 0);
    return body;
  }

  test('a body over the limit is 413001; the submit limit leaves room for the largest data: URI', async () => {
    assertEnvelope(await post(JSON.stringify({ prompt: 'x'.repeat(100_000) })), 413, 413001);
    const withinDataUriRoom = await post(JSON.stringify({ prompt: 'x'.repeat(60_000) }));
    assertEnvelope(withinDataUriRoom, 422, 422001); // read and validated (too long a prompt), not refused as too large
  });

  test('malformed JSON is 422001 naming the body', async () => {
    const body = assertEnvelope(await post('{"prompt": '), 422, 422001);
    assert.deepEqual((body.detail as Array<{ loc: unknown }>)[0]!.loc, ['body']);
  });

  test('a non-object body (array, string, nothing) is 422001', async () => {
    assertEnvelope(await post('[1,2]'), 422, 422001);
    assertEnvelope(await post('"text"'), 422, 422001);
    assertEnvelope(await post('', {}), 422, 422001);
  });

  test('a non-JSON content type is 422001, not a 415 outside the envelope', async () => {
    assertEnvelope(await post('prompt=x', { 'content-type': 'application/x-www-form-urlencoded' }), 422, 422001);
  });

  test('prototype-poisoning keys are refused', async () => {
    assertEnvelope(await post('{"prompt":"x","__proto__":{"admin":true}}'), 422, 422001);
  });

  test('nesting deeper than 32 levels is refused before validation, without a stack overflow', async () => {
    const deep = `{"prompt":"x","style":${'['.repeat(40)}${']'.repeat(40)}}`;
    const body = assertEnvelope(await post(deep), 422, 422001);
    assert.equal((body.detail as Array<{ type: string }>)[0]!.type, 'too_deep');
    // The server is still healthy afterwards.
    assert.equal((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  });

  test('unknown routes answer 404001 in the envelope', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/v1/nothing-here', headers: h.auth });
    assertEnvelope(res, 404, 404001);
  });

  test('every response carries an x-request-id, echoing a sane one sent by the caller', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/v1/models', headers: { ...h.auth, 'x-request-id': 'trace-123' } });
    assert.equal(res.headers['x-request-id'], 'trace-123');
    const bad = await h.app.inject({ method: 'GET', url: '/v1/models', headers: { ...h.auth, 'x-request-id': 'has spaces and "quotes"' } });
    assert.notEqual(bad.headers['x-request-id'], 'has spaces and "quotes"');
  });
});

describe('rate limiting (when configured)', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({ env: { MODELGATE_RATE_LIMIT_PER_MINUTE: '3' } });
  });
  after(() => h.close());

  test('key A over budget gets exactly the excess as 429001 with Retry-After; key B is unaffected', async () => {
    const b = await h.newKey('b');
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await h.app.inject({ method: 'GET', url: '/v1/models', headers: h.auth })).statusCode);
    assert.deepEqual(codes, [200, 200, 200, 429, 429]);
    const limited = await h.app.inject({ method: 'GET', url: '/v1/models', headers: h.auth });
    assert.equal(limited.json().error_code, 429001);
    assert.match(String(limited.headers['retry-after']), /^\d+$/);
    assert.equal((await h.app.inject({ method: 'GET', url: '/v1/models', headers: b.auth })).statusCode, 200);
  });
});
