/**
 * DELETE /v1/requests/{id} with outputs and uploads in a bucket (s3rver on loopback): the job's
 * output objects and the object of the data: URI its submit stored are deleted, and nothing else.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createHarness, type Harness, MODELS, submitAndWait } from '../support/harness.ts';
import { dataUri, makeImage } from '../support/media.ts';
import { startS3Bucket, type S3Bucket } from '../support/s3-bucket.ts';

function multipart(bytes: Buffer) {
  const boundary = `----modelgate${Math.random().toString(16).slice(2)}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.png"\r\nContent-Type: image/png\r\n\r\n`;
  return { payload: Buffer.concat([Buffer.from(head), bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

describe('DELETE /v1/requests/{id} on an S3 bucket', () => {
  let bucket: S3Bucket;
  let h: Harness;

  before(async () => {
    bucket = await startS3Bucket();
    for (const [name, value] of Object.entries(bucket.env)) if (name.startsWith('AWS_')) process.env[name] = value;
    h = await createHarness({ env: { MODELGATE_S3_URL: bucket.env.MODELGATE_S3_URL!, MODELGATE_S3_FORCE_PATH_STYLE: '1' } });
    h.startWorkers(1);
  });
  after(async () => {
    await h.close();
    await bucket.close();
  });

  test('the job’s outputs and stored data: URI go; an upload and another job’s outputs stay', async () => {
    const png = await makeImage(48, 48, 'png', true);
    const form = multipart(png);
    const upload = (await h.app.inject({ method: 'POST', url: '/v1/files', headers: { ...h.auth, ...form.headers }, payload: form.payload })).json();
    const kept = await submitAndWait(h, MODELS.reframe, { image: upload.url, resolution: '1024:1024 (1:1)' });
    const doomed = await submitAndWait(h, MODELS.reframe, { image: dataUri(png), resolution: '1024:1024 (1:1)' });
    assert.equal(kept.status, 'succeeded', JSON.stringify(kept));
    assert.equal(doomed.status, 'succeeded', JSON.stringify(doomed));
    const before = bucket.keys();
    const ofJob = (id: string) => before.filter((key) => key.startsWith(`mg/outputs/${id}/`));
    assert.equal(ofJob(doomed.request_id).length, 1, before.join('\n'));
    assert.equal(before.filter((key) => key.endsWith('/data.png')).length, 1, before.join('\n'));

    const res = await h.app.inject({ method: 'DELETE', url: `/v1/requests/${doomed.request_id}`, headers: h.auth });
    assert.deepEqual(res.json(), { request_id: doomed.request_id, status: 'deleted' });
    const gone = before.filter((key) => !bucket.keys().includes(key)).sort();
    assert.deepEqual(gone, [...ofJob(doomed.request_id), ...before.filter((key) => key.endsWith('/data.png'))].sort(), 'exactly the job’s output and its data: URI');
    const download = await h.app.inject({ method: 'GET', url: new URL(doomed.output.image).pathname });
    assert.equal(download.json().error_code, 404001);
    assert.equal((await h.app.inject({ method: 'GET', url: new URL(kept.output.image).pathname })).statusCode, 200);
  });
});
