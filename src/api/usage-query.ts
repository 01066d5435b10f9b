/**
 * GET /v1/usage's query: `from` and `to` as ISO-8601 dates or date-times (UTC unless an offset
 * is given), `group_by` = model | day. The window is half-open, [from, to); a `to` given as a
 * bare date includes that whole day, so `from=2026-01-01&to=2026-01-31` is all of January.
 * Without them the window is the 30 days up to now. A bad value is a 422001 that names it.
 */
import { ApiError } from '../errors.ts';

export const USAGE_DEFAULT_DAYS = 30;
const DAY_MS = 86_400_000;

export interface UsageWindow {
  from: number;
  to: number;
  groupBy: 'model' | 'day' | undefined;
}

/** Only the route's querystring schema has checked these: each is a single string if present. */
export interface RawUsageQuery {
  from?: string;
  to?: string;
  group_by?: string;
}

function invalid(name: string, msg: string, type: string): ApiError {
  return new ApiError('invalid_input', `The request is invalid: query parameter ${name} ${msg}.`, { detail: [{ loc: ['query', name], msg, type }] });
}

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** Epoch ms of an ISO-8601 date or date-time; `dateOnly` says which it was. Undefined when malformed or not a real calendar time. */
export function parseInstant(text: string): { at: number; dateOnly: boolean } | undefined {
  const m = INSTANT.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone = 'Z'] = m;
  const parts = [Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s)] as const;
  const utc = Date.UTC(parts[0], parts[1] - 1, parts[2], parts[3], parts[4], parts[5]);
  const back = new Date(utc);
  // Date.UTC rolls 2026-02-30 over to March: a date that does not round-trip does not exist.
  if (back.getUTCFullYear() !== parts[0] || back.getUTCMonth() !== parts[1] - 1 || back.getUTCDate() !== parts[2] || parts[3] > 23 || parts[4] > 59 || parts[5] > 59) return undefined;
  let offsetMs = 0;
  if (zone.toUpperCase() !== 'Z') {
    const [, sign, oh, om] = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    if (Number(oh) > 23 || Number(om) > 59) return undefined;
    offsetMs = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) * 60_000;
  }
  const at = utc - offsetMs + Math.floor(Number(`0${fraction || '.0'}`) * 1000);
  return { at, dateOnly: m[4] === undefined };
}

function instant(name: 'from' | 'to', text: string): number {
  const parsed = parseInstant(text);
  if (!parsed) throw invalid(name, 'must be an ISO-8601 date (2026-01-31) or date-time (2026-01-31T12:00:00Z), UTC unless an offset is given', 'datetime_parsing');
  return name === 'to' && parsed.dateOnly ? parsed.at + DAY_MS : parsed.at;
}

export function usageWindow(query: RawUsageQuery, now: number): UsageWindow {
  const to = query.to === undefined ? now : instant('to', query.to);
  const from = query.from === undefined ? to - USAGE_DEFAULT_DAYS * DAY_MS : instant('from', query.from);
  if (from > to) throw invalid('from', `must not be after to (${new Date(to).toISOString()})`, 'value_error');
  const groupBy = query.group_by;
  if (groupBy !== undefined && groupBy !== 'model' && groupBy !== 'day') throw invalid('group_by', "must be 'model' or 'day'", 'literal_error');
  return { from, to, groupBy };
}
