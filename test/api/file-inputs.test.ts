/**
 * Issue 3's "Done when", through the real app, store, worker and input library: the three input
 * forms (URL, data: URI, upload), SSRF refusal with a loopback canary that must see no
 * connection, and the runway rules reaching the client in the seed's own words.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Canary, startCanary } from '../support/canary.ts';
import { createHarness, type Harness, MODELS, waitFor } from '../support/harness.ts';
import { dataUri, makeImage } from '../support/media.ts';
import { stubResolver } from '../support/stub-resolver.ts';

const ASPECT = 'The aspect ratio range should be 1:2 to 2:1.';

function multipart(field: string, filename: string, bytes: Buffer, type = 'application/octet-stream') {
  const boundary = `----modelgate${Math.random().toString(16).slice(2)}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`;
  return { payload: Buffer.concat([Buffer.from(head), bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

async function settle(h: Harness, id: string) {
  return waitFor(() => h.app.inject({ method: 'GET', url: `/v1/requests/${id}/result`, headers: h.auth }).then((r) => r.json()), (r) => r.status === 'succeeded' || r.status === 'failed', 10_000);
}

async function outputBytes(h: Harness, url: string): Promise<Buffer> {
  return (await h.app.inject({ method: 'GET', url: new URL(url).pathname })).rawPayload;
}

describe('file inputs: URL, data: URI and upload', () => {
  let h: Harness;
  let canary: Canary;
  let allowed: Canary;
  let photo: Buffer;
  let wide: Buffer;
  before(async () => {
    photo = await makeImage(64, 48, 'jpeg', true);
    wide = await makeImage(300, 100, 'png');
    const serve = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
      const body = req.url === '/wide.png' ? wide : photo;
      res.writeHead(200, { 'content-type': req.url === '/wide.png' ? 'image/png' : 'image/jpeg', 'content-length': body.length }).end(body);
    };
    canary = await startCanary(serve);
    allowed = await startCanary(serve);
    h = await createHarness({
      env: {
        MODELGATE_INPUT_ALLOW_HTTP: '1',
        MODELGATE_INPUT_ALLOW_HOSTS: `127.0.0.1:${allowed.port}`,
        MODELGATE_INPUT_MAX_IMAGE_MB: '1',
        MODELGATE_INPUT_MAX_VIDEO_MB: '1',
      },
      // photos.test looks public by name but resolves to loopback: only the fetcher can tell.
      resolver: stubResolver({ 'photos.test': ['127.0.0.1'] }).resolve,
    });
    h.startWorkers(1);
  });
  after(async () => {
    await h.close();
    await canary.close();
    await allowed.close();
  });

  const submit = (model: string, body: Record<string, unknown>, auth = h.auth) => h.app.inject({ method: 'POST', url: `/v1/models/${model}`, headers: auth, payload: body });
  const upload = (bytes: Buffer, auth = h.auth) => {
    const form = multipart('file', 'photo.bin', bytes);
    return h.app.inject({ method: 'POST', url: '/v1/files', headers: { ...auth, ...form.headers }, payload: form.payload });
  };

  test('a loopback URL not on the allow list is refused at submit for what it points to; the server sees no connection', async () => {
    const res = await submit(MODELS.reframe, { image: `http://127.0.0.1:${canary.port}/photo.jpg`, resolution: '1024:1024 (1:1)' });
    assert.equal(res.statusCode, 422, res.body);
    assert.deepEqual(res.json().detail[0].loc, ['body', 'image']);
    assert.equal(res.json().detail[0].type, 'file_blocked_address');
    assert.match(res.json().error_message, /image: .*loopback/);
    assert.equal(canary.connections, 0);
  });

  test('a name that resolves to loopback fails the job in the worker with an SSRF error', async () => {
    const res = await submit(MODELS.reframe, { image: 'http://photos.test/photo.jpg', resolution: '1024:1024 (1:1)' });
    assert.equal(res.statusCode, 200, res.body);
    const result = await settle(h, res.json().request_id);
    assert.equal(result.status, 'failed');
    assert.equal(result.error.type, 'invalid_input');
    assert.match(result.error.message, /^image: .*loopback/);
  });

  test('the same URL on an allowed host reaches the engine byte for byte', async () => {
    const res = await submit(MODELS.reframe, { image: `http://127.0.0.1:${allowed.port}/photo.jpg`, resolution: '1024:1024 (1:1)' });
    const result = await settle(h, res.json().request_id);
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.deepEqual(await outputBytes(h, result.output.image), photo);
    assert.ok(allowed.requests.includes('/photo.jpg'));
    // The fetched copy lived in the attempt's work dir, which is gone once the attempt settled.
    const { readdirSync, existsSync } = await import('node:fs');
    const work = `${h.ctx.config.dataDir}/work`;
    assert.deepEqual(existsSync(work) ? readdirSync(work) : [], []);
  });

  test('a data: URI is checked at submit, stored as an upload, and reaches the engine', async () => {
    const res = await submit(MODELS.reframe, { image: dataUri(photo, 'image/jpeg'), resolution: '1024:1024 (1:1)' });
    assert.equal(res.statusCode, 200, res.body);
    const id = res.json().request_id;
    const stored = await h.ctx.store.getJob(id, h.keyId);
    assert.match(String(stored?.input.image), new RegExp(`^${h.ctx.config.publicUrl}/v1/files/file_[0-9a-f]{24}$`));
    const result = await settle(h, id);
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.deepEqual(await outputBytes(h, result.output.image), photo);
  });

  test('an upload answers the documented fields, downloads for its owner only, and works as an input', async () => {
    const res = await upload(photo);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['content_type', 'expires_at', 'file_id', 'sha256', 'size', 'url']);
    assert.equal(body.content_type, 'image/jpeg');
    assert.equal(body.size, photo.length);
    assert.equal(body.sha256, (await import('node:crypto')).createHash('sha256').update(photo).digest('hex'));
    assert.ok(Date.parse(body.expires_at) > Date.now() + 23 * 3600_000);
    const own = await h.app.inject({ method: 'GET', url: new URL(body.url).pathname, headers: h.auth });
    assert.deepEqual(own.rawPayload, photo);
    assert.equal(own.headers['content-type'], 'image/jpeg');
    const stranger = await h.newKey('stranger');
    const foreign = await h.app.inject({ method: 'GET', url: new URL(body.url).pathname, headers: stranger.auth });
    const unknown = await h.app.inject({ method: 'GET', url: '/v1/files/file_000000000000000000000000', headers: stranger.auth });
    assert.equal(foreign.statusCode, 404);
    assert.equal(foreign.body.replace(body.file_id, 'file_000000000000000000000000'), unknown.body);
    // Not reachable through the public blob route either.
    const run = await submit(MODELS.reframe, { image: body.url, resolution: '1024:1024 (1:1)' });
    const result = await settle(h, run.json().request_id);
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.deepEqual(await outputBytes(h, result.output.image), photo);
    const asStranger = await submit(MODELS.reframe, { image: body.url, resolution: '1024:1024 (1:1)' }, stranger.auth);
    assert.equal(asStranger.statusCode, 422);
    assert.equal(asStranger.json().detail[0].type, 'file_upload_not_found');
  });

  test('a 3:1 promptImage is refused with the seed\'s own words: 422 as data: URI or upload, a failed job as URL', async () => {
    const asData = await submit(MODELS.runway, { promptText: 'pan', promptImage: dataUri(wide) });
    assert.equal(asData.statusCode, 422);
    assert.deepEqual(asData.json().detail, [{ loc: ['body', 'promptImage'], msg: ASPECT, type: 'file_rule' }]);
    assert.match(asData.json().error_message, /promptImage: The aspect ratio range should be 1:2 to 2:1\./);

    const uploaded = (await upload(wide)).json();
    const asUpload = await submit(MODELS.runway, { promptText: 'pan', promptImage: uploaded.url });
    assert.equal(asUpload.statusCode, 422);
    assert.equal(asUpload.json().detail[0].msg, ASPECT);

    const asUrl = await submit(MODELS.runway, { promptText: 'pan', promptImage: `http://127.0.0.1:${allowed.port}/wide.png` });
    assert.equal(asUrl.statusCode, 200);
    const result = await settle(h, asUrl.json().request_id);
    assert.deepEqual(result.error, { type: 'invalid_input', message: ASPECT });
  });

  test('static URL problems are a 422 at submit, naming the field; nothing is fetched', async () => {
    for (const image of ['', 'ftp://example.com/a.png', 'https://user:pw@example.com/a.png', `https://10.0.0.1/a.png`, 'not a url']) {
      const res = await submit(MODELS.reframe, { image, resolution: '1024:1024 (1:1)' });
      assert.equal(res.statusCode, 422, image);
      assert.deepEqual(res.json().detail[0].loc, ['body', 'image'], image);
      assert.match(res.json().detail[0].type, /^file_/);
    }
  });

  test('uploads that are not images or videos, or too large, are refused', async () => {
    const html = await upload(Buffer.from('<!doctype html><html><body>hi</body></html>'));
    assert.equal(html.statusCode, 422);
    assert.equal(html.json().detail[0].type, 'file_bad_type');
    const big = await upload(Buffer.alloc(2 * 1024 * 1024, 1));
    assert.equal(big.statusCode, 413);
    assert.equal(big.json().error_code, 413001);
    const none = await h.app.inject({ method: 'POST', url: '/v1/files', headers: { ...h.auth, 'content-type': 'application/json' }, payload: '{}' });
    assert.equal(none.statusCode, 422);
  });
});

describe('expired uploads', () => {
  test('are refused as inputs, then removed with their blob by the janitor', async () => {
    const { removeExpiredUploads } = await import('../../src/worker/janitor.ts');
    const { existsSync } = await import('node:fs');
    const h = await createHarness();
    try {
      const photo = await makeImage(32, 32, 'png');
      const form = multipart('file', 'p.png', photo);
      const uploaded = (await h.app.inject({ method: 'POST', url: '/v1/files', headers: { ...h.auth, ...form.headers }, payload: form.payload })).json();
      const record = (await h.ctx.store.getFile(uploaded.file_id, h.keyId))!;
      const blobPath = await h.ctx.blobs.localFile(record.blobKey, h.ctx.config.dataDir);
      assert.ok(existsSync(blobPath));
      assert.equal(await removeExpiredUploads(h.ctx, Date.now()), 0, 'a live upload is kept');
      const afterExpiry = record.expiresAt + 1;
      assert.equal(await removeExpiredUploads(h.ctx, afterExpiry), 1);
      assert.equal(existsSync(blobPath), false);
      const res = await h.app.inject({ method: 'POST', url: `/v1/models/${MODELS.reframe}`, headers: h.auth, payload: { image: uploaded.url, resolution: '1024:1024 (1:1)' } });
      assert.equal(res.statusCode, 422);
      assert.equal(res.json().detail[0].type, 'file_upload_not_found');
    } finally {
      await h.close();
    }
  });
});
