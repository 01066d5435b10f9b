/**
 * Unit tests for the static half of the SSRF defence: address classification, the operator's
 * host allowlist, the URL policy, and the environment settings. No sockets, no DNS.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HostAllowList, classifyAddress } from '../../src/inputs/address-policy.ts';
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
    ['::ffff:7f00:1', 'loopback'], ['::ffff:169.254.169.254', 'linkLocal'], ['64:ff9b::a9fe:a9fe', 'rfc6052'],
    ['2002:a9fe:a9fe::', '6to4'], ['2001::1', 'teredo'], ['2001:db8::1', 'reserved'],
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
