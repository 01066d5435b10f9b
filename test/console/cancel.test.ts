/**
 * Cancel while queued, in Chromium against a server with no workers (MODELGATE_WORKERS=0), so
 * jobs stay in the queue: the run view shows the queue position and a Cancel button, the
 * cancel reaches the server, and the job never runs. Also the fallback when the event stream
 * cannot be had: the view polls the status route and still follows the run to its end.
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

describe('cancelling a queued run in the console', () => {
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
});
