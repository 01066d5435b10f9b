/** The local route answers a range past the end as the streamed route does (s3-blobs.test.ts): 416001. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createHarness, type Harness } from '../support/harness.ts';

let h: Harness;
before(async () => {
  h = await createHarness();
  await h.ctx.blobs.put('outputs/job/1-ab/0.png', Buffer.from('0123456789'), 'image/png');
});
after(() => h.close());

test('a range past the end of a local output is 416001 with Content-Range, a range inside it 206', async () => {
  const past = await h.app.inject({ method: 'GET', url: '/v1/blobs/outputs/job/1-ab/0.png', headers: { range: 'bytes=10-' } });
  assert.equal(past.statusCode, 416, past.body);
  assert.equal(past.headers['content-range'], 'bytes */10');
  assert.equal(past.json().error_code, 416001);
  const inside = await h.app.inject({ method: 'GET', url: '/v1/blobs/outputs/job/1-ab/0.png', headers: { range: 'bytes=2-4' } });
  assert.equal(inside.statusCode, 206);
  assert.equal(inside.body, '234');
});
