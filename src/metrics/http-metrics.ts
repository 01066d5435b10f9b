/** Times every API response into modelgate_http_request_duration_seconds. */
import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.ts';

export function installHttpMetrics(app: FastifyInstance, metrics: Metrics): void {
  // The route template keeps the label set small; a URL no route matched is one series.
  app.addHook('onResponse', (request, reply, done) => {
    metrics.httpSeconds.observe({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });
}
