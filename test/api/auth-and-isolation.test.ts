import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hashApiKey } from '../../src/auth/api-keys.ts';
import { createHarness, type Harness, MODELS } from '../support/harness.ts';

describe('API keys and tenant isolation', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness();
  });
  after(() => h.close());

  const status = (id: string, headers: Record<string, string>) => h.app.inject({ method: 'GET', url: `/v1/requests/${id}/status`, headers });

  test('missing, malformed, wrong-scheme, unknown and revoked keys all get the same 401001 body', async () => {
    const other = await h.newKey('to-revoke');
    assert.ok(await h.ctx.store.revokeApiKey(other.keyId, Date.now()));
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: '' },
      { authorization: 'Bearer' },
      { authorization: 'Bearer not-a-key' },
      { authorization: `Basic ${h.key}` },
      { authorization: `Bearer ${h.key.slice(0, -1)}X` },
      { authorization: `Bearer mg_${'a'.repeat(43)}` },
      other.auth,
    ];
    const bodies = new Set<string>();
    for (const headers of attempts) {
      const res = await h.app.inject({ method: 'POST', url: `/v1/models/${MODELS.dreamina}`, headers, payload: { prompt: 'x' } });
      assert.equal(res.statusCode, 401, JSON.stringify(headers));
      assert.equal(res.json().error_code, 401001);
      bodies.add(res.body);
    }
    assert.equal(bodies.size, 1, 'every unauthorised answer is byte-identical');
  });

  test('revocation takes effect on the very next request', async () => {
    const k = await h.newKey('short-lived');
    assert.equal((await h.app.inject({ method: 'GET', url: '/v1/models', headers: k.auth })).statusCode, 200);
    await h.ctx.store.revokeApiKey(k.keyId, Date.now());
    assert.equal((await h.app.inject({ method: 'GET', url: '/v1/models', headers: k.auth })).statusCode, 401);
  });

  test("another key's request id answers byte-for-byte like an unknown one, on every id route", async () => {
    const owner = await h.newKey('owner');
    const stranger = await h.newKey('stranger');
    const id = (await h.app.inject({ method: 'POST', url: `/v1/models/${MODELS.dreamina}`, headers: owner.auth, payload: { prompt: 'mine' } })).json().request_id;
    // An unknown id of the same length, so that the only possible difference is existence.
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const [method, route] of [['GET', 'status'], ['GET', 'result'], ['POST', 'cancel']] as const) {
      const foreign = await h.app.inject({ method, url: `/v1/requests/${id}/${route}`, headers: stranger.auth });
      const missing = await h.app.inject({ method, url: `/v1/requests/${unknown}/${route}`, headers: stranger.auth });
      assert.equal(foreign.statusCode, 404);
      assert.equal(foreign.json().error_code, 404001);
      assert.equal(foreign.body.replaceAll(id, unknown), missing.body, `${route}: body differs`);
      const strip = (headers: Record<string, unknown>) => Object.keys(headers).filter((k) => k !== 'x-request-id' && k !== 'date').sort().map((k) => `${k}:${String(headers[k])}`);
      assert.deepEqual(strip(foreign.headers), strip(missing.headers), `${route}: headers differ`);
    }
    // The stranger's cancel did not touch the owner's job.
    assert.equal((await status(id, owner.auth)).json().status, 'in_queue');
  });

  test('keys are stored only as SHA-256 digests: the database file never contains a key', async () => {
    const fresh = await h.newKey('secret-check');
    const records = await h.ctx.store.listApiKeys();
    const record = records.find((r) => r.id === fresh.keyId)!;
    assert.equal(record.hash, hashApiKey(fresh.key));
    assert.equal(record.prefix, fresh.key.slice(0, 10));
    const dbFiles = ['modelgate.db', 'modelgate.db-wal'].map((f) => join(h.ctx.config.dataDir, f));
    const raw = Buffer.concat(dbFiles.map((f) => { try { return readFileSync(f); } catch { return Buffer.alloc(0); } }));
    for (const form of [fresh.key, fresh.key.slice(3), Buffer.from(fresh.key).toString('base64'), Buffer.from(fresh.key).toString('hex')]) {
      assert.equal(raw.includes(Buffer.from(form)), false, `found ${form.slice(0, 12)}… in the database`);
    }
    assert.ok(raw.includes(Buffer.from(record.hash)), 'the digest itself is in the file (the check can fail)');
  });

  test('unauthenticated routes: health, OpenAPI; blob downloads need no key but unknown ones are 404', async () => {
    assert.equal((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    assert.equal((await h.app.inject({ method: 'GET', url: '/openapi.json' })).json().openapi, '3.1.0');
    const blob = await h.app.inject({ method: 'GET', url: '/v1/blobs/outputs/nope/1-0/0.png' });
    assert.equal(blob.statusCode, 404);
    const traversal = await h.app.inject({ method: 'GET', url: '/v1/blobs/../modelgate.db' });
    assert.notEqual(traversal.statusCode, 200);
    const encoded = await h.app.inject({ method: 'GET', url: '/v1/blobs/%2e%2e/modelgate.db' });
    assert.notEqual(encoded.statusCode, 200);
  });
});
