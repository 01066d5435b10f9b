/**
 * GET /v1/usage: what the calling key's jobs made and cost, for charging a team back. One
 * aggregate in the store (per model, per UTC day, or one total); totals of a grouped answer are
 * the groups' sums, kept exact by rounding to the stored units (ms, millionths of a dollar).
 */
import type { FastifyInstance } from 'fastify';
import type { Context } from '../../context.ts';
import type { JobUsage, UsageGroup } from '../../store/store.ts';
import { ownerOf } from '../auth.ts';
import { queryErrorFormatter } from '../query-params.ts';
import { errorResponses } from '../schemas.ts';
import { USAGE_DEFAULT_DAYS, usageWindow, type RawUsageQuery } from '../usage-query.ts';

export const usageQuerySchema = {
  type: 'object',
  properties: {
    from: { type: 'string', description: `Start (inclusive): an ISO-8601 date or date-time, UTC unless an offset is given. Default: ${USAGE_DEFAULT_DAYS} days before \`to\`.` },
    to: { type: 'string', description: 'End (exclusive): an ISO-8601 date-time, or a date meaning the end of that day. Default: now.' },
    group_by: { type: 'string', description: '`model` or `day` (UTC); absent: only totals.' },
  },
} as const;

const sums = {
  jobs: { type: 'integer', minimum: 0, description: 'Jobs that finished in the window, succeeded or failed (cancelled ones never ran).' },
  outputs: { type: 'integer', minimum: 0, description: 'Output files made.' },
  seconds: { type: 'number', minimum: 0, description: 'Seconds of video made.' },
  cost_usd: { type: 'number', minimum: 0, description: 'Cost in USD at the prices in force when each job finished.' },
} as const;

export const usageResponseSchema = {
  type: 'object',
  required: ['from', 'to', 'group_by', 'totals', 'groups'],
  properties: {
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    group_by: { type: ['string', 'null'], enum: ['model', 'day', null] },
    totals: { type: 'object', required: Object.keys(sums), properties: sums },
    groups: {
      type: 'array',
      description: 'Ordered by model id or day; only groups with jobs; empty without group_by.',
      items: {
        type: 'object',
        required: Object.keys(sums),
        properties: { model_id: { type: 'string' }, day: { type: 'string', format: 'date', description: 'UTC date of finished_at.' }, ...sums },
      },
    },
  },
} as const;

const wire = (usage: JobUsage & { jobs: number }) => ({ jobs: usage.jobs, outputs: usage.outputs, seconds: usage.seconds, cost_usd: usage.costUsd });

function total(groups: readonly UsageGroup[]): JobUsage & { jobs: number } {
  const sum = (pick: (group: UsageGroup) => number) => groups.reduce((acc, group) => acc + pick(group), 0);
  return {
    jobs: sum((g) => g.jobs),
    outputs: sum((g) => g.outputs),
    seconds: Math.round(sum((g) => g.seconds) * 1000) / 1000,
    costUsd: Math.round(sum((g) => g.costUsd) * 1_000_000) / 1_000_000,
  };
}

export function usageRoutes(ctx: Context) {
  return async function register(app: FastifyInstance): Promise<void> {
    app.get<{ Querystring: RawUsageQuery }>(
      '/v1/usage',
      { schema: { querystring: usageQuerySchema, response: { 200: usageResponseSchema, ...errorResponses([401, 422, 429]) } }, schemaErrorFormatter: queryErrorFormatter(usageQuerySchema) },
      async (request) => {
        const window = usageWindow(request.query, Date.now());
        const groups = await ctx.store.usage({ ownerKeyId: ownerOf(request), ...window });
        const label = window.groupBy === 'model' ? 'model_id' : 'day';
        return {
          from: new Date(window.from).toISOString(),
          to: new Date(window.to).toISOString(),
          group_by: window.groupBy ?? null,
          totals: wire(window.groupBy ? total(groups) : groups[0]!),
          groups: window.groupBy ? groups.map((group) => ({ [label]: group.key, ...wire(group) })) : [],
        };
      },
    );
  };
}
