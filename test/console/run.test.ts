/**
 * The console in Chromium against a real server (issue 15, item 7): sign in (and a wrong key),
 * run text-to-image and see the image, run reframe with an uploaded file, a file refused in the
 * browser by the catalog's rule with the server's own message, a dropped file, "copy as curl" whose
 * body the server accepts, find the runs in History after a reload, and the 360 px layout without sideways scroll.
 * Every model runs on the test engine (test/support/test-engine.ts): text-to-image answers a
 * one-pixel PNG, image models hand back the file they were given.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { makeImage } from '../support/media.ts';
import { MODEL_IDS } from '../support/models.ts';
import { api, poll } from '../support/processes.ts';
import { type ConsoleRig, startRig, watchProblems } from './browser.ts';

const modelHref = (id: string) => `#/models/${id}`;

/** Waits for the run view's state to read `state` and returns the request id it shows. */
async function finishedRun(page: Page, state = 'Succeeded'): Promise<string> {
  await page.getByTestId('run-state').filter({ hasText: state }).waitFor({ timeout: 20_000 });
  return (await page.locator('h1 .request-id').textContent())!.trim();
}

describe('the web console in a browser', () => {
  let rig: ConsoleRig;
  const runs: string[] = [];
  before(async () => {
    rig = await startRig();
  });
  after(() => rig?.close());

  test('a wrong key is refused with the server\'s reason; the right one opens the gallery; sign-out forgets it', async () => {
    const page = await rig.page();
    const problems = watchProblems(page);
    await page.goto(rig.server.url + '/');
    await page.getByLabel('API key').fill('mg_thisisnotakey');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'That key was not accepted' }).waitFor();
    await page.getByLabel('API key').fill(rig.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Models' }).waitFor();
    // The four catalog models, narrowed by the search box.
    await page.locator('.model-card').nth(3).waitFor();
    assert.equal(await page.locator('.model-card').count(), 4);
    await page.getByLabel('Search models').fill('reframe');
    assert.deepEqual(await page.locator('.model-link').allTextContents(), ['Ideogram 3.0 | Reframe']);
    // Kept for this tab only: in sessionStorage, in no cookie and no URL.
    assert.equal(await page.evaluate('sessionStorage.getItem("modelgate.apiKey")'), rig.key);
    assert.deepEqual(await page.context().cookies(), []);
    assert.ok(!page.url().includes(rig.key));
    await page.reload();
    await page.getByRole('heading', { name: 'Models' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    assert.equal(await page.evaluate('sessionStorage.getItem("modelgate.apiKey")'), null);
    // The sign-in's 401 is the only error the page logged (Chromium logs failed fetches); no CSP refusal.
    assert.deepEqual(problems.filter((text) => !/status of 401/.test(text)), []);
  });

  test('text-to-image: the form from the schema, Run, the live view, then the image', async () => {
    const page = await rig.signedIn();
    const problems = watchProblems(page);
    await page.goto(rig.server.url + '/' + modelHref(MODEL_IDS.dreamina));
    // Controls from the schema, labelled with the field names: a text area, a select, a bounded number, a toggle.
    const prompt = page.getByLabel('prompt', { exact: true });
    assert.equal(await prompt.inputValue(), 'A beautiful girl is walking on the street');
    assert.equal(await page.getByLabel('width×height').inputValue(), '2048x2048(1:1)');
    const scale = page.getByLabel('scale');
    assert.deepEqual([await scale.getAttribute('min'), await scale.getAttribute('max'), await scale.inputValue()], ['0', '1', '0.5']);
    assert.equal(await page.getByRole('switch', { name: 'force_single' }).isChecked(), false);
    // A bound broken in the browser: shown at the field, nothing sent.
    await scale.fill('3');
    await page.getByRole('button', { name: 'Run' }).click();
    await page.getByText('scale: must be <= 1').waitFor();
    await scale.fill('0.25');
    await prompt.fill('a red circle, sleep=1500');
    await page.getByRole('button', { name: 'Run' }).click();
    // Live: running with its progress and elapsed time (the engine takes 1.5 s), then the output.
    await page.getByTestId('run-state').filter({ hasText: 'Running' }).waitFor();
    await page.getByRole('progressbar', { name: 'progress' }).waitFor();
    await page.getByText(/elapsed \d+\.\d s/).waitFor();
    runs.push(await finishedRun(page));
    const image = page.locator('.output img');
    await image.waitFor();
    assert.equal(await image.evaluate((img: { complete: boolean; naturalWidth: number }) => img.complete && img.naturalWidth), 1);
    const download = page.getByRole('link', { name: /Download image/ });
    assert.match((await download.getAttribute('href'))!, /\/v1\/blobs\//);
    // Full size on click.
    await image.click();
    await page.getByRole('dialog', { name: 'Full-size image' }).waitFor();
    await page.getByRole('button', { name: 'Close' }).click();
    assert.deepEqual(problems, []);
  });

  test('reframe with an uploaded file: preview, upload through /v1/files, and the output is that file', async () => {
    const page = await rig.signedIn();
    const problems = watchProblems(page);
    await page.goto(rig.server.url + '/' + modelHref(MODEL_IDS.reframe));
    const picture = await makeImage(64, 48, 'png');
    const uploads: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().endsWith('/v1/files')) uploads.push(request.url());
    });
    await page.getByLabel('image file').setInputFiles({ name: 'picture.png', mimeType: 'image/png', buffer: picture });
    await page.getByText('Uploaded picture.png (image/png').waitFor();
    assert.equal(await page.locator('img.preview').evaluate((img: { naturalWidth: number }) => img.naturalWidth), 64);
    assert.equal(uploads.length, 1);
    await page.getByLabel('resolution').selectOption('1024:1024 (1:1)');
    await page.getByRole('button', { name: 'Run' }).click();
    runs.push(await finishedRun(page));
    // The test engine hands the input back: the output is the very picture uploaded.
    const src = (await page.locator('.output img').getAttribute('src'))!;
    const output = Buffer.from(await (await fetch(src)).arrayBuffer());
    assert.ok(output.equals(picture), 'the output is the uploaded file');
    assert.deepEqual(problems, []);
  });

  test('a file field also takes a pasted URL, sent as it is', async () => {
    const page = await rig.signedIn();
    await page.goto(rig.server.url + '/' + modelHref(MODEL_IDS.reframe));
    const picture = await makeImage(40, 30, 'png');
    await page.getByLabel('image URL').fill(`data:image/png;base64,${picture.toString('base64')}`);
    await page.getByRole('button', { name: 'Run' }).click();
    await finishedRun(page);
    const src = (await page.locator('.output img').getAttribute('src'))!;
    assert.ok(Buffer.from(await (await fetch(src)).arrayBuffer()).equals(picture), 'the engine got the pasted file');
  });

  test('a file that breaks a catalog rule is refused in the browser with the rule\'s message, before any upload', async () => {
    const page = await rig.signedIn();
    await page.goto(rig.server.url + '/' + modelHref(MODEL_IDS.runway));
    const uploads: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST') uploads.push(request.url());
    });
    // 300×100 is 3:1; runway's promptImage rule wants 1:2 to 2:1.
    await page.getByLabel('promptImage file').setInputFiles({ name: 'wide.png', mimeType: 'image/png', buffer: await makeImage(300, 100) });
    await page.getByText('The aspect ratio range should be 1:2 to 2:1.').first().waitFor();
    await page.getByLabel('promptText').fill('a slow zoom');
    await page.getByRole('button', { name: 'Run' }).click();
    await page.getByText('nothing was sent').waitFor();
    assert.deepEqual(uploads, []);
    // The server says the same of the same file (the message is the catalog's, not the console's).
    const client = api(rig.server.url, rig.key);
    const answer = await client.submit(MODEL_IDS.runway, { promptText: 'x', promptImage: `data:image/png;base64,${(await makeImage(300, 100)).toString('base64')}` });
    assert.equal(answer.status, 422);
    assert.match(JSON.stringify(answer.json), /The aspect ratio range should be 1:2 to 2:1\./);
  });

  test('a file dropped on the upload area is checked, uploaded and previewed like a chosen one; a video output plays in a player', async () => {
    const page = await rig.signedIn();
    await page.goto(rig.server.url + '/' + modelHref(MODEL_IDS.runway));
    const png = (await makeImage(200, 150)).toString('base64');
    // A real DataTransfer holding a File, as a drag from the desktop delivers it.
    const dataTransfer = await page.evaluateHandle(`(() => {
      const bytes = Uint8Array.from(atob('${png}'), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
      return transfer;
    })()`);
    await page.locator('.drop-zone').dispatchEvent('dragover', { dataTransfer });
    await page.locator('.drop-zone').dispatchEvent('drop', { dataTransfer });
    await page.getByText('Uploaded dropped.png (image/png').waitFor();
    assert.equal(await page.locator('img.preview').evaluate((img: { naturalWidth: number }) => img.naturalWidth), 200);
    // Image to video: the output is shown in a player, with its download link.
    await page.getByLabel('promptText').fill('a slow zoom');
    await page.getByRole('button', { name: 'Run' }).click();
    await finishedRun(page);
    assert.match((await page.locator('.output video').getAttribute('src'))!, /\/v1\/blobs\/.+\.mp4$/);
    assert.equal(await page.locator('.output video').getAttribute('controls'), '');
    await page.getByRole('link', { name: /Download video/ }).waitFor();
  });

  test('"Copy as curl" is the exact request: run as it is, the server accepts it', async () => {
    const page = await rig.signedIn();
    await page.goto(rig.server.url + '/' + modelHref(MODEL_IDS.seedream));
    await page.getByLabel('prompt', { exact: true }).fill("it's a test");
    await page.getByRole('button', { name: 'Copy as curl' }).click();
    const command = (await page.getByLabel('curl command').textContent())!;
    assert.match(command, /^curl -X POST 'http:\/\/127\.0\.0\.1:\d+\/v1\/models\/bytedance\/seedream-5\/lite\/text-to-image'/);
    assert.match(command, /Authorization: Bearer \$MODELGATE_API_KEY/);
    assert.ok(!command.includes(rig.key), 'the key itself is never in the command');
    // The body, unquoted the way a shell would, is the JSON the Run button sends.
    const body = /-d '((?:[^']|'\\'')*)'$/.exec(command)![1]!.replace(/'\\''/g, "'");
    assert.deepEqual(JSON.parse(body), { prompt: "it's a test", resolution: '2304x1728 (4:3)', sequential_image_generation: 'disabled', max_images: 15, output_format: 'png', optimize_prompt_options: 'standard' });
    const answer = await api(rig.server.url, rig.key).submit(MODEL_IDS.seedream, JSON.parse(body));
    assert.equal(answer.status, 200, answer.text);
  });

  test('History lists the runs after a reload, filters by model and status, and opens one, failed ones with their error', async () => {
    assert.equal(runs.length, 2, 'the runs of the tests above');
    const page = await rig.signedIn();
    await page.getByRole('link', { name: 'History' }).click();
    await page.reload();
    await page.getByRole('heading', { name: 'History' }).waitFor();
    for (const id of runs) await page.locator('.history-item').filter({ hasText: id }).waitFor();
    await page.getByLabel('Model filter').selectOption(MODEL_IDS.reframe);
    // The list empties while the filtered page loads: wait for it, not for the other item to go.
    await page.locator('.history-item').filter({ hasText: runs[0]! }).waitFor({ state: 'detached' });
    await page.locator('.history-item').filter({ hasText: runs[1]! }).waitFor();
    assert.equal(await page.locator('.history-item').filter({ hasText: runs[0]! }).count(), 0);
    // The filters are in the URL: a reload keeps them.
    await page.reload();
    await page.locator('.history-item').filter({ hasText: runs[1]! }).waitFor();
    assert.equal(await page.locator('.history-item').filter({ hasText: runs[0]! }).count(), 0);
    await page.getByLabel('Status filter').selectOption('failed');
    await page.getByText('No requests match these filters.').waitFor();
    await page.getByLabel('Status filter').selectOption('succeeded');
    await page.locator('.history-item').filter({ hasText: runs[1]! }).click();
    assert.equal(await finishedRun(page), runs[1]);
    await page.locator('.output img').waitFor();
    await page.getByText('In queue').waitFor();
    // Its inputs, as the job runs with them: the uploaded image as a link, the chosen resolution.
    const inputs = page.getByLabel('inputs');
    await inputs.getByText('resolution', { exact: true }).waitFor();
    assert.ok((await inputs.locator('a').first().getAttribute('href'))!.startsWith(`${rig.server.url}/`), 'the uploaded image is linked');
    // A failed run: listed under "failed" with its error, which its run view shows too.
    const client = api(rig.server.url, rig.key);
    const failing = (await client.submit(MODEL_IDS.dreamina, { prompt: 'fail' })).json.request_id as string;
    await poll(() => client.result(failing), (answer) => answer.json.status === 'failed');
    await page.goto(`${rig.server.url}/#/history?status=failed`);
    const item = page.locator('.history-item').filter({ hasText: failing });
    await item.filter({ hasText: 'the test engine was asked to fail' }).waitFor();
    await item.click();
    await finishedRun(page, 'Failed');
    await page.getByText('test_failure: the test engine was asked to fail').waitFor();
    await page.getByLabel('inputs').getByText('fail', { exact: true }).waitFor();
  });

  test('at 360 px wide every screen fits without sideways scrolling', async () => {
    const page = await rig.signedIn({ width: 360, height: 740 });
    const fits = async (where: string) => {
      const [scroll, client] = (await page.evaluate('[document.documentElement.scrollWidth, document.documentElement.clientWidth]')) as [number, number];
      assert.ok(scroll <= client, `${where}: ${scroll} px of content in a ${client} px window`);
    };
    await fits('gallery');
    for (const id of Object.values(MODEL_IDS)) {
      await page.goto(rig.server.url + '/' + modelHref(id));
      await page.getByRole('button', { name: 'Run' }).waitFor();
      await fits(id);
      // The curl command is one long line: it scrolls in its own box, not the page.
      await page.getByRole('button', { name: 'Copy as curl' }).click();
      await page.getByLabel('curl command').waitFor();
      await fits(`${id} with its curl command`);
    }
    await page.goto(`${rig.server.url}/#/requests/${runs[0]}`);
    await finishedRun(page);
    await fits('run view');
    await page.getByRole('link', { name: 'History' }).click();
    await page.locator('.history-item').first().waitFor();
    await fits('history');
  });
});
