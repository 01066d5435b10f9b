/**
 * Issue 12, item 1: a cancel carries whatever body framing its HTTP client chose (aiohttp: an
 * empty application/octet-stream), and must cancel all the same. Driven over a raw socket on a
 * listening server, so the bytes (headers, chunked framing) arrive exactly as written.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createHarness, type Harness, MODELS } from '../support/harness.ts';

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `head` (request line and headers, no blank line) and `body`; reads one response, keep-alive or not. */
function rawRequest(port: number, head: string, body = ''): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const socket = connect(port, '127.0.0.1', () => socket.write(`${head}\r\n\r\n${body}`, 'latin1'));
    socket.setTimeout(5000, () => socket.destroy(new Error('no complete answer in 5 s')));
    const tryParse = (): RawAnswer | undefined => {
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const [statusLine, ...lines] = received.subarray(0, end).toString('latin1').split('\r\n');
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      const length = Number(headers['content-length'] ?? 0);
      if (received.length < end + 4 + length) return undefined;
      return { status: Number(statusLine!.split(' ')[1]), headers, body: received.subarray(end + 4, end + 4 + length).toString('utf8') };
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const answer = tryParse();
      if (answer) {
        socket.destroy();
        resolve(answer);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`connection closed before a complete answer: ${received.toString('latin1')}`)));
  });
}

describe('routes without a body accept any body framing', () => {
  let h: Harness;
  let port: number;

  before(async () => {
    // No workers: submitted jobs stay queued, so each cancel has something to cancel.
    h = await createHarness({ env: { MODELGATE_BODY_LIMIT: '4096' } });
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    port = (h.app.server.address() as AddressInfo).port;
  });
  after(() => h.close());

  async function queuedJob(): Promise<string> {
    const res = await h.app.inject({ method: 'POST', url: `/v1/models/${MODELS.dreamina}`, headers: { ...h.auth, 'content-type': 'application/json' }, payload: { prompt: 'a cat' } });
    assert.equal(res.statusCode, 200, res.body);
    return res.json().request_id as string;
  }

  const cancelHead = (id: string, headers: string[]) =>
    [`POST /v1/requests/${id}/cancel HTTP/1.1`, `Host: 127.0.0.1:${port}`, `Authorization: Bearer ${h.key}`, ...headers].join('\r\n');

  async function assertCancelled(id: string, answer: RawAnswer, what: string): Promise<void> {
    assert.equal(answer.status, 200, `${what}: ${answer.body}`);
    assert.deepEqual(JSON.parse(answer.body), { request_id: id, status: 'cancelled', outcome: 'cancelled' }, what);
    const status = await h.app.inject({ method: 'GET', url: `/v1/requests/${id}/status`, headers: h.auth });
    assert.equal(status.json().status, 'cancelled', what);
  }

  test("aiohttp's cancel, byte for byte (empty application/octet-stream), cancels a queued job", async () => {
    const id = await queuedJob();
    // What aiohttp 3.x writes for session.post(cancel_url, headers={"Authorization": ...}).
    const head = [
      `POST /v1/requests/${id}/cancel HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      `Authorization: Bearer ${h.key}`,
      'Accept: */*',
      'Accept-Encoding: gzip, deflate',
      'User-Agent: Python/3.11 aiohttp/3.9.5',
      'Content-Length: 0',
      'Content-Type: application/octet-stream',
    ].join('\r\n');
    await assertCancelled(id, await rawRequest(port, head), 'aiohttp');
  });

  test('empty bodies of every type and framing cancel', async () => {
    const framings: Array<[string, string[], string]> = [
      ['empty form-urlencoded', ['Content-Type: application/x-www-form-urlencoded', 'Content-Length: 0'], ''],
      ['empty text/plain', ['Content-Type: text/plain; charset=utf-8', 'Content-Length: 0'], ''],
      ['multipart without parts', ['Content-Type: multipart/form-data; boundary=XX', 'Content-Length: 0'], ''],
      ['no Content-Type, no Content-Length', [], ''],
      ['empty JSON', ['Content-Type: application/json', 'Content-Length: 0'], ''],
      ['a zero-length chunk', ['Content-Type: application/octet-stream', 'Transfer-Encoding: chunked'], '0\r\n\r\n'],
      ['a zero-length chunk, no Content-Type', ['Transfer-Encoding: chunked'], '0\r\n\r\n'],
    ];
    for (const [what, headers, body] of framings) {
      const id = await queuedJob();
      await assertCancelled(id, await rawRequest(port, cancelHead(id, headers), body), what);
    }
  });

  test('a body the cancel does not read is ignored, whatever it holds', async () => {
    const bodies: Array<[string, string[], string]> = [
      ['a form', ['Content-Type: application/x-www-form-urlencoded', 'Content-Length: 5'], 'a=%ff'],
      ['bytes', ['Content-Type: application/octet-stream', 'Content-Length: 4'], '\x00\x01\x02\x03'],
      ['text, chunked', ['Content-Type: text/plain', 'Transfer-Encoding: chunked'], '5\r\nhello\r\n0\r\n\r\n'],
      ['broken JSON', ['Content-Type: application/json', 'Content-Length: 11'], '{"prompt": '],
      ['a closing boundary only', ['Content-Type: multipart/form-data; boundary=XX', 'Content-Length: 6'], '--XX--'],
    ];
    for (const [what, headers, body] of bodies) {
      const id = await queuedJob();
      await assertCancelled(id, await rawRequest(port, cancelHead(id, headers), body), what);
    }
  });

  test('an ignored body still counts against the body limit', async () => {
    const id = await queuedJob();
    const body = 'x'.repeat(5000);
    const answer = await rawRequest(port, cancelHead(id, ['Content-Type: application/octet-stream', `Content-Length: ${body.length}`]), body);
    assert.equal(answer.status, 413, answer.body);
    assert.equal(JSON.parse(answer.body).error_code, 413001);
    const status = await h.app.inject({ method: 'GET', url: `/v1/requests/${id}/status`, headers: h.auth });
    assert.equal(status.json().status, 'in_queue', 'a refused cancel cancels nothing');
  });

  test('submit still reads JSON only: a non-empty body of another type is 422001, an empty one is no body', async () => {
    const submitHead = (headers: string[]) =>
      [`POST /v1/models/${MODELS.dreamina} HTTP/1.1`, `Host: 127.0.0.1:${port}`, `Authorization: Bearer ${h.key}`, ...headers].join('\r\n');
    const json = '{"prompt":"a cat"}';
    for (const type of ['application/octet-stream', 'text/plain', 'application/x-www-form-urlencoded']) {
      const refused = await rawRequest(port, submitHead([`Content-Type: ${type}`, `Content-Length: ${json.length}`]), json);
      assert.equal(refused.status, 422, `${type}: ${refused.body}`);
      const envelope = JSON.parse(refused.body);
      assert.equal(envelope.error_code, 422001);
      assert.deepEqual(envelope.detail.map((d: { loc: unknown }) => d.loc), [['body']], type);
      assert.match(envelope.error_message, /application\/json/, type);
    }
    const empty = await rawRequest(port, submitHead(['Content-Type: application/octet-stream', 'Content-Length: 0']));
    assert.equal(empty.status, 422, empty.body);
    assert.deepEqual(JSON.parse(empty.body).detail, [{ loc: ['body'], msg: 'the request body must be a JSON object', type: 'type' }], 'an empty body reaches validation as no body');
    const accepted = await rawRequest(port, submitHead(['Content-Type: application/json', `Content-Length: ${json.length}`]), json);
    assert.equal(accepted.status, 200, accepted.body);
  });
});
