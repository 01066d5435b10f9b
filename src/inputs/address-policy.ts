/**
 * Which addresses a fetch may connect to, and which hosts an operator exempts.
 *
 * The rule is an allowlist of one range: after `ipaddr.process()` (which turns IPv4-mapped IPv6
 * into plain IPv4), only `range() === 'unicast'` passes. Loopback, private, link-local, CGNAT,
 * reserved, multicast, NAT64, 6to4, Teredo and every range ipaddr.js learns later are refused
 * without us having to list them. Addresses are first checked with `net.isIP`, which accepts
 * only canonical spellings: ipaddr.js on its own also parses `0x7f.1` and octal forms, and a
 * string the OS might read differently from us must never be called "unicast".
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export interface AddressVerdict {
  /** The address as classified (IPv4-mapped IPv6 unwrapped to IPv4). */
  address: string;
  /** ipaddr.js range name, or 'invalid' for a string that is not a canonical IP. */
  range: string;
  allowed: boolean;
}

/** Strips IPv6 brackets, as WHATWG `URL.hostname` keeps them. */
export function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

export function classifyAddress(raw: string): AddressVerdict {
  const text = unbracket(raw.trim());
  if (isIP(text) === 0) return { address: text, range: 'invalid', allowed: false };
  try {
    const parsed = ipaddr.process(text);
    const range = parsed.range();
    return { address: parsed.toString(), range, allowed: range === 'unicast' };
  } catch {
    return { address: text, range: 'invalid', allowed: false };
  }
}

/** The client-safe words for a refused range (never the resolved address itself). */
export function describeRange(range: string): string {
  const words: Record<string, string> = {
    loopback: 'a loopback address',
    private: 'a private network address',
    linkLocal: 'a link-local address (cloud metadata lives here)',
    uniqueLocal: 'a unique-local (private) IPv6 address',
    carrierGradeNat: 'a carrier-grade NAT address',
    unspecified: 'the unspecified address',
    multicast: 'a multicast address',
    broadcast: 'the broadcast address',
    reserved: 'a reserved address',
    ipv4Mapped: 'an IPv4-mapped address',
    rfc6052: 'a NAT64 address',
    rfc6145: 'an IPv4-translated address',
    '6to4': 'a 6to4 address',
    teredo: 'a Teredo address',
    invalid: 'an invalid address',
  };
  return words[range] ?? `a non-public address (${range})`;
}

/**
 * Normalises a host the way WHATWG URL does for request URLs, so an allowlist entry and a URL
 * host compare equal whatever their spelling (case, trailing dot, IPv4 shorthand, IPv6 zeros).
 * Returns undefined for something that is not a valid host.
 */
export function normaliseHost(host: string): string | undefined {
  const bare = unbracket(host.trim());
  if (bare === '') return undefined;
  try {
    const hostname = new URL(isIP(bare) === 6 ? `https://[${bare}]/` : `https://${bare}/`).hostname;
    const unwrapped = unbracket(hostname);
    return unwrapped.endsWith('.') ? unwrapped.slice(0, -1) : unwrapped;
  } catch {
    return undefined;
  }
}

interface AllowEntry {
  host: string;
  /** undefined: any port on that host. */
  port: number | undefined;
}

/**
 * MODELGATE_INPUT_ALLOW_HOSTS: comma-separated `host[:port]` (IPv6 as `[::1]:8080`). A listed
 * host skips the address check and may use the listed port (any port when none is given). It
 * does not lift the scheme rule: plain http still needs allowHttp.
 */
export class HostAllowList {
  private readonly entries: AllowEntry[];

  constructor(entries: readonly AllowEntry[] = []) {
    this.entries = [...entries];
  }

  static parse(spec: string | readonly string[] | undefined): HostAllowList {
    const items = typeof spec === 'string' ? spec.split(',') : (spec ?? []);
    const entries: AllowEntry[] = [];
    for (const item of items.map((s) => s.trim()).filter((s) => s !== '')) {
      const match = /^\[([^\]]+)\](?::(\d+))?$/.exec(item) ?? (isIP(item) === 6 ? [item, item] : /^([^:]+)(?::(\d+))?$/.exec(item));
      const host = match?.[1] === undefined ? undefined : normaliseHost(match[1]);
      const port = match?.[2] === undefined ? undefined : Number(match[2]);
      if (host === undefined || (port !== undefined && (port < 1 || port > 65535))) {
        throw new Error(`invalid allow-listed host ${JSON.stringify(item)}: expected host[:port]`);
      }
      entries.push({ host, port });
    }
    return new HostAllowList(entries);
  }

  get size(): number {
    return this.entries.length;
  }

  /** `host` as WHATWG URL.hostname gives it (brackets and a trailing dot are tolerated). */
  allows(host: string, port: number): boolean {
    const normal = normaliseHost(host);
    return this.entries.some((e) => e.host === normal && (e.port === undefined || e.port === port));
  }

  toString(): string {
    return this.entries.map((e) => (e.host.includes(':') ? `[${e.host}]` : e.host) + (e.port ? `:${e.port}` : '')).join(',');
  }
}
