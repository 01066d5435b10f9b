/**
 * GET /models/<model id>: the human-readable page each catalog entry's `model_url` names. No key:
 * it shows nothing /openapi.json (also keyless) does not, and a link must open in a browser.
 */
import type { FastifyInstance } from 'fastify';
import type { Context } from '../../context.ts';
import { ApiError } from '../../errors.ts';
import { renderModelPage } from '../model-page.ts';
import { modelSummary } from './models.ts';

export function modelPageRoutes(ctx: Context) {
  return async function register(app: FastifyInstance): Promise<void> {
    app.get<{ Params: { '*': string } }>('/models/*', async (request, reply) => {
      const model = ctx.catalog.get(request.params['*']);
      if (!model) throw new ApiError('not_found', `No model "${request.params['*']}". GET /v1/models lists the available models.`);
      return reply
        .type('text/html; charset=utf-8')
        // Catalog text is escaped; the policy is the second line of defence against markup in a catalog file.
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
        .header('x-content-type-options', 'nosniff')
        .send(renderModelPage(model, modelSummary(ctx, model.id), ctx.config.publicUrl));
    });
  };
}
