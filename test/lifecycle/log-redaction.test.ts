/**
 * Secrets in URLs never reach a log line, at any level: the request lines Fastify writes at
 * debug/trace (a key sent as `?api_key=` used to be logged whole), and any URL a component logs.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { buildApp } from '../../src/api/app.ts';
import { createContext } from '../../src/context.ts';
import { createLogger } from '../../src/logger.ts';
import { redactUrlSecrets } from '../../src/redact-secrets.ts';
import { tempDir, testConfig } from '../support/harness.ts';
import { createTestEngine } from '../support/test-engine.ts';

const dir = tempDir();
after(() => dir.remove());

test('redactUrlSecrets hides secret query values and URL passwords, and leaves everything else alone', () => {
  const cases: Array<[string, string]> = [
    ['/v1/models/x?api_key=mg_abc123', '/v1/models/x?api_key=[redacted]'],
    ['https://cdn.example.com/a.png?X-Amz-Credential=AKIA%2F1&X-Amz-Signature=deadbeef&X-Amz-Expires=60',
      'https://cdn.example.com/a.png?X-Amz-Credential=[redacted]&X-Amz-Signature=[redacted]&X-Amz-Expires=60'],
    ['/x?prompt=a%20cat&token=t0k&seed=7&sig=s1&key=k1&access_token=at;apiKey=k2', '/x?prompt=a%20cat&token=[redacted]&seed=7&sig=[redacted]&key=[redacted]&access_token=[redacted];apiKey=[redacted]'],
    ['postgres://modelgate:hunter2@db.example:5432/mg', 'postgres://modelgate:[redacted]@db.example:5432/mg'],
    ['/x?keyword=cat&design=flat&monkeys=3#key=frag', '/x?keyword=cat&design=flat&monkeys=3#key=frag'],
    ['{"url":"/healthz?API_KEY=mg_1","n":1}', '{"url":"/healthz?API_KEY=[redacted]","n":1}'],
  ];
  for (const [input, expected] of cases) assert.equal(redactUrlSecrets(input), expected, input);
});

test('at trace level, request lines and logged URLs carry no secret from a URL', async () => {
  const lines: string[] = [];
  const log = createLogger('trace', { write: (line: string) => void lines.push(line) });
  const config = testConfig(dir.path, { MODELGATE_LOG_LEVEL: 'trace' });
  const ctx = await createContext(config, { log, engines: { builtin: createTestEngine('builtin'), onnx: createTestEngine('onnx') } });
  const app = await buildApp(ctx);
  try {
    await app.inject({ method: 'GET', url: '/healthz?api_key=SECRET-ONE' });
    await app.inject({ method: 'GET', url: '/v1/requests/abc/status?token=SECRET-TWO&x=1', headers: { authorization: 'Bearer SECRET-THREE' } });
    await app.inject({ method: 'POST', url: '/v1/models/nope?access_token=SECRET-FOUR', payload: {} });
    ctx.log.warn({ input: 'https://user:SECRET-FIVE@cdn.example/a.png?X-Amz-Signature=SECRET-SIX' }, 'fetching https://cdn.example/b.png?sig=SECRET-SEVEN');
  } finally {
    await app.close();
    await ctx.close();
  }
  const text = lines.join('');
  assert.ok(lines.some((line) => /"msg":"incoming request"/.test(line)), 'request lines are written at trace');
  assert.doesNotMatch(text, /SECRET-/, text);
  assert.match(text, /\/healthz\?api_key=\[redacted\]/);
  assert.match(text, /token=\[redacted\]&x=1/);
  for (const line of lines) JSON.parse(line);
});
