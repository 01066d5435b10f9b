/**
 * The ComfyUI double itself, checked against the protocol it claims to follow
 * (../shared/research/selfhosted-anchors.md §3), with a plain websocket client and fetch: if the
 * double drifted from ComfyUI, the engine tests against it would prove nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { ComfyUIDouble } from '../support/comfyui-double.ts';
import { waitFor } from '../support/harness.ts';

type Message = { type: string; data: Record<string, any> };

const GRAPH = {
  '5': { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 48, batch_size: 1 } },
  '3': { class_type: 'KSampler', inputs: { model: ['4', 0], seed: 1, steps: 3, cfg: 1, sampler_name: 'euler', scheduler: 'simple', positive: ['6', 0], negative: ['6', 0], latent_image: ['5', 0], denoise: 1 } },
  '4': { class_type: 'UNETLoader', inputs: { unet_name: 'flux1-schnell.safetensors', weight_dtype: 'default' } },
  '6': { class_type: 'CLIPTextEncode', inputs: { text: 'x', clip: ['4', 0] } },
  '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 0] } },
  '9': { class_type: 'SaveImage', inputs: { filename_prefix: 'T', images: ['8', 0] } },
};

describe('ComfyUI double: the documented protocol', () => {
  let comfy: ComfyUIDouble;
  let socket: WebSocket;
  const received: Message[] = [];
  const clientId = 'client-a';
  const post = (path: string, body: unknown) => fetch(`${comfy.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const get = async (path: string) => (await fetch(`${comfy.url}${path}`)).json() as Promise<any>;

  before(async () => {
    comfy = await ComfyUIDouble.start({ historyLagMs: 200 });
    socket = new WebSocket(`${comfy.url.replace('http', 'ws')}/ws?clientId=${clientId}`);
    socket.on('message', (data, binary) => { if (!binary) received.push(JSON.parse(String(data)) as Message); });
    await waitFor(() => received.length, (n) => n >= 1, 10_000);
  });
  after(async () => {
    socket.terminate();
    await comfy.close();
  });

  test('connect: the first message is status with our sid', () => {
    assert.deepEqual(received[0], { type: 'status', data: { status: { exec_info: { queue_remaining: 0 } }, sid: clientId } });
  });

  test('one prompt: events in §3.9 order, history only after the terminal event, executing{node:null} last', async () => {
    received.length = 0;
    const promptId = '0b6f2a56-8a8f-4a53-9d36-1c9c6f8f0a11';
    const res = await post('/prompt', { prompt: GRAPH, client_id: clientId, prompt_id: promptId });
    assert.deepEqual(await res.json(), { prompt_id: promptId, number: 0, node_errors: {} });
    let historyWhenSuccess: unknown;
    await waitFor(async () => {
      if (historyWhenSuccess === undefined && received.some((m) => m.type === 'execution_success')) historyWhenSuccess = await get(`/history/${promptId}`);
      return received.some((m) => m.type === 'executing' && m.data.node === null);
    }, Boolean, 10_000, 5);
    assert.deepEqual(historyWhenSuccess, {}, 'history lags execution_success');
    const types = received.filter((m) => m.type !== 'progress_state').map((m) => (m.type === 'executing' ? `executing:${m.data.node}` : m.type));
    assert.deepEqual(types, [
      'status', 'status', 'execution_start', 'execution_cached',
      'executing:4', 'executing:6', 'executing:5', 'executing:3', 'progress', 'progress', 'progress', 'executing:8', 'executing:9', 'executed',
      'execution_success', 'status', 'executing:null',
    ]);
    assert.deepEqual(received.find((m) => m.type === 'progress')!.data, { value: 1, max: 3, prompt_id: promptId, node: '3' });
    const entry = (await get(`/history/${promptId}`))[promptId];
    assert.equal(entry.status.status_str, 'success');
    assert.deepEqual(entry.status.messages.map((m: [string]) => m[0]), ['execution_start', 'execution_cached', 'execution_success']);
    const [file] = entry.outputs['9'].images;
    assert.deepEqual(Object.keys(file).sort(), ['filename', 'subfolder', 'type']);
    const view = await fetch(`${comfy.url}/view?${new URLSearchParams(file)}`);
    assert.equal(view.headers.get('content-type'), 'image/png');
    assert.equal((await fetch(`${comfy.url}/view?filename=../x.png`)).status, 400);
    assert.equal((await fetch(`${comfy.url}/view?filename=x.png&subfolder=../up`)).status, 403);
    assert.equal((await fetch(`${comfy.url}/view?filename=nothing.png`)).status, 404);
  });

  test('node_errors: 400 when no output validates, 200 with node_errors when one of two does', async () => {
    const bad = structuredClone(GRAPH) as any;
    bad['4'].inputs.unet_name = 'missing.safetensors';
    const refused = await post('/prompt', { prompt: bad, client_id: clientId });
    assert.equal(refused.status, 400);
    const body = await refused.json() as any;
    assert.equal(body.error.type, 'prompt_outputs_failed_validation');
    assert.deepEqual(Object.keys(body.node_errors), ['4']);
    assert.equal(body.node_errors['4'].errors[0].type, 'value_not_in_list');
    assert.deepEqual(body.node_errors['4'].dependent_outputs, ['9']);

    const partial = { ...structuredClone(GRAPH), '20': { class_type: 'EmptyLatentImage', inputs: { width: 8, height: 48, batch_size: 1 } }, '21': { class_type: 'VAEDecode', inputs: { samples: ['20', 0], vae: ['4', 0] } }, '22': { class_type: 'SaveImage', inputs: { filename_prefix: 'U', images: ['21', 0] } } };
    const accepted = await post('/prompt', { prompt: partial, client_id: clientId });
    assert.equal(accepted.status, 200);
    const ok = await accepted.json() as any;
    assert.equal(ok.node_errors['20'].errors[0].type, 'value_smaller_than_min');
    assert.equal((await post('/prompt', { prompt: { '1': { class_type: 'Nope', inputs: {} } } })).status, 400);
    assert.equal(((await (await post('/prompt', {})).json()) as any).error.type, 'no_prompt');
    assert.equal(((await (await post('/prompt', { prompt: { '4': GRAPH['4'] } })).json()) as any).error.type, 'prompt_no_outputs');
    await waitFor(() => comfy.running ?? comfy.pendingIds.length, (v) => v === 0, 10_000);
  });

  test('interrupt is targeted (a pending prompt is untouched); a queue delete leaves no trace', async () => {
    comfy.hold();
    const [runningId, pendingId] = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222'];
    await post('/prompt', { prompt: GRAPH, client_id: clientId, prompt_id: runningId });
    await post('/prompt', { prompt: GRAPH, client_id: clientId, prompt_id: pendingId });
    await waitFor(() => comfy.running, (r) => r === runningId, 10_000);
    await post('/interrupt', { prompt_id: pendingId });
    assert.deepEqual((await get('/queue')).queue_pending.map((item: unknown[]) => item[1]), [pendingId], 'interrupting a pending prompt does nothing');
    await post('/queue', { delete: [pendingId] });
    assert.deepEqual((await get('/queue')).queue_pending, []);
    received.length = 0;
    await post('/interrupt', { prompt_id: runningId });
    await waitFor(async () => (await get(`/history/${runningId}`))[runningId], Boolean, 10_000);
    const entry = (await get(`/history/${runningId}`))[runningId];
    assert.equal(entry.status.status_str, 'error');
    assert.equal(entry.status.messages.at(-1)[0], 'execution_interrupted');
    assert.deepEqual(await get(`/history/${pendingId}`), {}, 'the deleted prompt never gets history');
    comfy.release();
  });

  test('upload: a clash gets " (1)" unless the bytes are identical or overwrite is set', async () => {
    const upload = async (bytes: string, overwrite = false) => {
      const form = new FormData();
      form.set('image', new Blob([bytes]), 'same.png');
      if (overwrite) form.set('overwrite', 'true');
      return (await (await fetch(`${comfy.url}/upload/image`, { method: 'POST', body: form })).json()) as any;
    };
    assert.deepEqual(await upload('a'), { name: 'same.png', subfolder: '', type: 'input' });
    assert.equal((await upload('a')).name, 'same.png');
    assert.equal((await upload('b')).name, 'same (1).png');
    assert.equal((await upload('c', true)).name, 'same.png');
  });

  test('reconnecting with the same clientId replaces the socket; the origin check refuses a foreign Origin', async () => {
    const second = new WebSocket(`${comfy.url.replace('http', 'ws')}/ws?clientId=${clientId}`);
    await new Promise((resolve) => second.once('open', resolve));
    await waitFor(() => socket.readyState, (state) => state === WebSocket.CLOSED, 10_000);
    second.terminate();
    const foreign = await fetch(`${comfy.url}/system_stats`, { headers: { origin: 'http://evil.example' } });
    assert.equal(foreign.status, 403);
  });
});
