/**
 * MODELGATE_REQUEST_TIMEOUT_MS on a listening server: a client that sends its request a byte now
 * and then (slowloris), in the headers or in the body, loses its connection near the limit
 * instead of holding it; a request sent slowly but within the limit is answered; and the limit
 * bounds receiving a request, never an answer that takes long (Prefer: wait).
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createHarness, MODELS, type Harness } from '../support/harness.ts';

const LIMIT_MS = 1_500;
/** Node checks on an interval (a quarter of the limit, api/app.ts); what a loaded machine adds on top. */
const CUT_BY_MS = LIMIT_MS + LIMIT_MS / 4 + 1_500;

describe('slow clients', { timeout: 60_000 }, () => {
  let h: Harness;
  let port: number;
  before(async () => {
    h = await createHarness({ env: { MODELGATE_REQUEST_TIMEOUT_MS: String(LIMIT_MS) } });
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    port = (h.app.server.address() as { port: number }).port;
  });
  after(() => h.close());

  /** Writes `head` at once, then `trickle` a byte every `everyMs`; resolves when the server closes the connection, with what it answered. */
  function trickle(head: string, trickle: string, everyMs: number): Promise<{ ms: number; answer: string; bytesSent: number }> {
    return new Promise((resolve) => {
      const socket: Socket = connect(port, '127.0.0.1');
      const started = performance.now();
      let answer = '';
      let sent = 0;
      let timer: NodeJS.Timeout | undefined;
      socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
      socket.on('error', () => {});
      socket.on('close', () => {
        clearInterval(timer);
        resolve({ ms: performance.now() - started, answer, bytesSent: sent });
      });
      socket.write(head);
      timer = setInterval(() => {
        if (sent < trickle.length && socket.writable) socket.write(trickle[sent++]!);
      }, everyMs);
    });
  }

  test('a body sent a byte at a time is cut near the limit, unanswered and unsaved', async () => {
    const body = JSON.stringify({ prompt: 'x'.repeat(200) });
    const head = `POST /v1/models/${MODELS.dreamina} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${h.auth.authorization}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const { ms, answer, bytesSent } = await trickle(head, body, 100);
    assert.ok(bytesSent < body.length, 'the whole body went through before the cut');
    assert.ok(ms <= CUT_BY_MS, `closed after ${Math.round(ms)} ms, limit ${LIMIT_MS} ms`);
    assert.ok(ms >= LIMIT_MS - 100, `closed after ${Math.round(ms)} ms, before the limit`);
    assert.doesNotMatch(answer, /^HTTP\/1\.1 2/, 'no success for a request that never arrived');
    assert.equal((await h.ctx.store.listJobs({ ownerKeyId: h.keyId, limit: 10 })).length, 0);
  });

  test('headers sent a byte at a time are cut near the limit', async () => {
    const { ms } = await trickle('GET /v1/models HTTP/1.1\r\n', 'X-Slow: ' + 'a'.repeat(200), 100);
    assert.ok(ms <= CUT_BY_MS, `closed after ${Math.round(ms)} ms, limit ${LIMIT_MS} ms`);
  });

  test('a request sent slowly but within the limit is answered', async () => {
    const body = JSON.stringify({ prompt: 'slow but in time' });
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.write(`POST /v1/models/${MODELS.dreamina} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${h.auth.authorization}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
    for (const part of [body.slice(0, 5), body.slice(5, 12), body.slice(12)]) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      socket.write(part);
    }
    await new Promise((resolve) => socket.on('close', resolve));
    assert.match(answer, /^HTTP\/1\.1 200 /, answer.slice(0, 200));
  });

  test('an answer that takes longer than the limit is not cut: the limit is on receiving the request', async () => {
    const started = performance.now();
    const response = await fetch(`http://127.0.0.1:${port}/v1/models/${MODELS.dreamina}`, {
      method: 'POST',
      headers: { ...h.auth, 'content-type': 'application/json', prefer: 'wait=3' },
      body: JSON.stringify({ prompt: 'held for three seconds' }),
    });
    const ms = performance.now() - started;
    assert.equal(response.status, 200, await response.text());
    assert.ok(ms >= 2_800, `answered after ${Math.round(ms)} ms: the wait was not held`);
  });
});
