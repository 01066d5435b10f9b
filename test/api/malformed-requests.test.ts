/**
 * Walks every route the app registers (collected as they are registered, so a route added later
 * is walked too) with malformed paths, headers and bodies over real HTTP on 127.0.0.1, where
 * nothing normalises the path on the way in. Every answer must be below 500, carry an
 * `x-request-id`, and (when not a success) be the error envelope; and the server must log
 * nothing at error level: all of these are the client's mistakes.
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { after, before, describe, test } from 'node:test';
import { Client } from 'undici';
import { createLogger } from '../../src/logger.ts';
import { createHarness, type Harness } from '../support/harness.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

type Headers = Record<string, string> | string[];

const UNKNOWN_ID = '0190a0b0-0000-7000-8000-000000000000';

/** What a parameter or wildcard can be given instead of a sane value. */
const BAD_VALUES = ['..', '%2e%2e', '%2E%2E/%2e%2e', '%ff', '%c3%28', '%00', '%0a', 'a%', '%2f', '', 'a'.repeat(10_000), `${UNKNOWN_ID}/..`, '..%2f..%2fmodelgate.db', 'outputs/../../modelgate.db', 'outputs/%2e%2e/%2e%2e/modelgate.db', 'outputs/', 'outputs/x/0.png.partial', 'outputs/folder'];

function concretePaths(url: string): string[] {
  const fill = (value: string) => url.replace(/:[\w]+/g, value).replace('*', value);
  const sane = fill(UNKNOWN_ID);
  const paths = BAD_VALUES.map(fill);
  if (url.includes(':') || url.includes('*')) paths.push(sane);
  // Shapes of the whole path: doubled and trailing slashes, dot segments, a bad query.
  paths.push(sane.replace('/', '//'), `${sane}/`, `${sane}//`, sane.replace(/\/([^/]*)$/, '/./$1'), sane.replace(/\/([^/]*)$/, '/../$1'), `${sane}?x=%ff&y=%`, `${sane}?${'q'.repeat(5000)}`);
  return paths;
}

function badHeaders(key: string): Headers[] {
  return [
    {},
    { authorization: 'Bearer' },
    { authorization: 'Basic dXNlcjpwYXNz' },
    { authorization: `Bearer ${'x'.repeat(8000)}` },
    ['authorization', `Bearer ${key}`, 'authorization', 'Bearer mg_wrong'],
    { authorization: `Bearer ${key}`, 'x-request-id': 'junk "with" quotes and spaces' },
    { authorization: `Bearer ${key}`, 'x-request-id': 'r'.repeat(1000) },
    { authorization: `Bearer ${key}`, accept: 'application/xml;q=2, */*;q=nonsense' },
    { authorization: `Bearer ${key}`, 'content-type': 'application/json; charset=utf-64' },
    { authorization: `Bearer ${key}`, 'content-type': 'x'.repeat(2000) },
    { authorization: `Bearer ${key}`, 'content-encoding': 'zstd' },
    { authorization: `Bearer ${key}`, range: 'bytes=999999999-' },
  ];
}

function badBodies(): Array<{ headers: Record<string, string>; body: string | Buffer }> {
  const json = { 'content-type': 'application/json' };
  const multipart = { 'content-type': 'multipart/form-data; boundary=XX' };
  const filePart = '--XX\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n';
  return [
    { headers: json, body: '{"prompt": ' },
    { headers: json, body: '[1, 2]' },
    { headers: json, body: 'null' },
    { headers: json, body: '{"prompt": 5, "seed": "x"}' },
    { headers: json, body: '{"__proto__": {"x": 1}}' },
    { headers: json, body: '\xff\xfe{}' },
    { headers: json, body: '' },
    { headers: { 'content-type': 'text/plain' }, body: '' },
    { headers: { 'content-type': 'text/plain' }, body: 'hello' },
    { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=%ff' },
    { headers: { 'content-type': 'multipart/form-data' }, body: 'no boundary' },
    { headers: multipart, body: '' },
    { headers: multipart, body: `${filePart}\x89PNG` },
    { headers: multipart, body: '--XX\r\nContent-Dispos' },
    { headers: multipart, body: '--XX\r\nContent-Disposition: form-data; name="file"\r\n\r\nno filename\r\n--XX--\r\n' },
    { headers: multipart, body: `${filePart}a\r\n--XX\r\nContent-Disposition: form-data; name="f2"; filename="b.png"\r\n\r\nb\r\n--XX--\r\n` },
    { headers: { ...json, 'content-encoding': 'gzip' }, body: '{"not": "gzip"}' },
    { headers: { ...json, 'content-encoding': 'gzip, br' }, body: gzipSync('{}') },
    { headers: { ...multipart, 'content-encoding': 'gzip' }, body: gzipSync(`${filePart}a\r\n--XX--\r\n`) },
  ];
}

/** One request over a raw socket: the bytes go out exactly as written. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const socket: Socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer in 5 s')));
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
  });
}

describe('malformed requests, on every route', () => {
  let h: Harness;
  let client: Client;
  let port: number;
  const routes: Array<{ method: string; url: string }> = [];
  const logged: Array<{ level: number; msg: string; err?: unknown }> = [];

  before(async () => {
    // Fastify announces each instance on this channel as it is created, before any route.
    const collect = (message: unknown) => {
      (message as { fastify: FastifyInstance }).fastify.addHook('onRoute', (route: RouteOptions) => {
        for (const method of [route.method].flat()) routes.push({ method, url: route.url });
      });
    };
    subscribe('fastify.initialization', collect);
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) logged.push(JSON.parse(line));
        done();
      },
    });
    try {
      h = await createHarness({ log: createLogger('info', sink), env: { MODELGATE_BODY_LIMIT: '65536' } });
    } finally {
      unsubscribe('fastify.initialization', collect);
    }
    // An output folder and a half-written file, to ask for by name.
    const outputs = join(h.ctx.config.dataDir, 'blobs', 'outputs');
    mkdirSync(join(outputs, 'folder'), { recursive: true });
    mkdirSync(join(outputs, 'x'), { recursive: true });
    writeFileSync(join(outputs, 'x', '0.png.partial'), 'half');
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    port = (h.app.server.address() as AddressInfo).port;
    client = new Client(`http://127.0.0.1:${port}`, { pipelining: 0 });
  });
  after(async () => {
    await client.close();
    await h.close();
  });

  async function send(method: string, path: string, headers: Headers = {}, body?: string | Buffer): Promise<Answer> {
    const res = await client.request({ method: method as 'GET', path, headers, ...(body === undefined ? {} : { body }) });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  }

  function check(what: string, method: string, answer: Answer): void {
    const label = `${what} → ${answer.status} ${answer.text.slice(0, 200)}`;
    assert.ok(answer.status < 500, label);
    assert.equal(typeof answer.headers['x-request-id'], 'string', `${label}: no x-request-id`);
    if (answer.status >= 200 && answer.status < 300) return;
    if (method === 'HEAD') return; // no body to judge
    assert.match(String(answer.headers['content-type']), /^application\/json/, label);
    const body = JSON.parse(answer.text) as Record<string, unknown>;
    assert.equal(typeof body.error_code, 'number', label);
    assert.equal(typeof body.error_message, 'string', label);
    assert.equal(Math.floor((body.error_code as number) / 1000), answer.status, `${label}: error_code and HTTP status disagree`);
  }

  test('the walk covers every kind of route', () => {
    const urls = new Set(routes.map((r) => r.url));
    for (const url of ['/v1/models/*', '/v1/requests/:request_id/status', '/v1/requests/:request_id/stream', '/v1/files', '/v1/files/:file_id', '/v1/blobs/*', '/healthz']) {
      assert.ok(urls.has(url), `${url} is registered and walked`);
    }
  });

  test('malformed paths: never a 5xx, always the envelope with x-request-id', async () => {
    for (const { method, url } of routes) {
      for (const path of concretePaths(url)) {
        check(`${method} ${path.slice(0, 120)}`, method, await send(method, path, h.auth));
      }
    }
  });

  test('malformed headers: never a 5xx, always the envelope with x-request-id', async () => {
    for (const { method, url } of routes) {
      const path = url.replace(/:[\w]+/g, UNKNOWN_ID).replace('*', 'bytedance/dreamina-4-0/text-to-image');
      for (const headers of badHeaders(h.key)) {
        const body = method === 'POST' ? '{}' : undefined;
        check(`${method} ${path} ${JSON.stringify(headers).slice(0, 120)}`, method, await send(method, path, headers, body));
      }
    }
  });

  test('malformed bodies: never a 5xx, always the envelope with x-request-id', async () => {
    for (const { method, url } of routes.filter((r) => r.method === 'POST')) {
      const path = url.replace(/:[\w]+/g, UNKNOWN_ID).replace('*', 'bytedance/dreamina-4-0/text-to-image');
      for (const { headers, body } of badBodies()) {
        check(`${method} ${path} ${JSON.stringify(headers)} ${JSON.stringify(String(body)).slice(0, 80)}`, method, await send(method, path, { ...h.auth, ...headers }, body));
      }
    }
  });

  test('bytes that are not HTTP, or a body longer than its Content-Length, get the envelope too', async () => {
    const answers = [
      await rawExchange(port, `POST /v1/requests/${UNKNOWN_ID}/cancel HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}garbage that is no request line\r\n\r\n`),
      await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n'),
      await rawExchange(port, `GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`),
    ];
    for (const text of answers) {
      const last = text.lastIndexOf('HTTP/1.1 ');
      const [head, body] = [text.slice(last, text.indexOf('\r\n\r\n', last)), text.slice(text.indexOf('\r\n\r\n', last) + 4)];
      assert.match(head, /^HTTP\/1\.1 4\d\d /, text);
      assert.match(head, /\r\nx-request-id: \S+/i, text);
      assert.equal(typeof JSON.parse(body).error_code, 'number', text);
    }
  });

  test('malformed request ids get the unknown-id answer, after the key check, echoing at most 64 characters of the id', async () => {
    const expected: Array<[string, string]> = [
      ['%ff', 'Request %ff was not found.'],
      ['%c3%28', 'Request %c3%28 was not found.'],
      ['a%', 'Request a% was not found.'],
      ['a'.repeat(10_000), `Request ${'a'.repeat(64)}… was not found.`],
      ['%00', 'Request \\u0000 was not found.'],
      ['not-a-uuid', 'Request not-a-uuid was not found.'],
    ];
    for (const [id, message] of expected) {
      for (const [method, route] of [['GET', 'status'], ['GET', 'result'], ['POST', 'cancel']] as const) {
        const answer = await send(method, `/v1/requests/${id}/${route}`, h.auth);
        assert.equal(answer.status, 404, `${route} ${id}`);
        assert.deepEqual(JSON.parse(answer.text), { error_code: 404001, error_message: message });
      }
      assert.equal((await send('GET', `/v1/requests/${id}/status`)).status, 401, `${id} without a key`);
    }
  });

  test('nothing outside outputs/ is served, by any spelling', async () => {
    for (const path of ['outputs/../../modelgate.db', 'outputs/%2e%2e/%2e%2e/modelgate.db', 'outputs/..%2f..%2fmodelgate.db', '../modelgate.db', 'outputs/x/0.png.partial', 'outputs/folder', 'outputs/', 'uploads/', 'outputs//x/0.png.partial']) {
      const answer = await send('GET', `/v1/blobs/${path}`);
      assert.equal(answer.status, 404, `${path}: ${answer.text}`);
      assert.equal(JSON.parse(answer.text).error_code, 404001, path);
    }
  });

  test('the server logged nothing at error level for any of it', () => {
    const errors = logged.filter((line) => line.level >= 50);
    assert.deepEqual(errors, []);
  });
});

/** The id as the route sees it: decoded when it decodes, literal when it does not. */
function safeDecode(id: string): string {
  try {
    return decodeURIComponent(id);
  } catch {
    return id;
  }
}
