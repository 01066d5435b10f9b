/**
 * Which addresses a fetch may connect to, and which hosts an operator exempts.
 *
 * The rule is an allowlist of one range: only ipaddr.js `range() === 'unicast'` passes, so
 * loopback, private, link-local, CGNAT, reserved, multicast and every range ipaddr.js learns later
 * are refused without us having to list them. An IPv6 address that embeds IPv4 (IPv4-mapped and
 * -compatible, NAT64, 6to4, Teredo; see embedded-ipv4.ts) is judged by the embedded IPv4 instead:
 * it passes only when every embedded address is public unicast, so `::a9fe:a9fe` is metadata
 * while a DNS64 answer like `64:ff9b::808:808` still works on an IPv6-only host.
 *
 * Addresses are first checked with `net.isIP`, which accepts only canonical spellings: ipaddr.js
 * on its own also parses `0x7f.1` and octal forms, and a string the OS might read differently
 * from us must never be called "unicast". For the same reason IPv6 text is not given to
 * ipaddr.js as written: it reads `::a.b.c.d` as `::ffff:a.b.c.d`, where inet_pton reads
 * `::a.b.c.d`.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { describeEmbedding, embeddedIPv4, type EmbeddingForm } from './embedded-ipv4.ts';

export interface AddressVerdict {
  /** The address as classified (IPv4-mapped IPv6 unwrapped to IPv4; IPv6 compressed, no zone). */
  address: string;
  /**
   * ipaddr.js range name, or 'invalid' for a string that is not a canonical IP. For an IPv6
   * address that embeds IPv4, the range of the first embedded address that is not unicast
   * ('unicast' when all are).
   */
  range: string;
  /** Set when the verdict is about IPv4 embedded in this IPv6 form. */
  embeddedIn: EmbeddingForm | undefined;
  allowed: boolean;
}

/** Strips IPv6 brackets, as WHATWG `URL.hostname` keeps them. */
export function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * IPv6 text (already accepted by net.isIP) through WHATWG URL's parser, which follows inet_pton
 * and writes no dotted tail, then ipaddr.js. The zone id only picks an interface: it is dropped.
 */
function parseIPv6(text: string): ipaddr.IPv6 {
  const zone = text.indexOf('%');
  const bare = zone === -1 ? text : text.slice(0, zone);
  return ipaddr.IPv6.parse(unbracket(new URL(`http://[${bare}]/`).hostname));
}

function verdict(address: string, range: string, embeddedIn?: EmbeddingForm): AddressVerdict {
  return { address, range, embeddedIn, allowed: range === 'unicast' };
}

function classifyIPv6(parsed: ipaddr.IPv6): AddressVerdict {
  const embedded = embeddedIPv4(parsed);
  if (embedded === undefined) return verdict(parsed.toString(), parsed.range());
  const ranges = embedded.addresses.map((a) => a.range());
  const range = ranges.find((r) => r !== 'unicast') ?? 'unicast';
  const address = embedded.form === 'ipv4Mapped' ? embedded.addresses[0]!.toString() : parsed.toString();
  return verdict(address, range, embedded.form);
}

export function classifyAddress(raw: string): AddressVerdict {
  const text = unbracket(raw.trim());
  const family = isIP(text);
  try {
    if (family === 4) {
      const parsed = ipaddr.IPv4.parse(text);
      return verdict(parsed.toString(), parsed.range());
    }
    if (family === 6) return classifyIPv6(parseIPv6(text));
  } catch {
    // Fall through: what we cannot parse the way the OS does is never unicast.
  }
  return verdict(text, 'invalid');
}

/** The client-safe words for a refused verdict (never the resolved address itself). */
export function describeVerdict(verdict: AddressVerdict): string {
  const words = describeRange(verdict.range);
  return verdict.embeddedIn === undefined ? words : `${words}, embedded in ${describeEmbedding(verdict.embeddedIn)}`;
}

/** The client-safe words for a refused range (never the resolved address itself). */
function describeRange(range: string): string {
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
