/**
 * What the client sees when the upstream says no. RunComfy's envelope is
 * `{error_code, error_message, detail?: [{loc, msg, type}]}`; its clients also meet `message`,
 * `error` and a string `detail`, so all are read. Messages name the upstream's origin (never the
 * token) so an operator can tell our refusals from the provider's.
 */
import { EngineError } from '../engine.ts';
import type { UpstreamRefused } from './http.ts';

const MAX_MESSAGE = 2000;

interface Envelope {
  error_code?: unknown;
  error_message?: unknown;
  message?: unknown;
  error?: unknown;
  detail?: unknown;
}

/** `promptText: ensure this value has at most 512 characters` for each field error. */
function fieldErrors(detail: unknown): string[] {
  if (!Array.isArray(detail)) return [];
  return detail.slice(0, 10).flatMap((item: { loc?: unknown; msg?: unknown }) => {
    if (typeof item?.msg !== 'string') return [];
    const loc = Array.isArray(item.loc) ? item.loc.filter((part) => part !== 'body').join('.') : '';
    return [loc ? `${loc}: ${item.msg}` : item.msg];
  });
}

/** The upstream's own words from an error body, or undefined when it has none. */
export function upstreamMessage(body: unknown): { code?: number; message?: string; fields: string[] } {
  const envelope = (body ?? {}) as Envelope;
  const message = [envelope.error_message, envelope.message, envelope.error, envelope.detail].find((value): value is string => typeof value === 'string');
  return {
    ...(typeof envelope.error_code === 'number' ? { code: envelope.error_code } : {}),
    ...(message ? { message } : {}),
    fields: fieldErrors(envelope.detail),
  };
}

function clip(text: string): string {
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
}

/** A non-retryable HTTP answer, while doing `what` (e.g. "submitting to model X"). */
export function refusedError(refused: UpstreamRefused, what: string, origin: string, tokenEnv: string | undefined): EngineError {
  const { code, message, fields } = upstreamMessage(refused.body);
  const said = [message, ...fields].filter(Boolean).join('; ') || 'no reason given';
  const head = `The upstream at ${origin} refused ${what} (HTTP ${refused.status}${code === undefined ? '' : `, ${code}`}): ${said}`;
  if (refused.status === 401 || refused.status === 403 || code === 401001 || code === 400004) {
    const hint = tokenEnv ? `check the token in the environment variable ${tokenEnv}` : 'no token is configured: set "token_env" on the engine';
    return new EngineError('upstream_auth', clip(`${head}. ${hint}.`));
  }
  if (code === 400001) {
    return new EngineError('upstream_rejected', clip(`${head}. If the upstream names this model differently, map it with the engine's "models" option.`));
  }
  return new EngineError('upstream_rejected', clip(head));
}

const ERROR_TYPE = /^[a-z][a-z0-9_]{0,63}$/;

/** The error of a result whose status is `failed`: the upstream's type and message, as they are. */
export function failedJobError(error: unknown): EngineError {
  if (typeof error === 'string' && error !== '') return new EngineError('upstream_failed', clip(error));
  const { type, message } = (error ?? {}) as { type?: unknown; message?: unknown };
  return new EngineError(
    typeof type === 'string' && ERROR_TYPE.test(type) ? type : 'upstream_failed',
    typeof message === 'string' && message !== '' ? clip(message) : 'The upstream reported the job as failed without a message.',
  );
}
