/** Times every API response into modelgate_http_request_duration_seconds. */
import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.ts';

/** Methods, route templates and status codes are few; the cap only guards against surprises. */
const MAX_CACHED_SERIES = 2_000;

export function installHttpMetrics(app: FastifyInstance, metrics: Metrics): void {
  // prom-client hashes the label set on every observe(); a child bound once per series skips
  // that on the hot path (a status poll paid about 2 µs for it). The histogram is never reset,
  // so a cached child stays the series it was bound to.
  const series = new Map<string, { observe(value: number): void }>();
  app.addHook('onResponse', (request, reply, done) => {
    // The route template keeps the label set small; a URL no route matched is one series.
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${request.method} ${reply.statusCode} ${route}`;
    let child = series.get(key);
    if (child === undefined) {
      child = metrics.httpSeconds.labels({ method: request.method, route, status: String(reply.statusCode) });
      if (series.size < MAX_CACHED_SERIES) series.set(key, child);
    }
    child.observe(reply.elapsedTime / 1000);
    done();
  });
}
