/**
 * Request loggers are lazy (src/logger.ts LazyRequestLogger): nothing is built for a request that
 * writes no line, and every line a request does write carries its request id (the x-request-id
 * it was answered with) and, past the auth hook, its key's prefix.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger, LazyRequestLogger } from '../../src/logger.ts';
import { createHarness, type Harness, MODELS } from '../support/harness.ts';

describe('request log lines', () => {
  let h: Harness;
  const lines: Array<Record<string, unknown>> = [];
  before(async () => {
    h = await createHarness({ log: createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }) });
  });
  after(() => h.close());

  test("a line written while answering names the request id it was answered with and the key's prefix", async () => {
    lines.length = 0;
    const res = await h.app.inject({ method: 'POST', url: `/v1/models/${MODELS.dreamina}`, headers: { ...h.auth, 'content-type': 'application/json' }, payload: '{"prompt": ' });
    assert.equal(res.statusCode, 422);
    const line = lines.find((l) => l.msg === 'malformed request');
    assert.ok(line, JSON.stringify(lines));
    assert.equal(line.reqId, res.headers['x-request-id']);
    assert.equal(line.key, h.key.slice(0, 10));
    assert.equal(line.component, 'api');
    assert.doesNotMatch(JSON.stringify(lines), new RegExp(h.key), 'the key itself is never logged');
  });

  test('a caller-sent x-request-id is the reqId of its lines; requests that log nothing write nothing', async () => {
    lines.length = 0;
    const res = await h.app.inject({ method: 'POST', url: `/v1/models/${MODELS.dreamina}`, headers: { ...h.auth, 'content-type': 'application/json', 'x-request-id': 'trace-77' }, payload: '[' });
    assert.equal(res.headers['x-request-id'], 'trace-77');
    assert.ok(lines.some((l) => l.msg === 'malformed request' && l.reqId === 'trace-77'), JSON.stringify(lines));
    lines.length = 0;
    for (let i = 0; i < 5; i++) assert.equal((await h.app.inject({ method: 'GET', url: '/v1/models', headers: h.auth })).statusCode, 200);
    assert.deepEqual(lines, []);
  });
});

describe('LazyRequestLogger', () => {
  function parentLogger(level: string) {
    const written: Array<Record<string, unknown>> = [];
    const parent = createLogger(level, { write: (line: string) => void written.push(JSON.parse(line) as Record<string, unknown>) });
    let children = 0;
    const child = parent.child.bind(parent);
    parent.child = ((...args: Parameters<typeof parent.child>) => {
      children++;
      return child(...args);
    }) as typeof parent.child;
    return { parent, written, children: () => children };
  }

  test('builds no child until a line passes the level, then one, with every binding', () => {
    const { parent, written, children } = parentLogger('info');
    const log = new LazyRequestLogger(parent, { reqId: 'r1' });
    log.debug('not at info');
    log.bind('key', 'mg_abc');
    assert.equal(children(), 0);
    log.info({ n: 1 }, 'first');
    log.warn('second');
    assert.equal(children(), 1);
    assert.deepEqual(written.map((l) => [l.msg, l.reqId, l.key, l.n]), [['first', 'r1', 'mg_abc', 1], ['second', 'r1', 'mg_abc', undefined]]);
  });

  test('a binding added after the first line is on the later lines; a route level of its own is kept', () => {
    const { parent, written } = parentLogger('info');
    const log = new LazyRequestLogger(parent, { reqId: 'r2' });
    log.info('before');
    log.bind('key', 'mg_late');
    log.error('after');
    assert.deepEqual(written.map((l) => [l.msg, l.key]), [['before', undefined], ['after', 'mg_late']]);

    const quiet = new LazyRequestLogger(parent, { reqId: 'r3' }, { level: 'error' });
    assert.equal(quiet.level, 'error');
    quiet.warn('dropped');
    quiet.error('kept');
    assert.deepEqual(written.slice(2).map((l) => l.msg), ['kept']);
  });
});
