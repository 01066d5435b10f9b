/**
 * The client's parts that need no server: the event-stream reader on awkward chunkings, the
 * Retry-After parser, the generated model types being current, the wire types still matching the
 * server's views, and a browser bundle that resolves no Node built-in.
 */
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { build } from 'esbuild';
import { readEvents } from '../../src/client/event-stream.ts';
import type * as client from '../../src/client/index.ts';
import { parseRetryAfter } from '../../src/client/transport.ts';
import type * as server from '../../src/jobs/job-service.ts';
import type * as views from '../../src/jobs/job-views.ts';
import type { ErrorEnvelope } from '../../src/errors.ts';
// @ts-expect-error: a plain .mjs script, no types
import { generate, TARGET } from '../../scripts/generate-client-types.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function collect(chunks: string[]) {
  const events = [];
  for await (const event of readEvents(streamOf(chunks))) events.push(event);
  return events;
}

test('event stream: events split across chunks, CRLF, comments, multi-line data; an unterminated last event is dropped', async () => {
  const text = 'event: status\r\ndata: {"a":1}\r\n\r\n: keep-alive\n\nevent: result\ndata: line one\ndata: line two\n\ndata: no blank line after';
  const expected = [
    { event: 'status', data: '{"a":1}' },
    { event: 'result', data: 'line one\nline two' },
  ];
  assert.deepEqual(await collect([text]), expected);
  // Every split point, including inside "\r\n" and inside a multi-byte character's line.
  for (let cut = 1; cut < text.length; cut++) assert.deepEqual(await collect([text.slice(0, cut), text.slice(cut)]), expected, `cut at ${cut}`);
  const accented = 'data: café ☕\n\n';
  const bytes = new TextEncoder().encode(accented);
  const split = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes.slice(0, 10)); // inside "é"
      controller.enqueue(bytes.slice(10));
      controller.close();
    },
  });
  const events = [];
  for await (const event of readEvents(split)) events.push(event);
  assert.deepEqual(events, [{ event: 'message', data: 'café ☕' }]);
});

test('Retry-After: seconds, an HTTP date, nothing, garbage', () => {
  assert.equal(parseRetryAfter('3'), 3000);
  assert.equal(parseRetryAfter('0'), 0);
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
  assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now), 0);
  assert.equal(parseRetryAfter(null), undefined);
  assert.equal(parseRetryAfter('soon'), undefined);
});

test('src/client/models.ts is what scripts/generate-client-types.mjs makes of catalog/*.json', async () => {
  const { readFileSync } = await import('node:fs');
  assert.equal(readFileSync(TARGET as string, 'utf8'), (generate as () => string)(), 'stale: run node scripts/generate-client-types.mjs');
});

test('the typed inputs: a catalog model\'s fields are checked, another model id takes any object', () => {
  const typed: client.ModelInput<'runwayml/runway-gen-3-alpha/turbo/image-to-video'> = { promptText: 'waves', promptImage: 'https://x.test/a.png', duration: 10 };
  // @ts-expect-error: 7 is not one of the schema's durations
  const wrong: client.ModelInput<'runwayml/runway-gen-3-alpha/turbo/image-to-video'> = { promptText: 'waves', promptImage: 'x', duration: 7 };
  const other: client.ModelInput<'someone/else'> = { anything: true };
  assert.ok(typed && wrong && other);
});

/** true only when A and B have the same keys and each fits the other. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? ([Exclude<keyof A, keyof B> | Exclude<keyof B, keyof A>] extends [never] ? true : false) : false) : false;

test('the client\'s own wire types are the server\'s views, field for field (checked by tsc)', () => {
  // Each line fails the type check when a server view gains, loses or changes a field the client's copy does not.
  const same: Record<string, true> = {
    submit: true satisfies Same<server.SubmitResponse, client.SubmitResponse>,
    cancel: true satisfies Same<server.CancelResponse, client.CancelResponse>,
    status: true satisfies Same<views.StatusView, client.StatusView>,
    result: true satisfies Same<views.ResultView, client.ResultView>,
    output: true satisfies Same<views.OutputView, client.OutputView>,
    envelope: true satisfies Same<ErrorEnvelope, client.ErrorEnvelope>,
  };
  assert.equal(Object.keys(same).length, 6);
});

test('a browser bundle of the client resolves no Node built-in', async () => {
  const bundle = await build({
    entryPoints: [join(ROOT, 'src/client/index.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
  });
  const code = bundle.outputFiles[0]!.text;
  assert.doesNotMatch(code, /from\s*["']node:/);
  assert.match(code, /ModelGateClient = class/);
});
