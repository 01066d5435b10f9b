/**
 * A loopback HTTP front for a real ModelGate server, for the client tests: it forwards every
 * request, records each method and path, and can (a) answer like RunComfy's hosted API, which
 * has none of ModelGate's extension routes (the event stream, uploads): 404 with the standard
 * error envelope; (b) answer the next N requests 429/503 with a Retry-After, as a rate limiter
 * or a draining server does, before forwarding again.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface FrontProxy {
  url: string;
  /** "METHOD /path" of every request received, in order. */
  readonly seen: string[];
  /** The next `count` requests are answered `status` with `Retry-After: retryAfter` (omitted when undefined). */
  refuseNext(count: number, status: 429 | 503, retryAfter: string | undefined): void;
  close(): Promise<void>;
}

const EXTENSION_ROUTES = [/^\/v1\/requests\/[^/]+\/stream$/, /^\/v1\/files(\/|$)/];

function envelope(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ error_code: code, error_message: message }));
}

export async function startFrontProxy(target: string, options: { runComfyRoutesOnly?: boolean } = {}): Promise<FrontProxy> {
  const upstream = new URL(target);
  const seen: string[] = [];
  let refusals: Array<{ status: 429 | 503; retryAfter: string | undefined }> = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://front').pathname;
    seen.push(`${req.method} ${path}`);
    const refusal = refusals.shift();
    if (refusal) {
      req.resume();
      const headers: Record<string, string> = refusal.retryAfter === undefined ? {} : { 'retry-after': refusal.retryAfter };
      return envelope(res, refusal.status, refusal.status === 429 ? 429001 : 503001, 'not now', headers);
    }
    if (options.runComfyRoutesOnly && EXTENSION_ROUTES.some((route) => route.test(path))) {
      req.resume();
      return envelope(res, 404, 404001, 'Not found');
    }
    const forwarded = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    refuseNext(count, status, retryAfter) {
      refusals = Array.from({ length: count }, () => ({ status, retryAfter }));
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
