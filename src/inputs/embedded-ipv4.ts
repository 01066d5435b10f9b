/**
 * The IPv4 addresses an IPv6 address carries inside it. A packet to one of these forms may leave
 * as IPv4 to the embedded address (the host's own stack, a NAT64 translator, a 6to4 or Teredo
 * relay), so the address policy must judge the embedded IPv4 by the IPv4 rules; ipaddr.js calls
 * the IPv4-compatible range `::/96` plain "unicast", and `https://[::a9fe:a9fe]/` is metadata.
 *
 * Where a form can be read more than one way, every reading is returned and the policy refuses
 * if any of them is not public: a wrong reading can only refuse a URL, never let one through.
 */
import ipaddr from 'ipaddr.js';

export type EmbeddingForm = 'ipv4Compatible' | 'ipv4Mapped' | 'ipv4Translated' | 'nat64' | 'nat64Local' | '6to4' | 'teredo';

export interface EmbeddedIPv4 {
  form: EmbeddingForm;
  /** At least one; Teredo gives two and the NAT64 local-use prefix one per possible layout. */
  addresses: ipaddr.IPv4[];
}

function ipv4(...octets: number[]): ipaddr.IPv4 {
  return new ipaddr.IPv4(octets.map((o) => o & 0xff));
}

/** The last 32 bits, as every /96 form stores them. */
function tail(parts: readonly number[]): ipaddr.IPv4 {
  const [high, low] = [parts[6]!, parts[7]!];
  return ipv4(high >> 8, high, low >> 8, low);
}

function zeros(parts: readonly number[], from: number, to: number): boolean {
  return parts.slice(from, to).every((p) => p === 0);
}

/**
 * RFC 8215 leaves the prefix length inside 64:ff9b:1::/48 to the operator, and RFC 6052 §2.2
 * puts the IPv4 in a different place for each length (bits 64..71, the "u" octet, are never
 * used), so all four layouts a /48 allows are read.
 */
function nat64LocalReadings(parts: readonly number[]): ipaddr.IPv4[] {
  const [p3, p4, p5, p6] = [parts[3]!, parts[4]!, parts[5]!, parts[6]!];
  return [
    ipv4(p3 >> 8, p3, p4, p5 >> 8), // /48: bits 48..63 and 72..87
    ipv4(p3, p4, p5 >> 8, p5), // /56: bits 56..63 and 72..95
    ipv4(p4, p5 >> 8, p5, p6 >> 8), // /64: bits 72..103
    tail(parts), // /96: bits 96..127
  ];
}

/** Returns undefined for an address that embeds no IPv4 (including `::` and `::1`). */
export function embeddedIPv4(address: ipaddr.IPv6): EmbeddedIPv4 | undefined {
  const parts = address.parts;
  const [p0, p1, p2, p3] = [parts[0]!, parts[1]!, parts[2]!, parts[3]!];
  if (zeros(parts, 0, 6)) {
    // `::` and `::1` keep their IPv6 meaning (unspecified, loopback).
    if (parts[6] === 0 && (parts[7] === 0 || parts[7] === 1)) return undefined;
    return { form: 'ipv4Compatible', addresses: [tail(parts)] };
  }
  if (zeros(parts, 0, 5) && parts[5] === 0xffff) return { form: 'ipv4Mapped', addresses: [tail(parts)] };
  if (zeros(parts, 0, 4) && parts[4] === 0xffff && parts[5] === 0) return { form: 'ipv4Translated', addresses: [tail(parts)] };
  if (p0 === 0x64 && p1 === 0xff9b && zeros(parts, 2, 6)) return { form: 'nat64', addresses: [tail(parts)] };
  if (p0 === 0x64 && p1 === 0xff9b && p2 === 1) return { form: 'nat64Local', addresses: nat64LocalReadings(parts) };
  if (p0 === 0x2002) return { form: '6to4', addresses: [ipv4(p1 >> 8, p1, p2 >> 8, p2)] };
  if (p0 === 0x2001 && p1 === 0) {
    // RFC 4380 §4: the Teredo server, then the client's public address with every bit inverted.
    const [c6, c7] = [parts[6]! ^ 0xffff, parts[7]! ^ 0xffff];
    return { form: 'teredo', addresses: [ipv4(p2 >> 8, p2, p3 >> 8, p3), ipv4(c6 >> 8, c6, c7 >> 8, c7)] };
  }
  return undefined;
}

/** The client-safe words for a form (never the address). */
export function describeEmbedding(form: EmbeddingForm): string {
  const words: Record<EmbeddingForm, string> = {
    ipv4Compatible: 'an IPv4-compatible IPv6 address',
    ipv4Mapped: 'an IPv4-mapped IPv6 address',
    ipv4Translated: 'an IPv4-translated IPv6 address',
    nat64: 'a NAT64 IPv6 address',
    nat64Local: 'a local-use NAT64 IPv6 address',
    '6to4': 'a 6to4 IPv6 address',
    teredo: 'a Teredo IPv6 address',
  };
  return words[form];
}
