/**
 * Research §2.4, groups 1–15: every bad URL is refused, with the reason asserted, and no TCP
 * connection reaches anything. DNS is a stub; listeners are loopback canaries; a process-wide
 * guard reroutes any connection to a non-canary destination into a loopback sinkhole, so even a
 * regression cannot send a packet beyond 127.0.0.0/8 (it would show up as a sinkhole count).
 * Groups 16–18 (size, time, type) are in corpus-bodies.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HostAllowList } from '../../src/inputs/address-policy.ts';
import { InputError } from '../../src/inputs/errors.ts';
import { resolvePinned } from '../../src/inputs/resolve-host.ts';
import { fetchToFile, type FetchOptions } from '../../src/inputs/safe-fetch.ts';
import { checkUrl } from '../../src/inputs/url-policy.ts';
import { makeTestCertificate, startCanary, type Canary, type TestCertificate } from '../support/canary.ts';
import { installLoopbackGuard, type LoopbackGuard } from '../support/loopback-guard.ts';
import { stubResolver, type StubResolver } from '../support/stub-resolver.ts';

const PUBLIC = '93.184.216.34'; // only ever appears beside a refused answer

let guard: LoopbackGuard;
let cert: TestCertificate;
let plain: Canary; // http on 127.0.0.1, the target a bypass of an http URL would reach
let secure: Canary; // https on 127.0.0.1
let dir: string;
let dns: StubResolver;
let fileNo = 0;
const figures = { cases: 0, rejected: 0 };

function totalConnections(): number {
  return plain.connections + secure.connections + guard.sinkholeConnections();
}

async function refused(url: string, reasons: readonly string[], extra: Partial<FetchOptions> = {}): Promise<InputError> {
  const attemptsBefore = guard.attempts.length;
  const connectionsBefore = totalConnections();
  figures.cases++;
  const error = await fetchToFile(url, join(dir, `f${fileNo++}`), {
    maxBytes: 1024 * 1024,
    resolver: dns.resolve,
    ca: cert.cert,
    connectTimeoutMs: 2000,
    totalTimeoutMs: 5000,
    ...extra,
  }).then(
    () => assert.fail(`${url} was fetched`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof InputError, `${url}: ${String(error)}`);
  assert.ok(reasons.includes(error.reason), `${url}: reason ${error.reason} (${error.message}), expected ${reasons.join('|')}`);
  assert.equal(guard.attempts.length - attemptsBefore, 0, `${url}: a connection was attempted`);
  assert.equal(totalConnections() - connectionsBefore, 0, `${url}: a canary saw a connection`);
  figures.rejected++;
  return error;
}

/** Like refused(), for cases whose first hop is an allow-listed redirector (it may be reached). */
async function refusedVia(url: string, reasons: readonly string[], extra: Partial<FetchOptions>): Promise<void> {
  const connectionsBefore = totalConnections();
  figures.cases++;
  const error = await fetchToFile(url, join(dir, `f${fileNo++}`), { maxBytes: 1024 * 1024, ca: cert.cert, totalTimeoutMs: 5000, ...extra }).then(
    () => assert.fail(`${url} was fetched`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof InputError, `${url}: ${String(error)}`);
  assert.ok(reasons.includes(error.reason), `${url}: reason ${error.reason} (${error.message}), expected ${reasons.join('|')}`);
  assert.equal(totalConnections() - connectionsBefore, 0, `${url}: a canary saw a connection`);
  figures.rejected++;
}

before(async () => {
  guard = await installLoopbackGuard();
  cert = makeTestCertificate(['canary.test', 'secure.test']);
  plain = await startCanary((_req, res) => res.end('plain canary'));
  secure = await startCanary((_req, res) => res.end('secure canary'), { tls: cert });
  for (const canary of [plain, secure]) guard.permit(canary.host, canary.port);
  dir = mkdtempSync(join(tmpdir(), 'modelgate-ssrf-'));
  dns = stubResolver({
    'example.com': [PUBLIC],
    'canary.test': ['127.0.0.1'],
    '127.0.0.1.nip.io': ['127.0.0.1'],
    '10.0.0.1.nip.io': ['10.0.0.1'],
    '169.254.169.254.nip.io': ['169.254.169.254'],
    'mixed.test': [PUBLIC, '::1'],
    'mixed-v6-first.test': ['fd00::1', PUBLIC],
    'mixed-mapped.test': [PUBLIC, '::ffff:10.0.0.1'],
    'rebind.test': [['127.0.0.1'], [PUBLIC]],
    'metadata.google.internal': ['169.254.169.254'],
    // IPv4 embedded in IPv6 answers (AAAA records anyone can publish).
    'compat-metadata.test': ['::a9fe:a9fe'],
    'compat-loopback.test': ['::127.0.0.1'],
    'nat64-private.test': ['64:ff9b::10.0.0.1'],
    'nat64-local-metadata.test': ['64:ff9b:1:808:8:808:a9fe:a9fe'],
    '6to4-loopback.test': ['2002:7f00:1::1'],
    'teredo-client-metadata.test': ['2001:0:808:808::5601:5601'],
    'mixed-compat.test': [PUBLIC, '::10.0.0.1'],
    'nat64-public.test': ['64:ff9b::5db8:d822'],
  });
});

after(async () => {
  await plain?.close();
  await secure?.close();
  await guard?.restore();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('§2.4 bad-URL corpus, groups 1–15', () => {
  it('1: scheme downgrade', async () => {
    await refused('http://example.com/a.png', ['scheme']);
    await refused(`http://canary.test:${plain.port}/a.png`, ['scheme']);
  });

  it('2: non-https schemes', async () => {
    for (const url of ['file:///etc/passwd', 'gopher://127.0.0.1:6379/_', 'ftp://example.com/a.png', 'data:image/png;base64,iVBORw0KGgo=', 'javascript:alert(1)', 'ws://example.com/', 'wss://example.com/', 'blob:https://example.com/x']) {
      await refused(url, ['scheme']);
    }
    await refused('gopher://127.0.0.1:6379/_', ['scheme'], { allowHttp: true });
  });

  it('3: loopback', async () => {
    for (const url of ['https://127.0.0.1/', 'https://localhost/', 'https://localhost./', 'https://[::1]/', 'https://[0:0:0:0:0:0:0:1]/', 'https://127.0.0.2/', 'https://127.255.255.254/']) {
      await refused(url, ['blocked_address']);
    }
    // The canaries themselves, by literal address: refused for the port and the address.
    await refused(`https://127.0.0.1:${secure.port}/`, ['port', 'blocked_address']);
    await refused(`http://127.0.0.1:${plain.port}/photo.jpg`, ['port', 'blocked_address'], { allowHttp: true });
  });

  it('4: decimal, octal, hex, short, percent-encoded and full-width IPv4', async () => {
    for (const url of ['https://2130706433/', 'https://017700000001/', 'https://0x7f000001/', 'https://0x7f.1/', 'https://127.1/', 'https://0177.0.0.1/', 'https://00000177.0.0.1/', 'https://%31%32%37.0.0.1/', 'https://①②⑦.0.0.1/', 'https://0x7F.0.0.1/', 'https://127.0.1/']) {
      await refused(url, ['blocked_address']);
    }
  });

  it('5: unspecified address', async () => {
    for (const url of ['https://0/', 'https://0.0.0.0/', 'https://[::]/', 'https://0x0/', 'https://[::ffff:0.0.0.0]/']) {
      await refused(url, ['blocked_address']);
    }
  });

  it('6: cloud metadata', async () => {
    for (const url of ['https://169.254.169.254/latest/meta-data/', 'https://[fd00:ec2::254]/', 'https://metadata.google.internal/', 'https://100.100.100.200/', 'https://192.0.0.192/', 'https://169.254.169.254.nip.io/', 'https://[::ffff:169.254.169.254]/']) {
      await refused(url, ['blocked_address']);
    }
  });

  it('7: RFC 1918, unique-local, link-local', async () => {
    for (const url of ['https://10.0.0.1/', 'https://172.16.0.1/', 'https://172.31.255.255/', 'https://192.168.1.1/', 'https://[fc00::1]/', 'https://[fe80::1]/', 'https://10.0.0.1.nip.io/']) {
      await refused(url, ['blocked_address']);
    }
  });

  it('8: IPv4-mapped, NAT64, 6to4, Teredo', async () => {
    for (const url of ['https://[::ffff:127.0.0.1]/', 'https://[::ffff:7f00:1]/', 'https://[::ffff:a9fe:a9fe]/', 'https://[64:ff9b::a9fe:a9fe]/', 'https://[64:ff9b::7f00:1]/', 'https://[2002:a9fe:a9fe::]/', 'https://[2001::1]/']) {
      await refused(url, ['blocked_address']);
    }
  });

  it('8: every IPv6 form that embeds IPv4, judged by the IPv4 inside, at submit and at fetch', async () => {
    const literals = [
      // Issue 11: IPv4-compatible IPv6 (::/96) passed as plain unicast.
      'https://[::169.254.169.254]/latest/meta-data/', 'https://[::127.0.0.1]/', 'https://[::a9fe:a9fe]/', 'https://[::10.0.0.1]/',
      'https://[0:0:0:0:0:0:A9FE:A9FE]/', 'https://[::100.100.100.200]/', 'https://[::2]/',
      'https://[::ffff:0:127.0.0.1]/', 'https://[::FFFF:0:a9fe:a9fe]/', // IPv4-translated
      'https://[64:ff9b::10.0.0.1]/', 'https://[64:FF9B::A9FE:A9FE]/', 'https://[64:ff9b:1:808:8:808:a9fe:a9fe]/', // NAT64
      'https://[2002:7f00:1::1]/', 'https://[2002:0a00:0001::]/', // 6to4
      'https://[2001:0:a9fe:a9fe::1]/', 'https://[2001:0:808:808::80ff:fffe]/', // Teredo server, client
    ];
    for (const url of literals) {
      // Submit runs checkUrl alone; the worker runs the whole fetch.
      assert.throws(() => checkUrl(url), (e: unknown) => e instanceof InputError && e.reason === 'blocked_address', url);
      await refused(url, ['blocked_address']);
    }
    for (const name of ['compat-metadata.test', 'compat-loopback.test', 'nat64-private.test', 'nat64-local-metadata.test', '6to4-loopback.test', 'teredo-client-metadata.test', 'mixed-compat.test']) {
      const before = dns.count(name);
      const error = await refused(`https://${name}/`, ['blocked_address']);
      assert.equal(dns.count(name) - before, 1, `${name}: the refusal came from the resolved address`);
      assert.match(error.message, /embedded in an? [\w -]+ IPv6 address$/, name);
      assert.doesNotMatch(error.message, /a9fe|169\.254|127\.0|10\.0|5601|7f00/, 'the resolved address is never echoed');
    }
  });

  it('8: control: a public IPv4 inside NAT64 (a DNS64 answer) passes every address check; nothing is dialled', async () => {
    const attemptsBefore = guard.attempts.length;
    const literal = checkUrl('https://[64:ff9b::93.184.216.34]/a.png');
    assert.deepEqual(await resolvePinned(literal, dns.resolve), { address: '64:ff9b::5db8:d822', family: 6 });
    assert.deepEqual(await resolvePinned(checkUrl('https://nat64-public.test/a.png'), dns.resolve), { address: '64:ff9b::5db8:d822', family: 6 });
    assert.equal(guard.attempts.length - attemptsBefore, 0);
  });

  it('9: a public name that resolves to loopback', async () => {
    const before = dns.count('127.0.0.1.nip.io');
    await refused('https://127.0.0.1.nip.io/', ['blocked_address']);
    assert.equal(dns.count('127.0.0.1.nip.io') - before, 1, 'the refusal came from the resolved address');
  });

  it('10: mixed records are refused if ANY address is not public', async () => {
    await refused('https://mixed.test/', ['blocked_address']);
    await refused('https://mixed-v6-first.test/', ['blocked_address']);
    await refused('https://mixed-mapped.test/', ['blocked_address']);
  });

  it('11: rebinding: one question per hop, the private first answer refused', async () => {
    await refused('https://rebind.test/', ['blocked_address']);
    assert.equal(dns.count('rebind.test'), 1, 'the name was asked once; the public second answer was never sought');
  });

  it('11: rebinding on an allow-listed name: the connection goes to the checked (pinned) answer', async () => {
    // Both answers are loopback canaries on the same port, so nothing can leave the machine;
    // the name is allow-listed so the first answer is dialled, and the second answer (what a
    // re-resolving client would use) must see nothing.
    const first = await startCanary((_req, res) => res.end('first answer'));
    const second = await startCanary((_req, res) => res.end('second answer'), { host: '127.0.0.2', port: first.port });
    guard.permit(first.host, first.port);
    guard.permit(second.host, second.port);
    const rebinding = stubResolver({ 'pin.test': [['127.0.0.1'], ['127.0.0.2']] });
    try {
      const fetched = await fetchToFile(`http://pin.test:${first.port}/`, join(dir, 'pinned'), {
        maxBytes: 1024,
        allowHttp: true,
        allowHosts: HostAllowList.parse(`pin.test:${first.port}`),
        resolver: rebinding.resolve,
      });
      assert.equal(fetched.sizeBytes, 'first answer'.length);
      assert.equal(rebinding.count('pin.test'), 1);
      assert.equal(first.connections, 1);
      assert.equal(second.connections, 0, 'the second (rebound) answer was never dialled');
      assert.deepEqual(first.requests, ['/']);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('12: redirects, each hop re-checked, at most 5, never https → http', async () => {
    let finals = 0;
    const redirector = await startCanary((req, res) => {
      const url = req.url ?? '/';
      const loop = /^\/loop\/(\d+)$/.exec(url);
      const chain = /^\/chain\/(\d+)$/.exec(url);
      const to = (location: string): void => void res.writeHead(302, { location }).end('moved');
      if (url === '/to-metadata') to('http://169.254.169.254/latest/meta-data/');
      else if (url === '/to-metadata-name') to('http://metadata.google.internal/computeMetadata/v1/');
      else if (url === '/to-loopback-443') to('https://127.0.0.1/');
      else if (url === '/to-secure-canary-by-ip') to(`https://127.0.0.1:${secure.port}/`);
      else if (url === '/to-plain-canary-by-ip') to(`http://127.0.0.1:${plain.port}/`);
      else if (url === '/to-internal-name') to('https://internal.test/');
      else if (url === '/to-mapped') to('https://[::ffff:10.0.0.1]/');
      else if (url === '/to-file') to('file:///etc/passwd');
      else if (url === '/no-location') res.writeHead(302).end();
      else if (loop) to(`/loop/${Number(loop[1]) + 1}`);
      else if (chain && Number(chain[1]) > 0) to(`/chain/${Number(chain[1]) - 1}`);
      else if (chain || url === '/final') {
        finals++;
        res.end('the end');
      } else res.writeHead(404).end();
    });
    const secureRedirector = await startCanary((_req, res) => void res.writeHead(302, { location: `http://redirector.test:${redirector.port}/final` }).end(), { tls: cert });
    guard.permit(redirector.host, redirector.port);
    guard.permit(secureRedirector.host, secureRedirector.port);
    const redirectDns = stubResolver({ 'redirector.test': ['127.0.0.1'], 'secure.test': ['127.0.0.1'], 'internal.test': ['10.0.0.5'], 'metadata.google.internal': ['169.254.169.254'] });
    const options = {
      allowHttp: true,
      allowHosts: HostAllowList.parse(`redirector.test:${redirector.port},secure.test:${secureRedirector.port}`),
      resolver: redirectDns.resolve,
    };
    const base = `http://redirector.test:${redirector.port}`;
    try {
      const attempts = (): number => guard.attempts.filter((a) => a.port !== redirector.port && a.port !== secureRedirector.port).length;
      const before = attempts();
      for (const [path, reasons] of [
        ['/to-metadata', ['blocked_address']],
        ['/to-metadata-name', ['blocked_address']],
        ['/to-loopback-443', ['blocked_address']],
        ['/to-secure-canary-by-ip', ['port', 'blocked_address']],
        ['/to-plain-canary-by-ip', ['port', 'blocked_address']],
        ['/to-internal-name', ['blocked_address']],
        ['/to-mapped', ['blocked_address']],
        ['/to-file', ['scheme']],
        ['/no-location', ['redirects']],
      ] as const) {
        await refusedVia(`${base}${path}`, reasons, options);
      }
      const requestsBefore = redirector.requests.length;
      await refusedVia(`${base}/loop/0`, ['redirects'], options);
      assert.equal(redirector.requests.length - requestsBefore, 6, 'the first request and 5 redirects, then stop');
      await refusedVia(`https://secure.test:${secureRedirector.port}/down`, ['redirects'], options);
      assert.equal(finals, 0, 'the http target of an https redirect was never requested');
      assert.equal(attempts() - before, 0, 'no connection except to the redirectors');

      // Control: exactly 5 hops is allowed and ends at the resource.
      const fetched = await fetchToFile(`${base}/chain/5`, join(dir, 'chain'), { maxBytes: 1024, ca: cert.cert, ...options });
      assert.equal(fetched.redirects, 5);
      assert.equal(finals, 1);
    } finally {
      await redirector.close();
      await secureRedirector.close();
    }
  });

  it('13: userinfo and parser confusion', async () => {
    await refused('https://user:pass@example.com/', ['userinfo']);
    await refused('https://evil.com@127.0.0.1/', ['userinfo', 'blocked_address']);
    await refused('https://127.0.0.1:80\\@evil.com/', ['port', 'blocked_address']);
    await refused('https://user:pass@evil.com@127.0.0.1/', ['userinfo', 'blocked_address']);
  });

  it('14: ports outside the allowlist', async () => {
    for (const port of [22, 6379, 5432, 2375, 8080, 444]) await refused(`https://example.com:${port}/`, ['port']);
    await refused('http://example.com:443/', ['port'], { allowHttp: true });
  });

  it('15: malformed', async () => {
    for (const url of ['https://[fe80::1%25eth0]/', `https://example.com/${'a'.repeat(2100)}`, 'https://:443/', 'https://', 'https://example.com%20/', 'https://example.com%09/', 'https://example.com /', 'https://127.0.0.1%09/', 'https://[::1/', 'https://999.1.1.1/']) {
      await refused(url, ['bad_url']);
    }
    await refused('https://no-such-name.test/', ['dns']);
  });

  it('control: with the host allow-listed (and http allowed) the same canary is reachable', async () => {
    const before = plain.connections;
    const fetched = await fetchToFile(`http://127.0.0.1:${plain.port}/photo.jpg`, join(dir, 'control'), {
      maxBytes: 1024,
      allowHttp: true,
      allowHosts: HostAllowList.parse(`127.0.0.1:${plain.port}`),
      resolver: dns.resolve,
    });
    assert.equal(fetched.sizeBytes, 'plain canary'.length);
    assert.equal(plain.connections - before, 1);
    assert.deepEqual(guard.dnsQueries, [], 'no real DNS question was asked by any case');
  });

  it('figure', (t) => {
    const escapes = guard.attempts.filter((a) => a.rerouted).length;
    t.diagnostic(
      `SSRF corpus groups 1-15: ${figures.cases} bad URLs, ${figures.rejected} rejected; ` +
        `connections to the targets of refused URLs = 0 (canaries and sinkhole, asserted per case); ` +
        `connections to non-canary destinations (rerouted to the sinkhole) = ${escapes}; real DNS questions = ${guard.dnsQueries.length}`,
    );
    assert.equal(figures.rejected, figures.cases);
    assert.equal(escapes, 0);
    assert.equal(guard.sinkholeConnections(), 0);
  });
});
