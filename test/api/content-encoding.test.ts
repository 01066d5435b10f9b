import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { createHarness, type Harness, MODELS } from '../support/harness.ts';

describe('Content-Encoding of request bodies', () => {
  let h: Harness;
  before(async () => {
    // The submit limit is the body limit or the largest data: URI (as base64) plus 64 KiB: ~78 KB here.
    h = await createHarness({ env: { MODELGATE_BODY_LIMIT: '4096', MODELGATE_INPUT_MAX_DATA_URI_MB: '0.01' } });
  });
  after(() => h.close());

  const submit = (payload: Buffer, encoding: string) =>
    h.app.inject({ method: 'POST', url: `/v1/models/${MODELS.dreamina}`, headers: { ...h.auth, 'content-type': 'application/json', 'content-encoding': encoding }, payload });
  const json = Buffer.from(JSON.stringify({ prompt: 'a red circle' }));

  test('gzip, deflate and br JSON bodies are decoded and accepted', async () => {
    for (const [encoding, payload] of [['gzip', gzipSync(json)], ['deflate', deflateSync(json)], ['br', brotliCompressSync(json)], ['GZIP', gzipSync(json)], ['identity', json]] as const) {
      const res = await submit(payload, encoding);
      assert.equal(res.statusCode, 200, `${encoding}: ${res.body}`);
      assert.ok(res.json().request_id);
    }
  });

  test('a body that inflates past the limit is 413001, however small it was on the wire', async () => {
    const bomb = gzipSync(Buffer.from(`{"prompt": "${' '.repeat(20_000_000)}"}`));
    assert.ok(bomb.length < 64 * 1024, 'on the wire, the body is well under the submit limit');
    const started = Date.now();
    const res = await submit(bomb, 'gzip');
    assert.equal(res.statusCode, 413, res.body);
    assert.equal(res.json().error_code, 413001);
    assert.ok(Date.now() - started < 2000, 'stopped at the limit instead of inflating 20 MB');
  });

  test('a body that is not what its Content-Encoding says is 422001', async () => {
    const res = await submit(json, 'gzip');
    assert.equal(res.statusCode, 422, res.body);
    assert.equal(res.json().error_code, 422001);
    assert.equal(res.json().detail[0].type, 'encoding_invalid');
  });

  test('other codings, stacked codings and coded uploads are refused with 415001', async () => {
    for (const encoding of ['zstd', 'compress', 'gzip, gzip', 'constructor', '__proto__']) {
      const res = await submit(gzipSync(json), encoding);
      assert.equal(res.statusCode, 415, `${encoding}: ${res.body}`);
      assert.equal(res.json().error_code, 415001);
    }
    const upload = gzipSync('--XX\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\nabc\r\n--XX--\r\n');
    const res = await h.app.inject({ method: 'POST', url: '/v1/files', headers: { ...h.auth, 'content-type': 'multipart/form-data; boundary=XX', 'content-encoding': 'gzip' }, payload: upload });
    assert.equal(res.statusCode, 415, res.body);
    assert.equal(res.json().error_code, 415001);
  });

  test('a Content-Encoding header on a request without a body changes nothing', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/v1/models', headers: { ...h.auth, 'content-encoding': 'zstd' } });
    assert.equal(res.statusCode, 200, res.body);
  });
});
