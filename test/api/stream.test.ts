import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createHarness, type Harness, MODELS } from '../support/harness.ts';

function parseEvents(text: string): Array<{ event: string; data: Record<string, unknown> }> {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event: '))
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      return { event: eventLine!.slice('event: '.length), data: JSON.parse(dataLine!.slice('data: '.length)) as Record<string, unknown> };
    });
}

describe('GET /v1/requests/{id}/stream (Server-Sent Events)', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness();
  });
  after(() => h.close());

  test('streams each status change, progress included, then the result, then ends', async () => {
    const id = (await h.app.inject({ method: 'POST', url: `/v1/models/${MODELS.dreamina}`, headers: h.auth, payload: { prompt: 'sleep=1200' } })).json().request_id;
    const streaming = h.app.inject({ method: 'GET', url: `/v1/requests/${id}/stream`, headers: h.auth });
    setTimeout(() => h.startWorkers(1), 300);
    const res = await streaming;
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/event-stream/);
    const events = parseEvents(res.body);
    const statuses = events.filter((e) => e.event === 'status').map((e) => e.data.status);
    assert.equal(statuses[0], 'in_queue');
    assert.ok(statuses.includes('in_progress'), JSON.stringify(statuses));
    assert.equal(statuses.at(-1), 'completed');
    const progress = events.filter((e) => e.data.status === 'in_progress' && typeof e.data.progress === 'number').map((e) => e.data.progress as number);
    assert.ok(progress.length >= 2, `progress events: ${JSON.stringify(progress)}`);
    assert.deepEqual([...progress].sort((a, b) => a - b), progress, 'progress only grows');
    const last = events.at(-1)!;
    assert.equal(last.event, 'result');
    assert.equal(last.data.status, 'succeeded');
  });

  test("another key's id (or an unknown one) is a 404001, not a stream", async () => {
    const id = (await h.app.inject({ method: 'POST', url: `/v1/models/${MODELS.dreamina}`, headers: h.auth, payload: { prompt: 'x' } })).json().request_id;
    const stranger = await h.newKey('stranger');
    const res = await h.app.inject({ method: 'GET', url: `/v1/requests/${id}/stream`, headers: stranger.auth });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error_code, 404001);
  });
});
