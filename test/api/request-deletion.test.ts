/**
 * DELETE /v1/requests/{id} and output retention, on the local blob store: the job's own files
 * (outputs, the data: URI its submit stored) go, and only those; then the id answers 404001 on
 * every route exactly as an id that never existed does.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import { removeExpiredJobs } from '../../src/worker/janitor.ts';
import { createHarness, type Harness, MODELS, waitFor } from '../support/harness.ts';
import { dataUri, makeImage } from '../support/media.ts';

function multipart(bytes: Buffer) {
  const boundary = `----modelgate${Math.random().toString(16).slice(2)}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.png"\r\nContent-Type: image/png\r\n\r\n`;
  return { payload: Buffer.concat([Buffer.from(head), bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

type Json = Record<string, any>;

async function submit(h: Harness, model: string, body: unknown): Promise<string> {
  const res = await h.app.inject({ method: 'POST', url: `/v1/models/${model}`, headers: h.auth, payload: body as Json });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().request_id;
}

async function settled(h: Harness, id: string): Promise<Json> {
  return waitFor(async () => (await h.app.inject({ method: 'GET', url: `/v1/requests/${id}/result`, headers: h.auth })).json(), (r) => ['succeeded', 'failed', 'cancelled'].includes(r.status), 15_000, 20);
}

/** Where the local blob store keeps a key. */
const blobPath = (h: Harness, key: string) => join(h.ctx.config.dataDir, 'blobs', key);
const keyOf = (url: string) => decodeURIComponent(new URL(url).pathname.replace(/^\/v1\/blobs\//, ''));

/** Every answer an id gets, with the id itself written as ID so two ids' answers compare. */
async function answersFor(h: Harness, id: string): Promise<string[]> {
  const routes: Array<[string, string]> = [['GET', 'status'], ['GET', 'result'], ['POST', 'cancel'], ['GET', 'stream'], ['DELETE', '']];
  const answers: string[] = [];
  for (const [method, tail] of routes) {
    const res = await h.app.inject({ method: method as 'GET', url: `/v1/requests/${id}${tail ? `/${tail}` : ''}`, headers: h.auth });
    const { 'x-request-id': _id, date: _date, ...headers } = res.headers;
    answers.push(`${res.statusCode} ${JSON.stringify(headers)} ${res.body.replaceAll(id, 'ID')}`);
  }
  return answers;
}

describe('DELETE /v1/requests/{id}', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness();
  });
  after(() => h.close());

  test('a queued job is cancelled, then deleted; another key’s id is a 404001', async () => {
    const id = await submit(h, MODELS.dreamina, { prompt: 'a cat' });
    const stranger = await h.newKey('stranger');
    const foreign = await h.app.inject({ method: 'DELETE', url: `/v1/requests/${id}`, headers: stranger.auth });
    assert.equal(foreign.statusCode, 404);
    assert.equal(foreign.json().error_code, 404001);
    const res = await h.app.inject({ method: 'DELETE', url: `/v1/requests/${id}`, headers: h.auth });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { request_id: id, status: 'deleted' });
    assert.equal((await h.ctx.store.getJobAttemptState(id))?.state, 'cancelled', 'the tombstone keeps the state');
  });

  test('a finished job loses its outputs and its stored data: URI, not an upload it shares; then every route answers as for an unknown id', async () => {
    const pool = h.startWorkers(1);
    try {
      const png = await makeImage(64, 64, 'png');
      const form = multipart(png);
      const uploaded = (await h.app.inject({ method: 'POST', url: '/v1/files', headers: { ...h.auth, ...form.headers }, payload: form.payload })).json();
      const doomed = await submit(h, MODELS.reframe, { image: dataUri(png, 'image/png'), resolution: '1024:1024 (1:1)' });
      const sharing = await submit(h, MODELS.reframe, { image: uploaded.url, resolution: '1024:1024 (1:1)' });
      const kept = await submit(h, MODELS.dreamina, { prompt: 'images=2' });
      const [doomedResult, sharingResult, keptResult] = [await settled(h, doomed), await settled(h, sharing), await settled(h, kept)];
      for (const r of [doomedResult, sharingResult, keptResult]) assert.equal(r.status, 'succeeded', JSON.stringify(r));

      const doomedOutput = blobPath(h, keyOf(doomedResult.output.image));
      const dataUriUpload = (await h.ctx.store.getJob(doomed, h.keyId))!.input.image as string;
      const dataUriRecord = (await h.ctx.store.getFile(h.ctx.uploads.idOf(dataUriUpload)!, h.keyId))!;
      const uploadRecord = (await h.ctx.store.getFile(uploaded.file_id, h.keyId))!;
      const keptFiles = [sharingResult.output.image, ...keptResult.output.images].map((url: string) => blobPath(h, keyOf(url)));
      for (const path of [doomedOutput, blobPath(h, dataUriRecord.blobKey), blobPath(h, uploadRecord.blobKey), ...keptFiles]) assert.ok(existsSync(path), path);

      const outputBefore = await h.app.inject({ method: 'GET', url: new URL(doomedResult.output.image).pathname });
      assert.equal(outputBefore.statusCode, 200);
      const res = await h.app.inject({ method: 'DELETE', url: `/v1/requests/${doomed}`, headers: h.auth });
      assert.deepEqual(res.json(), { request_id: doomed, status: 'deleted' });

      assert.equal(existsSync(doomedOutput), false, 'the output is gone');
      assert.equal(existsSync(blobPath(h, dataUriRecord.blobKey)), false, 'the data: URI stored for it is gone');
      assert.ok(existsSync(blobPath(h, uploadRecord.blobKey)), 'an upload (POST /v1/files) is the key’s and stays');
      for (const path of keptFiles) assert.ok(existsSync(path), `another job’s output stays: ${path}`);

      assert.deepEqual(await answersFor(h, doomed), await answersFor(h, randomUUID()), 'status, result, cancel, stream and a second DELETE: as for an id that never existed');
      const outputAfter = await h.app.inject({ method: 'GET', url: new URL(doomedResult.output.image).pathname });
      const stranger = randomUUID();
      const neverMade = await h.app.inject({ method: 'GET', url: new URL(doomedResult.output.image).pathname.replace(doomed, stranger) });
      assert.equal(outputAfter.statusCode, 404);
      assert.equal(outputAfter.json().error_code, 404001);
      assert.equal(outputAfter.body, neverMade.body.replace(stranger, doomed), 'the output URL answers as one never made');
      const history = (await h.app.inject({ method: 'GET', url: '/v1/requests?limit=100', headers: h.auth })).json();
      assert.ok(!history.requests.some((r: Json) => r.request_id === doomed), 'no longer listed');
      assert.ok(history.requests.some((r: Json) => r.request_id === sharing));
    } finally {
      await pool.stop();
    }
  });

  test('a running job is refused with a 422001 that says why; it can be deleted once finished', async () => {
    const pool = h.startWorkers(1);
    try {
      const id = await submit(h, MODELS.dreamina, { prompt: 'sleep=1500' });
      await waitFor(async () => (await h.app.inject({ method: 'GET', url: `/v1/requests/${id}/status`, headers: h.auth })).json().status, (s) => s === 'in_progress', 10_000);
      const refused = await h.app.inject({ method: 'DELETE', url: `/v1/requests/${id}`, headers: h.auth });
      assert.equal(refused.statusCode, 422);
      assert.equal(refused.json().error_code, 422001);
      assert.deepEqual(refused.json().detail[0].loc, ['path', 'request_id']);
      assert.match(refused.json().error_message, /running/);
      assert.equal((await settled(h, id)).status, 'succeeded');
      assert.equal((await h.app.inject({ method: 'DELETE', url: `/v1/requests/${id}`, headers: h.auth })).statusCode, 200);
    } finally {
      await pool.stop();
    }
  });
});

describe('MODELGATE_OUTPUT_RETENTION_HOURS', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({ env: { MODELGATE_OUTPUT_RETENTION_HOURS: '0.5' } });
  });
  after(() => h.close());

  test('finished jobs show expires_at; the janitor deletes those finished longer ago, files first, and only those', async () => {
    const pool = h.startWorkers(1);
    let old: Json;
    let young: Json;
    try {
      old = await settled(h, await submit(h, MODELS.dreamina, { prompt: 'one' }));
      await new Promise((resolve) => setTimeout(resolve, 20));
      young = await settled(h, await submit(h, MODELS.dreamina, { prompt: 'two' }));
    } finally {
      await pool.stop();
    }
    const retentionMs = 1_800_000;
    assert.equal(h.ctx.config.outputRetentionMs, retentionMs);
    assert.equal(old.expires_at, new Date(Date.parse(old.finished_at) + retentionMs).toISOString());
    const listed = (await h.app.inject({ method: 'GET', url: '/v1/requests', headers: h.auth })).json().requests as Json[];
    assert.equal(listed.find((r) => r.request_id === old.request_id)?.expires_at, old.expires_at, 'the history shows it too');
    const queued = await submit(h, MODELS.dreamina, { prompt: 'three' });
    const queuedResult = (await h.app.inject({ method: 'GET', url: `/v1/requests/${queued}/result`, headers: h.auth })).json();
    assert.equal(queuedResult.expires_at, undefined, 'not while unfinished');

    const oldFile = blobPath(h, keyOf(old.output.image));
    const youngFile = blobPath(h, keyOf(young.output.image));
    const between = Date.parse(old.finished_at) + retentionMs + 1;
    assert.ok(between < Date.parse(young.finished_at) + retentionMs, 'the two finished apart');
    assert.equal(await removeExpiredJobs(h.ctx, retentionMs, between), 1);
    assert.equal(existsSync(oldFile), false);
    assert.ok(existsSync(youngFile));
    assert.equal((await h.app.inject({ method: 'GET', url: `/v1/requests/${old.request_id}/result`, headers: h.auth })).statusCode, 404);
    assert.equal((await h.app.inject({ method: 'GET', url: `/v1/requests/${young.request_id}/result`, headers: h.auth })).statusCode, 200);
    assert.equal(await removeExpiredJobs(h.ctx, retentionMs, between), 0, 'nothing twice');
    assert.equal(await removeExpiredJobs(h.ctx, retentionMs, Date.now() + 2 * retentionMs), 1, 'the queued job is not finished, so only the young one');
    assert.equal(existsSync(youngFile), false);
    assert.equal((await h.app.inject({ method: 'GET', url: `/v1/requests/${queued}/status`, headers: h.auth })).statusCode, 200);
  });
});
