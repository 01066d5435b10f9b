/**
 * The one error type of the input library. `reason` is a stable machine code the integrator can
 * map (every reason is the client's fault except `aborted`, which means our own caller stopped
 * us: shutdown or a lost lease, so the job should be retried, not failed). `message` is safe to
 * show to the client: it never echoes an upstream body, header or resolved internal address.
 * `details` is for logs only.
 */
import type { FileRule } from '../catalog/types.ts';

export type InputErrorReason =
  | 'bad_url' // unparseable, too long, empty host, not a string
  | 'scheme' // not https (or http where allowed)
  | 'userinfo' // user:pass@ in the URL
  | 'port' // a port other than 443/80 on a host that is not allow-listed
  | 'blocked_address' // a non-unicast address: loopback, private, metadata, mapped, …
  | 'dns' // the name did not resolve
  | 'connect' // refused, reset, TLS failure
  | 'timeout' // connect, headers, idle read or total deadline
  | 'redirects' // too many hops, a hop without Location, https → http
  | 'http_status' // the server answered something other than 200
  | 'too_large' // declared or counted (decoded) bytes over the cap
  | 'encoding' // a Content-Encoding we do not decode
  | 'bad_data_uri' // malformed data: URI
  | 'bad_type' // magic bytes say a type we do not accept (or the wrong kind)
  | 'unreadable' // truncated or corrupt media, or a prober that failed
  | 'too_many_pixels' // over the pixel ceiling: refused from the header, before any decode
  | 'upload_not_found' // an upload URL that is unknown, expired or someone else's
  | 'rule' // a catalog `validations` rule failed; message is its validation_error
  | 'aborted'; // our caller's signal fired (not the client's fault)

export interface InputErrorOptions {
  details?: Record<string, string | number | boolean>;
  rule?: FileRule;
  cause?: unknown;
}

export class InputError extends Error {
  readonly reason: InputErrorReason;
  readonly details: Record<string, string | number | boolean>;
  /** Set when reason is 'rule': the broken rule, verbatim from the catalog. */
  readonly rule: FileRule | undefined;

  constructor(reason: InputErrorReason, message: string, options: InputErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'InputError';
    this.reason = reason;
    this.details = options.details ?? {};
    this.rule = options.rule;
  }
}

export function isInputError(error: unknown): error is InputError {
  return error instanceof InputError;
}
