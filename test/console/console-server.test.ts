/**
 * How the server serves the console (src/api/routes/console.ts), without a browser: index.html
 * revalidated on every load, hashed assets cached for a year, the CSP and its companions on every
 * console answer (the bucket's public origin added for outputs), no inline script or style in
 * the build, a page saying how to build when web/dist is missing, and the API untouched.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify from 'fastify';
import { CONSOLE_DIST_DIR, consolePolicy, consoleRoutes } from '../../src/api/routes/console.ts';
import { createHarness, type Harness, tempDir } from '../support/harness.ts';
import { buildConsole } from './browser.ts';

const POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: http://127.0.0.1:8080 data:; media-src 'self' blob: http://127.0.0.1:8080; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

describe('the console as the server serves it', () => {
  let h: Harness;
  before(async () => {
    buildConsole();
    h = await createHarness({ env: { MODELGATE_PUBLIC_URL: 'http://127.0.0.1:8080' } });
  });
  after(() => h?.close());

  test('/ is the built page, revalidated on each load, with the CSP, nosniff and no referrer', async () => {
    const page = await h.app.inject({ method: 'GET', url: '/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.headers['content-type'] as string, /^text\/html/);
    assert.equal(page.headers['cache-control'], 'no-cache');
    assert.equal(page.headers['content-security-policy'], POLICY);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    assert.equal(page.body, readFileSync(join(CONSOLE_DIST_DIR, 'index.html'), 'utf8'));
  });

  test('every built asset is served with a year-long immutable cache and the same policy', async () => {
    const page = readFileSync(join(CONSOLE_DIST_DIR, 'index.html'), 'utf8');
    const linked = [...page.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1]!);
    assert.deepEqual(linked.map((path) => path.split('.').pop()).sort(), ['css', 'js']);
    for (const file of readdirSync(join(CONSOLE_DIST_DIR, 'assets'))) {
      const answer = await h.app.inject({ method: 'GET', url: `/assets/${file}` });
      assert.equal(answer.statusCode, 200, file);
      assert.equal(answer.headers['cache-control'], 'public, max-age=31536000, immutable', file);
      assert.equal(answer.headers['content-security-policy'], POLICY, file);
      assert.equal(answer.headers['x-content-type-options'], 'nosniff', file);
      // Content-hashed names: a new build never reuses a name for other bytes.
      assert.match(file, /-[\w-]{8}\.(js|css)$/);
    }
    // Nothing but the build's files: unknown names, folders, dotfiles and ways out of assets/ are unknown files.
    for (const url of ['/assets/nothing-12345678.js', '/assets/', '/assets/.hidden', '/assets/..%2findex.html', '/assets/%2e%2e/index.html', '/assets/../../package.json']) {
      const refused = await h.app.inject({ method: 'GET', url });
      assert.equal(refused.statusCode, 404, url);
      assert.equal(refused.json().error_code, 404001, url);
    }
  });

  test('the build has no inline script, inline style or style attribute (the CSP would refuse them), and fetches nothing from elsewhere', () => {
    const page = readFileSync(join(CONSOLE_DIST_DIR, 'index.html'), 'utf8');
    for (const script of page.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)) {
      assert.match(script[0], /\bsrc="\/assets\//, 'every script is a file of this origin');
      assert.equal(script[1]!.trim(), '', 'no inline script');
    }
    assert.doesNotMatch(page, /<style\b|\sstyle=|\son\w+=/i);
    for (const file of readdirSync(join(CONSOLE_DIST_DIR, 'assets'))) {
      const text = readFileSync(join(CONSOLE_DIST_DIR, 'assets', file), 'utf8');
      assert.doesNotMatch(text, /https?:\/\/(?!www\.w3\.org\/)[\w.-]+\.[a-z]{2,}\//i, `${file} names no other host (fonts, CDNs)`);
      assert.doesNotMatch(text, /@import|@font-face/, file);
    }
  });

  test('the API and the OpenAPI document are unaffected: no console headers there', async () => {
    const models = await h.app.inject({ method: 'GET', url: '/v1/models', headers: h.auth });
    assert.equal(models.statusCode, 200);
    assert.equal(models.headers['content-security-policy'], undefined);
    const openapi = await h.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(openapi.statusCode, 200);
    assert.equal(openapi.headers['content-security-policy'], undefined);
    const unknown = await h.app.inject({ method: 'GET', url: '/nothing-here' });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().error_code, 404001);
  });
});

test('web/ type-checks under its strict tsconfig (Vite\'s build does not check types)', () => {
  const tsc = spawnSync(process.execPath, [join(CONSOLE_DIST_DIR, '..', '..', 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', join(CONSOLE_DIST_DIR, '..', 'tsconfig.json')], { encoding: 'utf8' });
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
});

describe('the console without a build', () => {
  const dir = tempDir('modelgate-console-');
  after(() => dir.remove());

  test('/ says how to build it (never a 500); a build made while the server runs is served at once', async () => {
    const app = Fastify();
    await app.register(consoleRoutes({ publicUrl: 'http://127.0.0.1:8080' }, dir.path));
    const page = await app.inject({ method: 'GET', url: '/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /node scripts\/build-console\.mjs/);
    assert.equal(page.headers['content-security-policy'], POLICY);
    assert.equal((await app.inject({ method: 'GET', url: '/assets/index-12345678.js' })).statusCode, 404);
    mkdirSync(join(dir.path, 'assets'));
    writeFileSync(join(dir.path, 'index.html'), '<!doctype html><title>built</title>');
    writeFileSync(join(dir.path, 'assets', 'index-12345678.js'), 'export {};');
    assert.equal((await app.inject({ method: 'GET', url: '/' })).body, '<!doctype html><title>built</title>');
    assert.equal((await app.inject({ method: 'GET', url: '/assets/index-12345678.js' })).statusCode, 200);
    await app.close();
  });

  test('with outputs in a bucket, images and videos may also come from its public origin, and nothing else may', async () => {
    const app = Fastify();
    await app.register(consoleRoutes({ publicUrl: 'http://127.0.0.1:8080', s3: { publicBaseUrl: 'https://cdn.example.test/outputs' } }, dir.path));
    const policy = (await app.inject({ method: 'GET', url: '/' })).headers['content-security-policy'];
    assert.equal(policy, consolePolicy(['http://127.0.0.1:8080', 'https://cdn.example.test']));
    assert.match(policy as string, /img-src 'self' blob: http:\/\/127\.0\.0\.1:8080 https:\/\/cdn\.example\.test data:; media-src 'self' blob: http:\/\/127\.0\.0\.1:8080 https:\/\/cdn\.example\.test; connect-src 'self';/);
    await app.close();
  });
});
