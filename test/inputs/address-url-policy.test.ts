/**
 * Unit tests for the static half of the SSRF defence: address classification, the operator's
 * host allowlist, the URL policy, and the environment settings. No sockets, no DNS.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HostAllowList, classifyAddress, describeVerdict } from '../../src/inputs/address-policy.ts';
import { InputError } from '../../src/inputs/errors.ts';
import { inputSettingsFromEnv } from '../../src/inputs/settings.ts';
import { checkUrl } from '../../src/inputs/url-policy.ts';

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof InputError, `expected InputError, got ${String(error)}`);
    return error.reason;
  }
  return 'accepted';
}

describe('classifyAddress', () => {
  const refused: Array<[string, string]> = [
    ['127.0.0.1', 'loopback'], ['::1', 'loopback'], ['0.0.0.0', 'unspecified'], ['::', 'unspecified'],
    ['10.1.2.3', 'private'], ['172.16.0.1', 'private'], ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'], ['fe80::1', 'linkLocal'], ['fd00:ec2::254', 'uniqueLocal'], ['fc00::1', 'uniqueLocal'],
    ['100.100.100.200', 'carrierGradeNat'], ['192.0.0.192', 'reserved'], ['198.18.0.1', 'reserved'],
    ['224.0.0.1', 'multicast'], ['ff02::1', 'multicast'], ['255.255.255.255', 'broadcast'],
    ['::ffff:7f00:1', 'loopback'], ['::ffff:169.254.169.254', 'linkLocal'], ['64:ff9b::a9fe:a9fe', 'linkLocal'],
    ['2002:a9fe:a9fe::', 'linkLocal'], ['2001::1', 'unspecified'], ['2001:db8::1', 'reserved'],
    // Non-canonical spellings are never "unicast": only net.isIP forms are classified.
    ['0x7f.1', 'invalid'], ['2130706433', 'invalid'], ['017700000001', 'invalid'], ['', 'invalid'],
  ];
  for (const [address, range] of refused) {
    it(`refuses ${address || '(empty)'} as ${range}`, () => {
      const verdict = classifyAddress(address);
      assert.equal(verdict.allowed, false);
      assert.equal(verdict.range, range);
    });
  }
  it('allows public unicast, v4 and v6, and unwraps v4-mapped', () => {
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '[2606:4700::1111]', '::ffff:8.8.8.8']) {
      assert.equal(classifyAddress(address).allowed, true, address);
    }
    assert.equal(classifyAddress('::ffff:8.8.8.8').address, '8.8.8.8');
  });
});

describe('classifyAddress: IPv4 embedded in IPv6 is judged by the IPv4 rules', () => {
  // Every spelling: compressed, expanded, dotted and hex tails, upper case, brackets, zone ids.
  const refused: Array<[string, string, string]> = [
    // Issue 11's four IPv4-compatible spellings, which ipaddr.js alone calls "unicast".
    ['[::169.254.169.254]', 'linkLocal', 'ipv4Compatible'],
    ['[::127.0.0.1]', 'loopback', 'ipv4Compatible'],
    ['[::a9fe:a9fe]', 'linkLocal', 'ipv4Compatible'],
    ['[::10.0.0.1]', 'private', 'ipv4Compatible'],
    ['0:0:0:0:0:0:a9fe:a9fe', 'linkLocal', 'ipv4Compatible'],
    ['0000:0000:0000:0000:0000:0000:169.254.169.254', 'linkLocal', 'ipv4Compatible'],
    ['::A9FE:A9FE', 'linkLocal', 'ipv4Compatible'],
    ['::a9fe:a9fe%eth0', 'linkLocal', 'ipv4Compatible'],
    ['::100.100.100.200', 'carrierGradeNat', 'ipv4Compatible'],
    ['::c0a8:101', 'private', 'ipv4Compatible'],
    ['::2', 'unspecified', 'ipv4Compatible'],
    ['::ffff:127.0.0.1%lo', 'loopback', 'ipv4Mapped'],
    ['0:0:0:0:0:FFFF:7F00:1', 'loopback', 'ipv4Mapped'],
    ['::ffff:0:127.0.0.1', 'loopback', 'ipv4Translated'],
    ['::FFFF:0:A9FE:A9FE', 'linkLocal', 'ipv4Translated'],
    ['64:ff9b::10.0.0.1', 'private', 'nat64'],
    ['64:FF9B:0:0:0:0:0A00:0001', 'private', 'nat64'],
    ['64:ff9b::e000:1', 'multicast', 'nat64'],
    ['64:ff9b::ffff:ffff', 'broadcast', 'nat64'],
    // Local-use NAT64: each RFC 6052 layout alone makes the address non-public.
    ['64:ff9b:1:a00:1::808:808', 'private', 'nat64Local'], // /48 reading 10.0.1.0
    ['64:ff9b:1:80a:8:808:808:808', 'private', 'nat64Local'], // /56 reading 10.8.8.8
    ['64:ff9b:1:808:7f:0:108:808', 'loopback', 'nat64Local'], // /64 reading 127.0.0.1
    ['64:ff9b:1:808:8:808:169.254.169.254', 'linkLocal', 'nat64Local'], // /96 reading
    ['2002:7f00:1::', 'loopback', '6to4'],
    ['2002:0a00:0001:0000:0000:0000:0000:0001', 'private', '6to4'],
    ['2001:0:a9fe:a9fe::', 'linkLocal', 'teredo'], // the server
    ['2001:0:808:808::5601:5601', 'linkLocal', 'teredo'], // the client, 169.254.169.254 inverted
    ['2001:0000:0808:0808:0000:0000:80FF:FFFE', 'loopback', 'teredo'],
  ];
  for (const [address, range, form] of refused) {
    it(`refuses ${address}: ${range} inside ${form}`, () => {
      const verdict = classifyAddress(address);
      assert.deepEqual([verdict.allowed, verdict.range, verdict.embeddedIn], [false, range, form]);
    });
  }

  it('allows the forms when every embedded IPv4 is public (DNS64 answers keep working)', () => {
    for (const address of ['::8.8.8.8', '::808:808', '64:ff9b::8.8.8.8', '64:ff9b::5db8:d822', '[64:ff9b::93.184.216.34]', '::ffff:0:8.8.8.8', '2002:808:808::1', '2001:0:4136:e378:8000:63bf:a247:27dd', '64:ff9b:1:808:8:808:808:808']) {
      const verdict = classifyAddress(address);
      assert.equal(verdict.allowed, true, address);
      assert.equal(verdict.range, 'unicast', address);
    }
  });

  it('reads ::a.b.c.d as inet_pton does (IPv4-compatible), not as ipaddr.js does (IPv4-mapped)', () => {
    assert.deepEqual(classifyAddress('::8.8.8.8'), { address: '::808:808', range: 'unicast', embeddedIn: 'ipv4Compatible', allowed: true });
  });

  it('keeps :: and ::1 as unspecified and loopback', () => {
    assert.deepEqual(classifyAddress('::'), { address: '::', range: 'unspecified', embeddedIn: undefined, allowed: false });
    assert.deepEqual(classifyAddress('0:0:0:0:0:0:0:1'), { address: '::1', range: 'loopback', embeddedIn: undefined, allowed: false });
  });

  it('names the range and the form to the client, never the address', () => {
    const words = describeVerdict(classifyAddress('::169.254.169.254'));
    assert.equal(words, 'a link-local address (cloud metadata lives here), embedded in an IPv4-compatible IPv6 address');
    assert.equal(describeVerdict(classifyAddress('2001:0:808:808::80ff:fffe')), 'a loopback address, embedded in a Teredo IPv6 address');
    assert.equal(describeVerdict(classifyAddress('10.0.0.1')), 'a private network address');
  });
});

describe('HostAllowList', () => {
  const list = HostAllowList.parse(' Images.Example.COM , localhost:8080,[::1]:9000, 127.0.0.1:7000 ,dev.test.');
  it('matches host and port after the same normalisation as URLs', () => {
    assert.equal(list.size, 5);
    assert.ok(list.allows('images.example.com', 443));
    assert.ok(list.allows('images.example.com', 8443), 'no port listed: any port');
    assert.ok(list.allows('localhost', 8080));
    assert.ok(!list.allows('localhost', 8081));
    assert.ok(list.allows('[::1]', 9000));
    assert.ok(list.allows('0:0:0:0:0:0:0:1', 9000));
    assert.ok(list.allows('127.0.0.1', 7000));
    assert.ok(list.allows('dev.test', 443));
    assert.ok(!list.allows('127.0.0.2', 7000));
  });
  it('refuses malformed entries', () => {
    assert.throws(() => HostAllowList.parse('a:b:c:d:e:f:g:h:i'), /invalid allow-listed host/);
    assert.throws(() => HostAllowList.parse('host:99999'), /invalid allow-listed host/);
    assert.throws(() => HostAllowList.parse('ex ample.com'), /invalid allow-listed host/);
  });
});

describe('checkUrl', () => {
  const cases: Array<[string, string, Parameters<typeof checkUrl>[1]?]> = [
    ['https://images.example.com/a.png', 'accepted'],
    ['HTTPS://IMAGES.example.com:443/a.png?x=1', 'accepted'],
    ['http://images.example.com/a.png', 'scheme'],
    ['http://images.example.com/a.png', 'accepted', { allowHttp: true }],
    ['http://images.example.com:443/a.png', 'port', { allowHttp: true }],
    ['https://images.example.com:8443/a.png', 'port'],
    ['https://127.0.0.1:8443/', 'accepted', { allowHosts: HostAllowList.parse('127.0.0.1:8443') }],
    ['https://127.0.0.1:8444/', 'blocked_address', { allowHosts: HostAllowList.parse('127.0.0.1:8443') }], // the exemption is for :8443 only; the address is named first
    ['https://localhost/', 'blocked_address'],
    ['https://a.localhost/', 'blocked_address'],
    ['https://metadata.google.internal/', 'blocked_address'],
    ['https://[::169.254.169.254]/latest/meta-data/', 'blocked_address'],
    ['https://[::127.0.0.1]/', 'blocked_address'],
    ['https://[::a9fe:a9fe]/', 'blocked_address'],
    ['https://[::10.0.0.1]/', 'blocked_address'],
    ['https://[64:ff9b::10.0.0.1]/', 'blocked_address'],
    ['https://[64:ff9b::8.8.8.8]/', 'accepted'],
    ['https://[::8.8.8.8]/', 'accepted'],
    ['https://user@images.example.com/', 'userinfo'],
    ['https://:pw@images.example.com/', 'userinfo'],
    [`https://images.example.com/${'a'.repeat(2100)}`, 'bad_url'],
    ['not a url', 'bad_url'],
    ['', 'bad_url'],
  ];
  for (const [url, expected, policy] of cases) {
    it(`${url.slice(0, 60)} → ${expected}${policy ? ' (with policy)' : ''}`, () => {
      assert.equal(reasonOf(() => checkUrl(url, policy)), expected);
    });
  }
  it('resolves a relative redirect and refuses https → http even when http is allowed', () => {
    const from = new URL('https://images.example.com/a/b.png');
    assert.equal(checkUrl('../c.png', {}, from).url.href, 'https://images.example.com/c.png');
    assert.equal(reasonOf(() => checkUrl('http://images.example.com/c.png', { allowHttp: true }, from)), 'redirects');
  });
  it('reports the effective port and the literal address', () => {
    const checked = checkUrl('https://[2606:4700::1111]/x');
    assert.equal(checked.port, 443);
    assert.equal(checked.literalAddress, '2606:4700::1111');
    assert.equal(checkUrl('https://cdn.example.com./x').host, 'cdn.example.com');
  });
});

describe('inputSettingsFromEnv', () => {
  it('has the documented defaults', () => {
    const settings = inputSettingsFromEnv({});
    assert.equal(settings.allowHttp, false);
    assert.equal(settings.allowHosts.size, 0);
    assert.equal(settings.limits.maxImageBytes, 50 * 1024 * 1024);
    assert.equal(settings.limits.maxVideoBytes, 100 * 1024 * 1024);
    assert.equal(settings.limits.maxDataUriBytes, 10 * 1024 * 1024);
  });
  it('reads the MODELGATE_INPUT_* variables and names a bad one', () => {
    const settings = inputSettingsFromEnv({
      MODELGATE_INPUT_ALLOW_HTTP: '1',
      MODELGATE_INPUT_ALLOW_HOSTS: 'localhost:8080',
      MODELGATE_INPUT_MAX_IMAGE_MB: '5',
      MODELGATE_INPUT_MAX_MEGAPIXELS: '40',
    });
    assert.equal(settings.allowHttp, true);
    assert.ok(settings.allowHosts.allows('localhost', 8080));
    assert.equal(settings.limits.maxImageBytes, 5 * 1024 * 1024);
    assert.equal(settings.limits.maxPixels, 40_000_000);
    assert.throws(() => inputSettingsFromEnv({ MODELGATE_INPUT_ALLOW_HOSTS: 'a b' }), /MODELGATE_INPUT_ALLOW_HOSTS/);
    assert.throws(() => inputSettingsFromEnv({ MODELGATE_INPUT_ALLOW_HTTP: 'maybe' }), /MODELGATE_INPUT_ALLOW_HTTP/);
  });
});
