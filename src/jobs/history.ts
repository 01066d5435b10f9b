/**
 * GET /v1/requests: a key's own requests, newest first, a page at a time.
 *
 * Pages are keyset pages over the jobs' `seq` (the submission order): a page is the next `limit`
 * jobs below the last seq the previous page showed, one range of the (owner_key_id, seq DESC)
 * index however deep (migration 0010). Jobs submitted while a client pages have higher seqs, so
 * they appear on a fresh first page and never shift the pages being read: no gaps, no
 * duplicates. A deleted job simply stops being listed.
 *
 * The cursor is opaque to clients: base64url of `<version>.<seq>.<check>`, where the check is a
 * digest of the seq and the key that was given the cursor. A cursor that was edited, truncated or
 * issued to another key is refused with 422001 naming `cursor`. The check is not a secret: a
 * forged cursor can only name a seq, and the owner filter applies to every page anyway, so no
 * cursor can show another key's jobs.
 */
import { createHash } from 'node:crypto';
import { parseInstant } from '../api/usage-query.ts';
import type { Context } from '../context.ts';
import { ApiError } from '../errors.ts';
import type { JobListQuery, JobState } from '../store/store.ts';
import { historyItemView, RESULT_STATES, type HistoryItemView, type WireResultStatus } from './job-views.ts';

export const HISTORY_DEFAULT_LIMIT = 20;
export const HISTORY_MAX_LIMIT = 100;

/** The query after the route's schema: `limit` defaulted and range-checked, the rest single strings. */
export interface RawHistoryQuery {
  limit: number;
  cursor?: string;
  model_id?: string;
  status?: string;
  since?: string;
}

export interface HistoryPage {
  requests: HistoryItemView[];
  next_cursor: string | null;
}

const CURSOR_VERSION = 'h1';

function invalid(name: string, msg: string, type: string): ApiError {
  return new ApiError('invalid_input', `The request is invalid: query parameter ${name} ${msg}.`, { detail: [{ loc: ['query', name], msg, type }] });
}

function cursorCheck(ownerKeyId: string, seq: number): string {
  return createHash('sha256').update(`modelgate-history\0${ownerKeyId}\0${seq}`).digest('base64url').slice(0, 16);
}

export function encodeCursor(ownerKeyId: string, seq: number): string {
  return Buffer.from(`${CURSOR_VERSION}.${seq}.${cursorCheck(ownerKeyId, seq)}`).toString('base64url');
}

/** The seq a cursor names, or a 422001 naming `cursor` when it is not one this server gave this key. */
export function decodeCursor(ownerKeyId: string, cursor: string): number {
  const refused = () => invalid('cursor', 'is not a cursor this server gave this API key (pass next_cursor from the previous page unchanged, or leave cursor out for the first page)', 'value_error');
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw refused();
  const [version, seqText, check, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('.');
  if (version !== CURSOR_VERSION || rest.length > 0 || seqText === undefined || !/^[1-9]\d{0,15}$/.test(seqText)) throw refused();
  const seq = Number(seqText);
  if (!Number.isSafeInteger(seq) || check !== cursorCheck(ownerKeyId, seq)) throw refused();
  return seq;
}

const STATUS_WORDS = Object.keys(RESULT_STATES) as WireResultStatus[];

function statesOf(text: string): JobState[] {
  const words = text.split(',').map((word) => word.trim());
  const unknown = words.filter((word) => !(STATUS_WORDS as string[]).includes(word));
  if (words.length === 0 || unknown.length > 0) {
    throw invalid('status', `must be one of ${STATUS_WORDS.join(', ')}, or several of them separated by commas (got ${JSON.stringify(text.slice(0, 100))})`, 'literal_error');
  }
  return [...new Set(words.map((word) => RESULT_STATES[word as WireResultStatus]))];
}

/** Checks the query and turns it into the store's: limit + 1 rows, to know whether there is a next page. */
export function historyQuery(ownerKeyId: string, query: RawHistoryQuery): JobListQuery {
  const list: JobListQuery = { ownerKeyId, limit: query.limit + 1 };
  if (query.cursor !== undefined) list.beforeSeq = decodeCursor(ownerKeyId, query.cursor);
  if (query.model_id !== undefined) {
    if (query.model_id === '') throw invalid('model_id', 'must be a model id (GET /v1/models lists them), not empty', 'string_too_short');
    list.modelId = query.model_id;
  }
  if (query.status !== undefined) list.states = statesOf(query.status);
  if (query.since !== undefined) {
    const since = parseInstant(query.since);
    if (!since) throw invalid('since', 'must be an ISO-8601 date-time (2026-01-31T12:00:00Z) or date (2026-01-31), UTC unless an offset is given', 'datetime_parsing');
    list.createdSince = since.at;
  }
  return list;
}

export async function historyPage(ctx: Pick<Context, 'store' | 'blobs' | 'config'>, ownerKeyId: string, query: RawHistoryQuery): Promise<HistoryPage> {
  const rows = await ctx.store.listJobs(historyQuery(ownerKeyId, query));
  const shown = rows.slice(0, query.limit);
  const last = shown.at(-1);
  return {
    requests: shown.map((job) => historyItemView(job, ctx.blobs, ctx.config.publicUrl, ctx.config.outputRetentionMs)),
    next_cursor: rows.length > query.limit && last ? encodeCursor(ownerKeyId, last.seq) : null,
  };
}
