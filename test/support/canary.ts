/**
 * Loopback "canary" listeners for the URL-fetcher tests: each counts raw TCP connections (the
 * figure the SSRF tests assert on) and requests, and answers through a handler the test gives.
 * HTTPS canaries use a throwaway self-signed certificate made with openssl at test time.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type CanaryHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface Canary {
  host: string;
  port: number;
  connections: number;
  requests: string[];
  close(): Promise<void>;
}

export interface TestCertificate {
  key: string;
  cert: string;
}

/** A self-signed certificate for the given DNS names and 127.0.0.1 (EC P-256: fast to make). */
export function makeTestCertificate(names: readonly string[]): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-cert-'));
  try {
    const san = [...names.map((n) => `DNS:${n}`), 'IP:127.0.0.1'].join(',');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1',
      '-subj', `/CN=${names[0] ?? 'localhost'}`, '-addext', `subjectAltName=${san}`,
    ], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startCanary(handler: CanaryHandler, options: { host?: string; port?: number; tls?: TestCertificate } = {}): Promise<Canary> {
  const host = options.host ?? '127.0.0.1';
  const server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, handler) : http.createServer(handler);
  const sockets = new Set<import('node:net').Socket>();
  const canary: Canary = {
    host,
    port: 0,
    connections: 0,
    requests: [],
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server.on('connection', (socket) => {
    canary.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('request', (req) => canary.requests.push(req.url ?? ''));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  canary.port = (server.address() as AddressInfo).port;
  server.unref(); // a failing test must not hang its process
  return canary;
}
