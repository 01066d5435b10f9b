/**
 * Direct TLS (issue 12 item 4): with MODELGATE_TLS_CERT and MODELGATE_TLS_KEY a real `modelgate
 * serve` listens with TLS and every URL it hands out is https://; clients that trust the
 * certificate (undici with `ca`, `modelgate run` with NODE_EXTRA_CA_CERTS) get the output bytes,
 * clients that do not are refused, plain HTTP to the port gets nothing, SIGHUP swaps in a renewed
 * certificate, and wrong files stop the start with one line naming the variable and the path.
 * The certificates are made here with the openssl binary.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { after, test } from 'node:test';
import { Agent, fetch } from 'undici';
import { StartupError } from '../../src/config-error.ts';
import { loadTlsMaterial } from '../../src/tls/material.ts';
import type { TlsFiles } from '../../src/tls/settings.ts';
import { MODEL_IDS as MODELS } from '../support/models.ts';
import { type Env, freePort, type Install, KEY_LINE, poll, Processes } from '../support/processes.ts';

const OPENSSL = '/usr/bin/openssl';
const noOpenssl = spawnSync(OPENSSL, ['version']).status === 0 ? false : `needs ${OPENSSL} to make a self-signed certificate`;

const procs = new Processes();
after(() => procs.cleanup());

interface Pair {
  cert: string;
  key: string;
}

/** A fresh self-signed P-256 certificate for 127.0.0.1, and its key, under `dir`. */
function makeCertificate(dir: string, name: string): Pair {
  const pair = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  const made = spawnSync(OPENSSL, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1', '-keyout', pair.key, '-out', pair.cert], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  return pair;
}

/** A path as a literal inside a RegExp. */
function escape(path: string): string {
  return path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

const HTTPS_SERVING_LINE = /ModelGate is serving .* at (https:\/\/\S+)/;

async function serveTls(install: Install, pair: Pair, env: Env = {}) {
  const port = await freePort();
  const child = procs.spawn('serve (tls)', ['serve'], { ...install.env, HOST: '127.0.0.1', PORT: String(port), MODELGATE_TLS_CERT: pair.cert, MODELGATE_TLS_KEY: pair.key, ...env });
  const [, url] = await child.waitFor(HTTPS_SERVING_LINE, 30_000);
  return { child, port, url: url!, key: KEY_LINE.exec(child.stderr)![1]! };
}

/** The SHA-256 fingerprint of the certificate a fresh TLS connection to the port is shown. */
function servedFingerprint(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.once('error', reject);
  });
}

function fingerprintOf(certFile: string): string {
  return spawnSync(OPENSSL, ['x509', '-in', certFile, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' }).stdout.trim().replace(/^.*=/, '');
}

test('TLS serve: https URLs everywhere, outputs download over TLS, plain HTTP and untrusting clients are refused', { skip: noOpenssl }, async () => {
  const install = procs.install();
  const pair = makeCertificate(install.dir, 'server');
  const ca = readFileSync(pair.cert);
  const { child, port, url, key } = await serveTls(install, pair, { MODELGATE_WORKERS: '1' });
  const base = `https://127.0.0.1:${port}`;
  assert.equal(url, base);

  // undici, as most Node clients use it, trusting only the test's certificate.
  const trusting = new Agent({ connect: { ca } });
  const call = async (method: 'GET' | 'POST', target: string, body?: unknown) => {
    const response = await fetch(target, {
      method,
      dispatcher: trusting,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? null : JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const submitted = await call('POST', `${base}/v1/models/${MODELS.dreamina}`, { prompt: 'a red fox' });
  assert.equal(submitted.status, 200, JSON.stringify(submitted.json));
  for (const field of ['status_url', 'result_url', 'cancel_url']) assert.ok(String(submitted.json[field]).startsWith(`${base}/v1/requests/`), `${field}: ${submitted.json[field]}`);

  const status = await poll(() => call('GET', submitted.json.status_url), (r) => r.json.status === 'completed');
  assert.ok(String(status.json.result_url).startsWith(`${base}/`), status.json.result_url);
  const result = await call('GET', submitted.json.result_url);
  assert.equal(result.json.status, 'succeeded', JSON.stringify(result.json));
  const image = String(result.json.output.image);
  assert.ok(image.startsWith(`${base}/v1/blobs/`), image);

  const download = await fetch(image, { dispatcher: trusting });
  assert.equal(download.status, 200);
  const bytes = Buffer.from(await download.arrayBuffer());
  const stored = readFileSync(join(install.dataDir, 'blobs', decodeURI(new URL(image).pathname.slice('/v1/blobs/'.length))));
  assert.ok(bytes.length > 0 && bytes.equals(stored), 'the downloaded bytes are the stored output');
  await trusting.close();

  // Verification stays on: a client that does not trust the certificate is refused...
  await assert.rejects(fetch(`${base}/healthz`), (error: Error & { cause?: { code?: string } }) => error.cause?.code === 'DEPTH_ZERO_SELF_SIGNED_CERT');
  // ...and plain HTTP to the TLS port gets no HTTP answer at all.
  await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));

  // HTTP/1.1 keep-alive over TLS: the second request rides the first one's connection.
  const keepAlive = new HttpsAgent({ keepAlive: true, maxSockets: 1, ca });
  const reused: boolean[] = [];
  for (let i = 0; i < 2; i++) {
    reused.push(
      await new Promise<boolean>((resolve, reject) => {
        const req = httpsRequest(`${base}/healthz`, { agent: keepAlive }, (res) => {
          res.resume().once('end', () => resolve(req.reusedSocket));
        });
        req.once('error', reject).end();
      }),
    );
  }
  keepAlive.destroy();
  assert.deepEqual(reused, [false, true]);

  // `modelgate run` trusts a private CA through NODE_EXTRA_CA_CERTS, and explains when it does not.
  const out = join(install.dir, 'run-out');
  const trusted = await procs.run(install, ['run', MODELS.dreamina, '--prompt', 'a red fox', '--url', base, '--key', key, '--out', out, '--interval', '100'], { NODE_EXTRA_CA_CERTS: pair.cert });
  assert.equal(trusted.code, 0, trusted.stdout + trusted.stderr);
  assert.ok(readFileSync(trusted.stdout.trim().split('\n').at(-1)!).equals(stored), trusted.stdout);
  const untrusted = await procs.run(install, ['run', MODELS.dreamina, '--prompt', 'a red fox', '--url', base, '--key', key]);
  assert.equal(untrusted.code, 1, untrusted.stdout + untrusted.stderr);
  assert.match(untrusted.stderr.trim(), /^modelgate: cannot reach https:\/\/127\.0\.0\.1:\d+ \(DEPTH_ZERO_SELF_SIGNED_CERT\); .*NODE_EXTRA_CA_CERTS=/);
  await child.kill('SIGTERM');
});

test('SIGHUP serves a renewed certificate from the next handshake; unusable files keep the old one', { skip: noOpenssl }, async () => {
  const install = procs.install();
  const pair = makeCertificate(install.dir, 'server');
  // MODELGATE_PUBLIC_URL wins over the https://HOST:PORT default, and a host the certificate does not name is warned about.
  const { child, port, url } = await serveTls(install, pair, { MODELGATE_WORKERS: '0', MODELGATE_PUBLIC_URL: 'https://mg.example.com' });
  assert.equal(url, 'https://mg.example.com');
  await child.waitFor(/"level":40,.*"msg":"the TLS certificate \(subject CN=127\.0\.0\.1\) does not name mg\.example\.com, the host of every URL handed out/);
  const first = readFileSync(pair.cert);
  assert.equal(await servedFingerprint(port, first), fingerprintOf(pair.cert));

  const renewed = makeCertificate(install.dir, 'renewed');
  writeFileSync(pair.cert, readFileSync(renewed.cert));
  writeFileSync(pair.key, readFileSync(renewed.key));
  child.process.kill('SIGHUP');
  await child.waitFor(/"msg":"TLS certificate reloaded"/);
  assert.equal(await servedFingerprint(port, readFileSync(renewed.cert)), fingerprintOf(renewed.cert));

  // A half-renewed pair (new key, old certificate) is refused and the server keeps serving.
  writeFileSync(pair.key, readFileSync(makeCertificate(install.dir, 'other').key));
  child.process.kill('SIGHUP');
  await child.waitFor(/"msg":"TLS certificate not reloaded; still serving the previous one"/);
  assert.match(child.stdout, /is not the key of the certificate/);
  assert.equal(await servedFingerprint(port, readFileSync(renewed.cert)), fingerprintOf(renewed.cert));
  assert.ok(child.running);
  await child.kill('SIGTERM');
});

test('wrong TLS settings stop serve with one line naming the variable and the path', { skip: noOpenssl }, async () => {
  const install = procs.install();
  const pair = makeCertificate(install.dir, 'server');
  const other = makeCertificate(install.dir, 'other');
  // Two real starts (a configuration error, a start-up error); the other file checks run in-process below.
  const cases: Array<{ env: Env; message: RegExp }> = [
    { env: { MODELGATE_TLS_KEY: pair.key }, message: /^modelgate: invalid configuration: MODELGATE_TLS_CERT and MODELGATE_TLS_KEY must be set together .*only MODELGATE_TLS_KEY is set$/ },
    {
      env: { MODELGATE_TLS_CERT: pair.cert, MODELGATE_TLS_KEY: other.key },
      message: new RegExp(`^modelgate: cannot use the TLS key ${escape(other.key)} \\(MODELGATE_TLS_KEY\\): it is not the key of the certificate ${escape(pair.cert)} \\(MODELGATE_TLS_CERT\\)$`),
    },
  ];
  const runs = await Promise.all(cases.map((c) => procs.run(install, ['serve'], { HOST: '127.0.0.1', PORT: '0', ...c.env }, 20_000)));
  runs.forEach((run, i) => {
    const context = `${run.stdout}\n${run.stderr}`;
    assert.equal(run.code, 1, context);
    assert.equal(run.stderr.trim().split('\n').length, 1, `one line, no stack trace: ${run.stderr}`);
    assert.match(run.stderr.trim(), cases[i]!.message);
    assert.ok(!context.includes('ModelGate is serving'), context);
  });
});

test('each unusable TLS file is named with its variable and the reason', { skip: noOpenssl }, () => {
  const install = procs.install();
  const pair = makeCertificate(install.dir, 'server');
  const notPem = join(install.dir, 'not-pem.crt');
  writeFileSync(notPem, 'this is not a certificate\n');
  const encrypted = join(install.dir, 'encrypted.key');
  const made = spawnSync(OPENSSL, ['pkey', '-in', pair.key, '-aes256', '-passout', 'pass:secret', '-out', encrypted], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const missing = join(install.dir, 'missing.key');

  assert.equal(loadTlsMaterial({ certFile: pair.cert, keyFile: pair.key }).leaf.subject, 'CN=127.0.0.1');
  const cases: Array<{ files: TlsFiles; message: RegExp }> = [
    { files: { certFile: notPem, keyFile: pair.key }, message: new RegExp(`^cannot use the TLS certificate ${escape(notPem)} \\(MODELGATE_TLS_CERT\\): not a PEM certificate`) },
    { files: { certFile: pair.key, keyFile: pair.key }, message: new RegExp(`^cannot use the TLS certificate ${escape(pair.key)} \\(MODELGATE_TLS_CERT\\): not a PEM certificate`) },
    { files: { certFile: pair.cert, keyFile: pair.cert }, message: new RegExp(`^cannot use the TLS key ${escape(pair.cert)} \\(MODELGATE_TLS_KEY\\): not a PEM private key`) },
    { files: { certFile: pair.cert, keyFile: encrypted }, message: new RegExp(`^cannot use the TLS key ${escape(encrypted)} \\(MODELGATE_TLS_KEY\\): the key is encrypted`) },
    { files: { certFile: pair.cert, keyFile: missing }, message: new RegExp(`^cannot read the TLS key ${escape(missing)} \\(MODELGATE_TLS_KEY\\): ENOENT, no such file$`) },
    { files: { certFile: install.dir, keyFile: pair.key }, message: new RegExp(`^cannot read the TLS certificate ${escape(install.dir)} \\(MODELGATE_TLS_CERT\\): EISDIR, a folder, not a file$`) },
  ];
  for (const { files, message } of cases) {
    assert.throws(() => loadTlsMaterial(files), (error: Error) => error instanceof StartupError && message.test(error.message) && !error.message.includes('\n'));
  }
});
