/**
 * What the console's browser tests share: the console built from web/ (scripts/build-console.mjs,
 * a no-op when current), a real `modelgate serve` child on a fresh data folder (every model on
 * the test engine, test/support/processes.ts), and Debian's Chromium driven by playwright-core.
 * One browser per test file; each test takes a fresh context (its own sessionStorage).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { type Env, type Install, Processes, type Server } from '../support/processes.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function buildConsole(): void {
  const result = spawnSync(process.execPath, [join(ROOT, 'scripts/build-console.mjs')], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(result.status, 0, `the console build failed:\n${result.stdout}\n${result.stderr}`);
}

export interface ConsoleRig {
  procs: Processes;
  install: Install;
  server: Server;
  key: string;
  browser: Browser;
  /** A fresh browser context (empty sessionStorage) and page; closed by `close()`. */
  page(viewport?: { width: number; height: number }): Promise<Page>;
  /** A page already signed in (with the server's first key unless told), showing the gallery. */
  signedIn(viewport?: { width: number; height: number }, key?: string): Promise<Page>;
  close(): Promise<void>;
}

export async function startRig(env: Env = {}): Promise<ConsoleRig> {
  assert.ok(existsSync(CHROMIUM), `the console tests drive Chromium at ${CHROMIUM}: apt-get install chromium (.ci/run does), or set CHROMIUM_PATH`);
  buildConsole();
  const procs = new Processes();
  const contexts: BrowserContext[] = [];
  let browser: Browser | undefined;
  try {
    const install = procs.install();
    const server = await procs.serve(install, env);
    assert.ok(server.apiKey, 'the first serve of an install prints a key');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    const rig: ConsoleRig = {
      procs,
      install,
      server,
      key: server.apiKey,
      browser,
      async page(viewport = { width: 1280, height: 900 }) {
        const context = await browser!.newContext({ viewport });
        contexts.push(context);
        const page = await context.newPage();
        page.setDefaultTimeout(10_000);
        return page;
      },
      async signedIn(viewport, key = rig.key) {
        const page = await rig.page(viewport);
        await page.goto(server.url + '/');
        await page.getByLabel('API key').fill(key);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('heading', { name: 'Models' }).waitFor();
        return page;
      },
      async close() {
        for (const context of contexts) await context.close().catch(() => undefined);
        await browser?.close();
        await procs.cleanup();
      },
    };
    return rig;
  } catch (error) {
    await browser?.close();
    await procs.cleanup();
    throw error;
  }
}

/** Collects what the page logs as errors and what the CSP refuses, to assert there was none. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(String(error)));
  return problems;
}
