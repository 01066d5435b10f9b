/**
 * The console in Chromium against a server with no workers (MODELGATE_WORKERS=0), so jobs stay
 * in the queue: the run view shows the queue position and a Cancel button, and the cancel reaches
 * the server. Also the fallback when the event stream cannot be had (the view polls the status
 * route and still follows the run to its end), and a key revoked while signed in. (Beside the
 * run tests in their own file, so that the two browsers share the time.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { MODEL_IDS } from '../support/models.ts';
import { api, poll } from '../support/processes.ts';
import { type ConsoleRig, startRig, watchProblems } from './browser.ts';

async function queueOne(rig: ConsoleRig, page: Page, prompt: string): Promise<string> {
  await page.goto(`${rig.server.url}/#/models/${MODEL_IDS.dreamina}`);
  await page.getByLabel('prompt', { exact: true }).fill(prompt);
  await page.getByRole('button', { name: 'Run' }).click();
  await page.getByTestId('run-state').filter({ hasText: 'Queued' }).waitFor();
  return (await page.locator('h1 .request-id').textContent())!.trim();
}

describe('the console with queued runs, and with a revoked key', () => {
  let rig: ConsoleRig;
  before(async () => {
    rig = await startRig({ MODELGATE_WORKERS: '0' });
  });
  after(() => rig?.close());

  test('the run view shows its place in the queue; Cancel cancels it on the server, and only it', async () => {
    const page = await rig.signedIn();
    const problems = watchProblems(page);
    const first = await queueOne(rig, page, 'first in line');
    await page.getByText('position 1 in the queue').waitFor();
    const second = await queueOne(rig, page, 'second in line');
    await page.getByText('position 2 in the queue').waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByTestId('run-state').filter({ hasText: 'Cancelled' }).waitFor();
    await page.getByText('Cancelled.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Cancel' }).count(), 0, 'nothing left to cancel');
    const client = api(rig.server.url, rig.key);
    assert.equal((await client.result(second)).json.status, 'cancelled');
    assert.equal((await client.result(first)).json.status, 'in_queue');
    assert.deepEqual(problems, []);
  });

  test('without the event stream the view polls the status route and still sees the end', async () => {
    const page = await rig.signedIn();
    await page.route('**/stream', (route) => route.abort());
    const id = await queueOne(rig, page, 'polled');
    const client = api(rig.server.url, rig.key);
    assert.equal((await client.cancel(id)).json.outcome, 'cancelled');
    await page.getByTestId('run-state').filter({ hasText: 'Cancelled' }).waitFor();
    await poll(() => client.result(id), (answer) => answer.json.status === 'cancelled');
  });

  test('a key revoked while signed in sends the page back to sign-in, saying why', async () => {
    const created = await rig.procs.run(rig.install, ['keys', 'create', '--name', 'console']);
    assert.equal(created.code, 0, created.stderr);
    const key = created.stdout.trim();
    const page = await rig.signedIn(undefined, key);
    const listed = await rig.procs.run(rig.install, ['keys', 'list']);
    const id = listed.stdout.split('\n').find((line) => /\sconsole\s/.test(line))!.split(/\s+/)[0]!;
    assert.equal((await rig.procs.run(rig.install, ['keys', 'revoke', id])).code, 0);
    await poll(() => api(rig.server.url, key).get('/v1/models'), (answer) => answer.status === 401);
    await page.getByRole('link', { name: 'History' }).click();
    await page.getByRole('alert').filter({ hasText: 'The server stopped accepting this key' }).waitFor();
    await page.getByLabel('API key').waitFor();
    assert.equal(await page.evaluate('sessionStorage.getItem("modelgate.apiKey")'), null);
  });
});
