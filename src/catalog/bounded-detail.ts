/**
 * Keeps a validation error's answer small whatever the input: at most MAX_DETAIL_ENTRIES entries
 * within MAX_DETAIL_BYTES, each part of a `loc` and each `msg` cut to a length, and a last entry
 * saying how many errors were left out. Without it, a body of unknown keys was answered with one
 * entry per key, each echoing the key in full: 122 MB for a million keys.
 */
import type { ErrorDetail } from '../errors.ts';

export const MAX_DETAIL_ENTRIES = 50;
/** Room for the entries; the error message, which names their fields, stays well inside 64 KiB with it. */
export const MAX_DETAIL_BYTES = 32 * 1024;
/** Field names: the longest in the catalog has 27 characters; an unknown key may have a million. */
export const MAX_LOC_PART_CHARS = 100;
/** Messages: an enum's list of allowed values (reframe's 69 resolutions) is about 1,400 characters. */
export const MAX_MSG_CHARS = 2_000;
/** The `type` of the entry that counts the errors left out. */
export const OMITTED_TYPE = 'too_many_errors';

/** The first `max` characters, without splitting a surrogate pair, plus how many were cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const high = text.charCodeAt(max - 1);
  const cut = high >= 0xd800 && high <= 0xdbff ? max - 1 : max;
  return `${text.slice(0, cut)}… (${(text.length - cut).toLocaleString('en-US')} more characters)`;
}

function boundEntry(entry: ErrorDetail): ErrorDetail {
  return {
    loc: entry.loc.map((part) => (typeof part === 'string' ? truncate(part, MAX_LOC_PART_CHARS) : part)),
    msg: truncate(entry.msg, MAX_MSG_CHARS),
    type: entry.type,
  };
}

export function boundDetail(detail: readonly ErrorDetail[]): ErrorDetail[] {
  const kept: ErrorDetail[] = [];
  let bytes = 0;
  for (const entry of detail) {
    if (kept.length === MAX_DETAIL_ENTRIES) break;
    const bounded = boundEntry(entry);
    bytes += Buffer.byteLength(JSON.stringify(bounded));
    if (bytes > MAX_DETAIL_BYTES) break;
    kept.push(bounded);
  }
  const omitted = detail.length - kept.length;
  if (omitted > 0) {
    kept.push({ loc: ['body'], msg: `and ${omitted.toLocaleString('en-US')} more ${omitted === 1 ? 'error' : 'errors'}, not listed`, type: OMITTED_TYPE });
  }
  return kept;
}

/** The error message for a failed validation: the fields at fault, and how many more there are. */
export function invalidInputMessage(modelId: string, detail: readonly ErrorDetail[]): string {
  const listed = detail.filter((entry) => entry.type !== OMITTED_TYPE);
  const fields = [...new Set(listed.map((entry) => truncate(entry.loc.slice(1).join('.'), MAX_LOC_PART_CHARS) || 'body'))];
  const omitted = detail.find((entry) => entry.type === OMITTED_TYPE);
  return `Invalid input for ${modelId}: ${fields.join(', ')}${omitted ? `, ${omitted.msg}` : ''}.`;
}
