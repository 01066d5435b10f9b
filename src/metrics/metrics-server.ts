/**
 * MODELGATE_METRICS_PORT: `modelgate worker` has no API, so it serves GET /metrics on a port of
 * its own (HOST, the same token) for its workers' counters and histograms. Anything else there
 * is 404; the answers are plain text, since no API client ever talks to this port.
 */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { StartupError } from '../config-error.ts';
import { carriesMetricsToken } from './token.ts';

export async function startMetricsServer(registry: Registry, host: string, port: number, token: string): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    } else if (!carriesMetricsToken(request.headers.authorization, token)) {
      response.writeHead(401, { 'content-type': 'text/plain' }).end('missing or wrong metrics token\n');
    } else {
      registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`collecting metrics failed: ${(error as Error).message}\n`),
      );
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new StartupError(`cannot serve metrics on ${host}:${port} (${error.code ?? error.message}); set MODELGATE_METRICS_PORT to a free port`)));
    server.listen(port, host, () => resolve());
  });
  return server;
}
