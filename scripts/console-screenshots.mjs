#!/usr/bin/env node
// Screenshots of the web console's main screens for the README and docs/console.md, taken from a
// real `modelgate serve` on a fresh temp data folder with the default engines (so the pictures
// are the bundled model's and the builtin reframe's real outputs), in Debian's Chromium.
//   node scripts/console-screenshots.mjs     writes docs/images/console-*.png
// CHROMIUM_PATH overrides /usr/bin/chromium. Loopback only; the temp folder is removed after.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import sharp from 'sharp';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'docs', 'images');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Dreamina's schema is in English; seedream's titles are Chinese, which needs CJK fonts to show.
const TEXT_TO_IMAGE = 'bytedance/dreamina-4-0/text-to-image';
const REFRAME = 'ideogram/ideogram-v3/reframe';

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function startServer(dataDir) {
  const env = { ...process.env, MODELGATE_DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: String(await freePort()), MODELGATE_LOG_LEVEL: 'info' };
  for (const name of Object.keys(env)) if (name.startsWith('MODELGATE_') && !['MODELGATE_DATA_DIR', 'MODELGATE_LOG_LEVEL'].includes(name)) delete env[name];
  const child = spawn(process.execPath, [join(root, 'bin/modelgate.mjs'), 'serve'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start within 60 s:\n${text}`)), 60_000);
    const look = (chunk) => {
      text += chunk;
      const url = /ModelGate is serving .* at (https?:\/\/\S+)/.exec(text)?.[1];
      const key = /MODELGATE_API_KEY=(mg_[0-9A-Za-z]+)/.exec(text)?.[1];
      if (url && key) {
        clearTimeout(timer);
        resolve({ child, url, key });
      }
    };
    child.stdout.setEncoding('utf8').on('data', look);
    child.stderr.setEncoding('utf8').on('data', look);
    child.once('exit', (code) => reject(new Error(`serve exited (${code}):\n${text}`)));
  });
}

/** A picture to reframe: a landscape drawn here (no file from the internet). */
function landscape() {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480">
    <defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#6aa9ff"/><stop offset="1" stop-color="#dbeaff"/></linearGradient></defs>
    <rect width="640" height="480" fill="url(#sky)"/><circle cx="470" cy="120" r="55" fill="#ffd43b"/>
    <path d="M0 330 L160 190 L300 320 L420 220 L640 360 L640 480 L0 480 Z" fill="#2f9e44"/>
    <path d="M0 400 Q320 340 640 410 L640 480 L0 480 Z" fill="#5c940d"/></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

async function shoot(page, name) {
  // From the top: a click may have scrolled the page, and the sticky header would land mid-picture.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(out, `console-${name}.png`), fullPage: true });
  process.stderr.write(`wrote docs/images/console-${name}.png\n`);
}

const built = spawnSync(process.execPath, [join(root, 'scripts/build-console.mjs')], { cwd: root, stdio: 'inherit' });
if (built.status !== 0) process.exit(1);
mkdirSync(out, { recursive: true });
const dir = mkdtempSync(join(tmpdir(), 'modelgate-shots-'));
const server = await startServer(join(dir, 'data'));
const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
try {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 }, colorScheme: 'light' });
  const page = await context.newPage();
  page.setDefaultTimeout(120_000);
  await page.goto(`${server.url}/`);
  await page.getByLabel('API key').fill(server.key);
  await shoot(page, 'sign-in');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.model-card').nth(3).waitFor();
  await shoot(page, 'gallery');

  await page.goto(`${server.url}/#/models/${TEXT_TO_IMAGE}`);
  await page.getByLabel('prompt', { exact: true }).fill('a red circle above a blue square on a yellow background');
  await page.getByLabel('width×height').selectOption('1024x1024(1:1)');
  await page.getByRole('button', { name: 'Copy as curl' }).click();
  await shoot(page, 'form');
  await page.getByRole('button', { name: 'Run' }).click();
  await page.getByTestId('run-state').filter({ hasText: 'Succeeded' }).waitFor();
  await page.locator('.output img').evaluate((img) => img.decode());
  await shoot(page, 'result');

  await page.goto(`${server.url}/#/models/${REFRAME}`);
  await page.getByLabel('image file').setInputFiles({ name: 'landscape.png', mimeType: 'image/png', buffer: await landscape() });
  await page.getByText('Uploaded landscape.png').waitFor();
  await page.getByLabel('resolution').selectOption('1536:640 (12:5)');
  await page.getByLabel('rendering_speed').selectOption('TURBO');
  await shoot(page, 'upload');
  await page.getByRole('button', { name: 'Run' }).click();
  await page.getByTestId('run-state').filter({ hasText: 'Succeeded' }).waitFor();
  await page.locator('.output img').evaluate((img) => img.decode());

  await page.getByRole('link', { name: 'History' }).click();
  await page.locator('.history-item').nth(1).waitFor();
  await page.locator('.history-item img.thumb').first().evaluate((img) => img.decode());
  await shoot(page, 'history');

  const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, colorScheme: 'dark' });
  const small = await phone.newPage();
  small.setDefaultTimeout(60_000);
  await small.goto(`${server.url}/`);
  await small.getByLabel('API key').fill(server.key);
  await small.getByRole('button', { name: 'Sign in' }).click();
  await small.locator('.model-card').first().waitFor();
  await small.goto(`${server.url}/#/history`);
  await small.locator('.history-item').first().click();
  await small.getByTestId('run-state').filter({ hasText: 'Succeeded' }).waitFor();
  await small.locator('.output img').evaluate((img) => img.decode());
  await shoot(small, 'mobile');
} finally {
  await browser.close();
  server.child.kill('SIGTERM');
  await new Promise((resolve) => server.child.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
}
