/**
 * A webhook receiver double on 127.0.0.1: records every request (path, headers, raw body) and
 * answers what the test programs, one answer per request in turn (the last one repeats).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

export type Answer = { status: number; headers?: Record<string, string> };

export interface Receiver {
  port: number;
  url(path?: string): string;
  received: Received[];
  /** Answers for the next requests, in order; the last one repeats. Default: 204. */
  answer(...answers: Answer[]): void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  let answers: Answer[] = [{ status: 204 }];
  let served = 0;
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const answer = answers[Math.min(served++, answers.length - 1)]!;
      res.writeHead(answer.status, answer.headers).end(answer.status === 204 ? undefined : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    received,
    answer(...next) {
      answers = next;
      served = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Verifies a delivery the way a receiver would, written from the Standard Webhooks
 * specification with node:crypto alone (not the server's signing code): the HMAC-SHA256 of
 * "id.timestamp.body", keyed by the base64-decoded part of the whsec_ secret.
 */
export function verifiedIndependently(secret: string, delivery: Received): boolean {
  const id = String(delivery.headers['webhook-id']);
  const timestamp = String(delivery.headers['webhook-timestamp']);
  const expected = createHmac('sha256', Buffer.from(secret.replace(/^whsec_/, ''), 'base64')).update(`${id}.${timestamp}.${delivery.body}`).digest();
  return String(delivery.headers['webhook-signature']).split(' ').some((signature) => {
    const [version, encoded] = signature.split(',');
    const given = Buffer.from(encoded ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}
