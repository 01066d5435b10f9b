/**
 * The comfyui engine through the real API against the ComfyUI test double (real HTTP and
 * websocket on 127.0.0.1): the four seed requests complete with outputs served by our own URLs
 * (still there after the ComfyUI box is gone) at exactly the requested sizes and lengths;
 * progress shows on the status route while a prompt runs; a prompt ComfyUI refuses
 * (node_errors) and one that fails while running (execution_error) become failed jobs with the
 * nodes' messages.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { ComfyUIDouble } from '../support/comfyui-double.ts';
import { INSTALLED_MODEL_FILES, readFakeVideo } from '../support/comfyui-nodes.ts';
import { MODELS, waitFor } from '../support/harness.ts';
import { comfyHarness, download, finished, SEED_REQUESTS, status, submit, WAIT_MS, type ComfyHarness } from './comfyui-helpers.ts';

describe('comfyui engine: the seed requests, progress and failures through the API', () => {
  let double: ComfyUIDouble;
  let h: ComfyHarness;
  before(async () => {
    double = await ComfyUIDouble.start();
    h = await comfyHarness([double.url]);
    h.startWorkers(2);
  });
  after(async () => {
    await h.close();
    await double.close();
    h.removeConfig();
  });

  test('the four seed requests complete; outputs are ours, exactly sized, and outlive the ComfyUI server', async () => {
    const ids = await Promise.all(SEED_REQUESTS.map((seed) => submit(h, seed.model, seed.body)));
    const results = await Promise.all(ids.map((id) => finished(h, id)));
    for (const [index, r] of results.entries()) assert.equal(r.status, 'succeeded', `${SEED_REQUESTS[index]!.model}: ${JSON.stringify(r)}`);
    const [reframe, dreamina, seedream, runway] = results as Array<Record<string, any>>;

    const sizes: Array<[Record<string, any>, number, number]> = [[reframe!, 1152, 864], [dreamina!, 2048, 2048], [seedream!, 2304, 1728]];
    const files = [];
    for (const [r, width, height] of sizes) {
      const file = await download(h, r.output.image);
      assert.equal(file.contentType, 'image/png');
      const meta = await sharp(file.bytes).metadata();
      assert.deepEqual([meta.width, meta.height], [width, height]);
      files.push(file);
    }
    const video = await download(h, runway!.output.video);
    assert.equal(video.contentType, 'video/mp4');
    assert.deepEqual(readFakeVideo(video.bytes), { width: 1280, height: 768, frames: 120, fps: 24, codec: 'h264' }, '5 s at 24 fps, 1280:768');

    // What ComfyUI was asked: our client_id, our own prompt_ids, the upload's name in LoadImage.
    assert.equal(double.accepted.length, 4);
    const reframePrompt = double.accepted.find((p) => p.prompt['3']?.class_type === 'ImagePadForOutpaint')!.prompt;
    assert.deepEqual(['left', 'top', 'right', 'bottom'].map((k) => reframePrompt['3']!.inputs![k]), [144, 0, 144, 0], '16×16 fitted to 864×864, centred in 1152×864');
    assert.match(String(reframePrompt['1']!.inputs!.image), /^modelgate-[0-9a-f-]+-1-image\.png$/);
    assert.ok(double.uploads.has(String(reframePrompt['1']!.inputs!.image)));
    for (const prompt of double.accepted) assert.match(prompt.promptId, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

    await double.kill();
    const again = await download(h, dreamina!.output.image);
    assert.ok(again.bytes.equals(files[1]!.bytes), 'the output is still served after the ComfyUI server died');
    double = await ComfyUIDouble.start();
  });
});

describe('comfyui engine: progress and failures', () => {
  let double: ComfyUIDouble;
  let h: ComfyHarness;
  before(async () => {
    double = await ComfyUIDouble.start({ modelFiles: INSTALLED_MODEL_FILES.filter((f) => f !== 'flux1-fill-dev.safetensors') });
    h = await comfyHarness([double.url]);
    h.startWorkers(1);
  });
  after(async () => {
    await h.close();
    await double.close();
    h.removeConfig();
  });

  test('progress from the websocket shows on the status route while the prompt runs', async () => {
    double.hold();
    const id = await submit(h, MODELS.runway, { promptText: 'waves', promptImage: SEED_REQUESTS[3].body.promptImage, duration: 10, ratio: '768:1280' });
    const running = await waitFor(() => status(h, id), (s) => s.status === 'in_progress' && typeof s.progress === 'number' && s.progress > 0, WAIT_MS, 25);
    assert.ok((running.progress as number) < 1, `progress ${String(running.progress)} while held`);
    double.release();
    const r = await finished(h, id);
    assert.equal(r.status, 'succeeded', JSON.stringify(r));
    assert.deepEqual(readFakeVideo((await download(h, r.output.video)).bytes), { width: 768, height: 1280, frames: 240, fps: 24, codec: 'h264' });
  });

  test('a prompt ComfyUI refuses (node_errors) fails the job with invalid_workflow and the node\'s message', async () => {
    const id = await submit(h, MODELS.reframe, { image: SEED_REQUESTS[0].body.image, resolution: '1024:1024 (1:1)' });
    const r = await finished(h, id);
    assert.equal(r.status, 'failed');
    assert.equal(r.error.type, 'invalid_workflow');
    assert.match(r.error.message, /Prompt outputs failed validation \[prompt_outputs_failed_validation\]/);
    assert.match(r.error.message, /node 4 \(UNETLoader\): Value not in list: unet_name: 'flux1-fill-dev\.safetensors' not in/);
  });

  test('an execution_error fails the job with the node, the exception and its message', async () => {
    double.failNode('VAEDecode', 'CUDA error: an illegal memory access was encountered');
    const id = await submit(h, MODELS.dreamina, { prompt: 'a cat' });
    const r = await finished(h, id);
    assert.equal(r.status, 'failed');
    assert.equal(r.error.type, 'comfyui_execution_error');
    assert.equal(r.error.message, 'ComfyUI failed in node 8 (VAEDecode): RuntimeError: CUDA error: an illegal memory access was encountered');
  });

  test('a GPU out of memory is the server\'s state, not the job\'s: the job is retried and succeeds', async () => {
    double.failNode('KSampler', 'CUDA out of memory. Tried to allocate 2.00 GiB', 'torch.OutOfMemoryError');
    const id = await submit(h, MODELS.runway, { promptText: 'a train', promptImage: SEED_REQUESTS[3].body.promptImage });
    const r = await finished(h, id);
    assert.equal(r.status, 'succeeded', JSON.stringify(r));
    const job = await h.ctx.store.getJob(id, h.keyId);
    assert.deepEqual([job?.attempt, job?.lostLeases], [2, 1]);
  });
});

describe('comfyui engine: a configuration mistake', () => {
  let h: ComfyHarness;
  before(async () => {
    h = await comfyHarness([], { poll_interval: 100 });
    h.startWorkers(1);
  });
  after(async () => {
    await h.close();
    h.removeConfig();
  });

  test('jobs fail with engine_unavailable naming the option, and the rest of the server runs', async () => {
    const r = await finished(h, await submit(h, MODELS.dreamina, { prompt: 'a cat' }));
    assert.equal(r.status, 'failed');
    assert.equal(r.error.type, 'engine_unavailable');
    assert.match(r.error.message, /engine "gpu" failed to start: unknown option\(s\) poll_interval \(known: servers, workflows, /);
  });
});

describe('comfyui engine: a server behind a path prefix', () => {
  let double: ComfyUIDouble;
  let h: ComfyHarness;
  before(async () => {
    double = await ComfyUIDouble.start();
    // ComfyUI mounts every route under /api as well; a reverse proxy prefix looks the same.
    h = await comfyHarness([`${double.url}/api`], { reconcile_interval_ms: 600_000 });
    h.startWorkers(1);
  });
  after(async () => {
    await h.close();
    await double.close();
    h.removeConfig();
  });

  test('HTTP and the websocket both keep the prefix', async () => {
    const r = await finished(h, await submit(h, MODELS.seedream, { prompt: 'a boat', sequential_image_generation: 'auto', max_images: 2, output_format: 'jpeg' }));
    assert.equal(r.status, 'succeeded', JSON.stringify(r));
    assert.equal(r.output.images.length, 2);
    for (const url of r.output.images as string[]) {
      const file = await download(h, url);
      assert.equal(file.contentType, 'image/jpeg');
      assert.deepEqual(await sharp(file.bytes).metadata().then((m) => [m.width, m.height, m.format]), [2304, 1728, 'jpeg']);
    }
    assert.ok(double.paths.includes('/api/ws') && double.paths.includes('/api/prompt'));
    assert.deepEqual(double.paths.filter((path) => !path.startsWith('/api/')), [], 'every call kept the prefix');
  });
});
