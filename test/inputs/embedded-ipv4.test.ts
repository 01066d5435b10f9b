/**
 * The decoder of IPv4 embedded in IPv6: every form, every reading (both Teredo addresses, the
 * four RFC 6052 layouts of the local-use NAT64 prefix), and the addresses that embed nothing.
 * Inputs are hex-only: ipaddr.js reads a `::a.b.c.d` tail its own way (address-policy parses).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ipaddr from 'ipaddr.js';
import { embeddedIPv4, type EmbeddingForm } from '../../src/inputs/embedded-ipv4.ts';

function decode(address: string): { form: EmbeddingForm; addresses: string[] } | undefined {
  const embedded = embeddedIPv4(ipaddr.IPv6.parse(address));
  return embedded && { form: embedded.form, addresses: embedded.addresses.map((a) => a.toString()) };
}

describe('embeddedIPv4', () => {
  const cases: Array<[string, EmbeddingForm, string[]]> = [
    ['::a9fe:a9fe', 'ipv4Compatible', ['169.254.169.254']],
    ['0:0:0:0:0:0:7f00:1', 'ipv4Compatible', ['127.0.0.1']],
    ['::a00:1', 'ipv4Compatible', ['10.0.0.1']],
    ['::2', 'ipv4Compatible', ['0.0.0.2']],
    ['::1:0', 'ipv4Compatible', ['0.1.0.0']],
    ['::ffff:7f00:1', 'ipv4Mapped', ['127.0.0.1']],
    ['::ffff:0:a00:1', 'ipv4Translated', ['10.0.0.1']],
    ['64:ff9b::a9fe:a9fe', 'nat64', ['169.254.169.254']],
    // 64:ff9b:1::/48, RFC 6052 §2.2: /48 takes bits 48..63 + 72..87, /56 bits 56..63 + 72..95,
    // /64 bits 72..103 (bits 64..71 are the u octet in all three), /96 the last 32 bits.
    ['64:ff9b:1:a01:2:304:506:708', 'nat64Local', ['10.1.2.3', '1.2.3.4', '2.3.4.5', '5.6.7.8']],
    ['64:ff9b:1:a01:ff02:304::', 'nat64Local', ['10.1.2.3', '1.2.3.4', '2.3.4.0', '0.0.0.0']],
    ['2002:a9fe:a9fe::1', '6to4', ['169.254.169.254']],
    ['2002:c000:221:1:2:3:4:5', '6to4', ['192.0.2.33']],
    // RFC 4380 §4's layout, Wikipedia's example: server 65.54.227.120, client 192.0.2.45
    // (stored inverted: 3fff:fdd2).
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'teredo', ['65.54.227.120', '192.0.2.45']],
    ['2001:0:808:808::80ff:fffe', 'teredo', ['8.8.8.8', '127.0.0.1']],
  ];
  for (const [address, form, addresses] of cases) {
    it(`${address} → ${form} ${addresses.join(', ')}`, () => {
      assert.deepEqual(decode(address), { form, addresses });
    });
  }

  it('finds nothing in :: and ::1 (they stay unspecified and loopback) or outside the forms', () => {
    for (const address of ['::', '::1', '2606:4700::1111', 'fe80::a9fe:a9fe', '2001:db8::a9fe:a9fe', '2001:1::a9fe:a9fe', '2003:a9fe:a9fe::', '64:ff9b::1:a9fe:a9fe', '64:ff9b:2::a9fe:a9fe', '::1:ffff:a9fe:a9fe', 'ff02::1']) {
      assert.equal(decode(address), undefined, address);
    }
  });
});
