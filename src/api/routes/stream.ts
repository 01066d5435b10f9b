/**
 * `GET /v1/requests/{id}/stream`: Server-Sent Events of one request, an extension for clients
 * that would rather be told than poll. Events:
 *   `status`  the status view (as on the status route) whenever it changes: state, queue
 *             position or progress;
 *   `result`  the result view once the request is finished or cancelled; then the stream ends.
 * The server reads the job every `intervalMs` (so changes made by any process are seen) and sends
 * a comment line every 15 s to keep proxies from closing an idle stream.
 */
import type { FastifyInstance } from 'fastify';
import type { JobService } from '../../jobs/job-service.ts';
import { ownerOf } from '../auth.ts';
import { errorResponses } from '../schemas.ts';

const KEEPALIVE_MS = 15_000;

export function streamRoutes(jobs: JobService, intervalMs = 250) {
  return async function register(app: FastifyInstance): Promise<void> {
    app.get<{ Params: { request_id: string } }>('/v1/requests/:request_id/stream', { schema: { response: errorResponses([401, 404, 429]) } }, async (request, reply) => {
      const owner = ownerOf(request);
      const id = request.params.request_id;
      // Unknown or foreign ids fail here, before any event-stream header is sent: same 404001.
      let status = await jobs.status(owner, id);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no', 'x-request-id': request.id });
      const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      let closed = false;
      request.raw.on('close', () => (closed = true));
      let last = '';
      let lastWrite = Date.now();
      try {
        while (!closed) {
          const text = JSON.stringify(status);
          if (text !== last) {
            send('status', status);
            last = text;
            lastWrite = Date.now();
          }
          if (status.status === 'completed' || status.status === 'cancelled') {
            send('result', await jobs.result(owner, id));
            break;
          }
          if (Date.now() - lastWrite >= KEEPALIVE_MS) {
            res.write(': keep-alive\n\n');
            lastWrite = Date.now();
          }
          await new Promise((resolve) => setTimeout(resolve, intervalMs));
          status = await jobs.status(owner, id);
        }
      } catch (error) {
        request.log.error({ err: error }, 'event stream failed');
        if (!closed) send('error', { error_code: 500001, error_message: 'The event stream failed; poll the status route instead.' });
      } finally {
        res.end();
      }
    });
  };
}
