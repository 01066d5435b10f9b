/**
 * Step 1 of the fetch pipeline: what a URL may look like before any DNS or socket. It also
 * suits submit time (no network), so a client learns about `ftp://` or `https://10.0.0.1/` with
 * a 422 rather than a failed job. Parsing is WHATWG `URL` only: it normalises decimal, octal,
 * hex, short and full-width IPv4 spellings to dotted decimal, which is what we then classify.
 */
import { isIP } from 'node:net';
import { HostAllowList, classifyAddress, describeVerdict, unbracket } from './address-policy.ts';
import { InputError } from './errors.ts';

export interface UrlPolicy {
  /** Plain http:// (MODELGATE_INPUT_ALLOW_HTTP=1). Default false. */
  allowHttp?: boolean;
  allowHosts?: HostAllowList;
  /** Default 2048 characters. */
  maxUrlLength?: number;
}

export interface CheckedUrl {
  url: URL;
  /** Hostname without IPv6 brackets or a trailing dot. */
  host: string;
  /** Effective port (443 or 80 when the URL names none). */
  port: number;
  /** Set when the host is an IP literal: that address is connected to, no DNS is asked. */
  literalAddress: string | undefined;
  /** The operator exempted this host:port from the address and port rules. */
  allowListed: boolean;
}

export const DEFAULT_MAX_URL_LENGTH = 2048;

/** Names that are loopback by definition (RFC 6761) or well-known metadata endpoints. */
function isReservedName(host: string): boolean {
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === 'metadata.google.internal' ||
    host === 'metadata.goog' ||
    host === 'metadata.amazonaws.com'
  );
}

/**
 * Checks `raw` (resolved against `from` when it is a redirect's Location) and returns the parsed
 * URL with its connection facts, or throws InputError. `from` also forbids https → http.
 */
export function checkUrl(raw: string, policy: UrlPolicy = {}, from?: URL): CheckedUrl {
  const maxLength = policy.maxUrlLength ?? DEFAULT_MAX_URL_LENGTH;
  if (typeof raw !== 'string' || raw.length === 0) throw new InputError('bad_url', 'the input URL is empty');
  if (raw.length > maxLength) {
    throw new InputError('bad_url', `the input URL is longer than ${maxLength} characters`);
  }
  let url: URL;
  try {
    url = from ? new URL(raw, from) : new URL(raw);
  } catch {
    throw new InputError('bad_url', 'the input URL is not a valid absolute URL');
  }
  if (url.href.length > maxLength) {
    throw new InputError('bad_url', `the input URL is longer than ${maxLength} characters`);
  }
  const allowHttp = policy.allowHttp === true;
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
    throw new InputError('scheme', allowHttp ? 'the input URL must use https or http' : 'the input URL must use https');
  }
  if (from?.protocol === 'https:' && url.protocol === 'http:') {
    throw new InputError('redirects', 'a redirect from https to http was refused');
  }
  if (url.username !== '' || url.password !== '') {
    throw new InputError('userinfo', 'the input URL must not contain a user name or password');
  }
  const bare = unbracket(url.hostname);
  const host = bare.endsWith('.') ? bare.slice(0, -1) : bare;
  if (host === '') throw new InputError('bad_url', 'the input URL has no host');

  const defaultPort = url.protocol === 'https:' ? 443 : 80;
  const port = url.port === '' ? defaultPort : Number(url.port);
  const allowListed = policy.allowHosts?.allows(host, port) ?? false;
  const literal = isIP(host) !== 0 ? host : undefined;
  if (!allowListed) {
    if (literal !== undefined) {
      // The lookup hook of an HTTP client is never called for literal IPs, so they are
      // classified here (and again in the connector).
      const verdict = classifyAddress(literal);
      if (!verdict.allowed) {
        throw new InputError('blocked_address', `the input URL points to ${describeVerdict(verdict)}`, {
          details: { range: verdict.range },
        });
      }
    } else if (isReservedName(host)) {
      throw new InputError('blocked_address', 'the input URL points to a local or metadata host');
    }
  }
  // After the address checks, so a URL like http://127.0.0.1:8080/ is refused for what it points
  // to (the reason an operator needs to see), not for its port.
  if (port !== defaultPort && !allowListed) {
    throw new InputError('port', `the input URL must use the default port (${defaultPort}), not ${port}`);
  }
  return { url, host, port, literalAddress: literal, allowListed };
}
