/**
 * The API and a worker with outputs and uploads in a bucket (s3rver on loopback): uploads and
 * data: URIs are stored as objects, the worker reads its inputs back from the bucket, and output
 * URLs stay ModelGate's own, streamed from the bucket with the same range, validator and 404001
 * behaviour as the local route. Nothing lands in the data folder's blobs/.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createHarness, type Harness, MODELS, submitAndWait } from '../support/harness.ts';
import { dataUri, makeImage } from '../support/media.ts';
import { startS3Bucket, type S3Bucket } from '../support/s3-bucket.ts';

function multipart(bytes: Buffer) {
  const boundary = `----modelgate${Math.random().toString(16).slice(2)}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.png"\r\nContent-Type: image/png\r\n\r\n`;
  return { payload: Buffer.concat([Buffer.from(head), bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

describe('outputs and uploads in an S3 bucket', () => {
  let bucket: S3Bucket;
  let h: Harness;
  let uploaded: Buffer;
  let inlined: Buffer;
  let upload: { file_id: string; url: string };
  let outputPath: string;
  let bucketClosed = false;

  before(async () => {
    bucket = await startS3Bucket();
    // The SDK reads its endpoint, region and credentials from the process environment itself.
    for (const [name, value] of Object.entries(bucket.env)) if (name.startsWith('AWS_')) process.env[name] = value;
    h = await createHarness({ env: { MODELGATE_S3_URL: bucket.env.MODELGATE_S3_URL!, MODELGATE_S3_FORCE_PATH_STYLE: '1' } });
    h.startWorkers(1);
    uploaded = await makeImage(64, 48, 'png', true);
    inlined = await makeImage(40, 40, 'png', true);
  });
  after(async () => {
    await h.close();
    if (!bucketClosed) await bucket.close();
  });

  test('an upload and a data: URI run through a worker that reads them from the bucket', async () => {
    const form = multipart(uploaded);
    const posted = await h.app.inject({ method: 'POST', url: '/v1/files', headers: { ...h.auth, ...form.headers }, payload: form.payload });
    assert.equal(posted.statusCode, 200, posted.body);
    upload = posted.json();
    // The test engine returns its file inputs as its outputs: the bytes went there and back.
    const fromUpload = await submitAndWait(h, MODELS.reframe, { image: upload.url, resolution: '1024:1024 (1:1)' });
    assert.equal(fromUpload.status, 'succeeded', JSON.stringify(fromUpload));
    const fromData = await submitAndWait(h, MODELS.reframe, { image: dataUri(inlined), resolution: '1024:1024 (1:1)' });
    assert.equal(fromData.status, 'succeeded', JSON.stringify(fromData));

    const outputUrl = (result: Record<string, any>) => new URL(String([result.output.image].flat()[0]));
    const [uploadOutput, dataOutput] = [outputUrl(fromUpload), outputUrl(fromData)];
    assert.equal(uploadOutput.origin, h.ctx.config.publicUrl, 'output URLs are ModelGate\'s own');
    outputPath = uploadOutput.pathname;
    assert.deepEqual((await h.app.inject({ method: 'GET', url: outputPath })).rawPayload, uploaded);
    assert.deepEqual((await h.app.inject({ method: 'GET', url: dataOutput.pathname })).rawPayload, inlined);

    const keys = bucket.keys();
    // The upload is file.png; the data: URI stored for its job is data.png (jobs/deletion.ts deletes it with the job).
    assert.equal(keys.filter((key) => /^mg\/uploads\/file_[0-9a-f]{24}\/[0-9a-f]{32}\/file\.png$/.test(key)).length, 1, keys.join('\n'));
    assert.equal(keys.filter((key) => /^mg\/uploads\/file_[0-9a-f]{24}\/[0-9a-f]{32}\/data\.png$/.test(key)).length, 1, keys.join('\n'));
    assert.equal(keys.filter((key) => /^mg\/outputs\//.test(key)).length, 2, keys.join('\n'));
    assert.equal(existsSync(join(h.ctx.config.dataDir, 'blobs')), false, 'nothing was written to the local blob folder');
  });

  test('an output downloads whole, by range, with HEAD and conditionally', async () => {
    const whole = await h.app.inject({ method: 'GET', url: outputPath });
    assert.equal(whole.statusCode, 200);
    assert.equal(whole.headers['content-type'], 'image/png');
    assert.equal(whole.headers['x-content-type-options'], 'nosniff');
    assert.equal(whole.headers['accept-ranges'], 'bytes');
    assert.equal(Number(whole.headers['content-length']), uploaded.length);
    const etag = String(whole.headers.etag);
    assert.match(etag, /^"[0-9a-f]+"$/);

    const ranged = await h.app.inject({ method: 'GET', url: outputPath, headers: { range: 'bytes=10-19' } });
    assert.equal(ranged.statusCode, 206);
    assert.equal(ranged.headers['content-range'], `bytes 10-19/${uploaded.length}`);
    assert.deepEqual(ranged.rawPayload, uploaded.subarray(10, 20));
    const suffix = await h.app.inject({ method: 'GET', url: outputPath, headers: { range: 'bytes=-5' } });
    assert.deepEqual(suffix.rawPayload, uploaded.subarray(-5));
    const open = await h.app.inject({ method: 'GET', url: outputPath, headers: { range: `bytes=${uploaded.length - 3}-` } });
    assert.equal(open.headers['content-range'], `bytes ${uploaded.length - 3}-${uploaded.length - 1}/${uploaded.length}`);
    // A Range the server may ignore (several ranges, another unit, a stale If-Range): all of it.
    for (const headers of [{ range: 'bytes=0-1,4-5' }, { range: 'items=0-1' }, { range: 'bytes=0-1', 'if-range': '"stale"' }]) {
      const answer = await h.app.inject({ method: 'GET', url: outputPath, headers });
      assert.equal(answer.statusCode, 200, JSON.stringify(headers));
      assert.deepEqual(answer.rawPayload, uploaded);
    }
    const past = await h.app.inject({ method: 'GET', url: outputPath, headers: { range: `bytes=${uploaded.length}-` } });
    assert.equal(past.statusCode, 416);
    assert.equal(past.headers['content-range'], `bytes */${uploaded.length}`);
    assert.equal(past.json().error_code, 416001);

    const head = await h.app.inject({ method: 'HEAD', url: outputPath });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers.etag, etag);
    assert.equal(head.rawPayload.length, 0);
    const unchanged = await h.app.inject({ method: 'GET', url: outputPath, headers: { 'if-none-match': etag } });
    assert.equal(unchanged.statusCode, 304);
  });

  test('anything but an output key we could have made is 404001, by any spelling', async () => {
    const folder = outputPath.slice(0, outputPath.lastIndexOf('/'));
    for (const path of [`${folder}/9.png`, `${folder}/0.png.partial`, '/v1/blobs/outputs/', '/v1/blobs/uploads/x/y/file.png', '/v1/blobs/outputs/../uploads/x', '/v1/blobs/outputs/%2e%2e/%2e%2e/x', '/v1/blobs/outputs//x/0.png', '/v1/blobs/.hidden']) {
      const answer = await h.app.inject({ method: 'GET', url: path });
      assert.equal(answer.statusCode, 404, `${path}: ${answer.body}`);
      assert.equal(answer.json().error_code, 404001, path);
    }
  });

  test('the upload is streamed from the bucket to its owner, and to no one else', async () => {
    const own = await h.app.inject({ method: 'GET', url: new URL(upload.url).pathname, headers: h.auth });
    assert.equal(own.statusCode, 200);
    assert.equal(own.headers['content-type'], 'image/png');
    assert.deepEqual(own.rawPayload, uploaded);
    const stranger = await h.newKey('stranger');
    const theirs = await h.app.inject({ method: 'GET', url: new URL(upload.url).pathname, headers: stranger.auth });
    assert.equal(theirs.json().error_code, 404001);
  });

  test('with the bucket unreachable, a download is 503002, not a 404 or a 500', async () => {
    await bucket.close();
    bucketClosed = true;
    const answer = await h.app.inject({ method: 'GET', url: outputPath });
    assert.equal(answer.statusCode, 503, answer.body);
    assert.equal(answer.json().error_code, 503002);
  });
});
