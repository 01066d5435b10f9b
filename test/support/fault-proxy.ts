/**
 * A loopback HTTP proxy that sits between a ModelGate and the upstream it forwards to, so tests
 * can inject what real networks and providers do: answer 429 with Retry-After, drop a connection
 * before answering, or forward a request and then drop the connection so the response is lost
 * after the upstream committed it. Every request is recorded (method, path, headers, time).
 *
 *   const proxy = await startFaultProxy();
 *   proxy.target = 'http://127.0.0.1:1234';
 *   proxy.rule = (req, seen) => req.path.endsWith('/status') && seen === 1 ? { status: 429, headers: { 'retry-after': '1' } } : 'pass';
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  at: number;
}

export type Action =
  | 'pass'
  /** Close the socket without answering (the request never reaches the upstream). */
  | 'drop'
  /** Forward to the upstream, then close the socket instead of answering (the response is lost). */
  | 'forward-then-drop'
  | { status: number; headers?: Record<string, string>; json?: unknown };

export interface FaultProxy {
  url: string;
  target: string;
  /** Decides each request's fate; `seen` counts earlier requests with the same method and path shape (ids replaced). */
  rule: (req: SeenRequest, seen: number) => Action;
  readonly requests: SeenRequest[];
  close(): Promise<void>;
}

/** `/v1/requests/<id>/status` → `/v1/requests/*\/status`, so rules can count per route. */
export function routeOf(path: string): string {
  return path.replace(/\/v1\/requests\/[^/]+/, '/v1/requests/*').replace(/\?.*$/, '');
}

export async function startFaultProxy(): Promise<FaultProxy> {
  const counts = new Map<string, number>();
  const proxy: FaultProxy = {
    url: '',
    target: '',
    rule: () => 'pass',
    requests: [],
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((req, res) => {
    const seen: SeenRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, at: Date.now() };
    proxy.requests.push(seen);
    const key = `${seen.method} ${routeOf(seen.path)}`;
    const count = counts.get(key) ?? 0;
    counts.set(key, count + 1);
    const action = proxy.rule(seen, count);
    if (action === 'drop') {
      res.destroy();
      return;
    }
    if (typeof action === 'object') {
      req.resume();
      res.writeHead(action.status, { 'content-type': 'application/json', ...action.headers });
      res.end(action.json === undefined ? '{}' : JSON.stringify(action.json));
      return;
    }
    // Hop-by-hop headers stay on this hop; undici frames the forwarded body itself.
    const headers = { ...req.headers };
    for (const name of ['host', 'connection', 'keep-alive', 'transfer-encoding']) delete headers[name];
    const hasBody = seen.method !== 'GET' && seen.method !== 'HEAD';
    request(`${proxy.target}${seen.path}`, { method: seen.method as 'GET', headers, body: hasBody ? req : null }).then(
      async (upstream) => {
        if (action === 'forward-then-drop') {
          await upstream.body.dump();
          res.destroy();
          return;
        }
        const out: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(upstream.headers)) {
          if (value !== undefined && name !== 'connection' && name !== 'transfer-encoding' && name !== 'keep-alive') out[name] = value;
        }
        res.writeHead(upstream.statusCode, out);
        for await (const chunk of upstream.body) res.write(chunk);
        res.end();
      },
      () => res.destroy(),
    ).catch(() => res.destroy()); // the upstream's body broke off mid-stream: so does ours
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
