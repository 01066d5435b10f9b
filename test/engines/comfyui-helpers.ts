/**
 * Shared by the comfyui engine tests: a harness whose MODELGATE_CONFIG routes all four catalog
 * models to a real `comfyui` engine pointing at ComfyUI test doubles on loopback, with short
 * intervals so failures are noticed in test time, and submit/poll helpers over the real API.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHarness, MODELS, tempDir, waitFor, type Harness } from '../support/harness.ts';
import { SMALL_PNG_DATA_URI } from '../support/models.ts';

export const SEEDREAM_PROMPT =
  'A vibrant close-up editorial portrait featuring a model with a sharp, piercing gaze, wearing a sculptural hat. Rich color blocking, crisp focus on the eyes, and a shallow depth of field create a striking visual impact. Styled with a Vogue cover aesthetic, captured in medium format, with bold and dramatic studio lighting.';

/** The seed requests of the catalog pages (images as small data: URIs). */
export const SEED_REQUESTS = [
  { model: MODELS.reframe, body: { image: SMALL_PNG_DATA_URI, resolution: '1152:864 (4:3)' } },
  { model: MODELS.dreamina, body: { prompt: 'A beautiful girl is walking on the street' } },
  { model: MODELS.seedream, body: { prompt: SEEDREAM_PROMPT } },
  { model: MODELS.runway, body: { promptText: 'a slow pan', promptImage: SMALL_PNG_DATA_URI } },
] as const;

export interface ComfyHarness extends Harness {
  removeConfig(): void;
}

/** Generous for a loaded 2-core machine; every wait is on a condition, never a fixed sleep. */
export const WAIT_MS = 60_000;

export async function comfyHarness(servers: string[], engineOptions: Record<string, unknown> = {}, env: Record<string, string> = {}): Promise<ComfyHarness> {
  const dir = tempDir('modelgate-comfy-config-');
  const configFile = join(dir.path, 'modelgate.json');
  writeFileSync(configFile, JSON.stringify({
    engines: {
      gpu: {
        type: 'comfyui',
        servers,
        poll_interval_ms: 100,
        reconcile_interval_ms: 2_000,
        health_interval_ms: 250,
        server_lost_ms: 1_500,
        request_timeout_ms: 10_000,
        unavailable_wait_ms: 20_000,
        ...engineOptions,
      },
    },
    models: Object.fromEntries(Object.values(MODELS).map((model) => [model, { engine: 'gpu' }])),
  }));
  const h = await createHarness({ env: { MODELGATE_CONFIG: configFile, ...env } });
  return Object.assign(h, { removeConfig: () => dir.remove() });
}

export async function submit(h: Harness, model: string, body: unknown): Promise<string> {
  const res = await h.app.inject({ method: 'POST', url: `/v1/models/${model}`, headers: { ...h.auth, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().request_id as string;
}

export async function status(h: Harness, id: string): Promise<Record<string, unknown>> {
  return (await h.app.inject({ method: 'GET', url: `/v1/requests/${id}/status`, headers: h.auth })).json();
}

export async function result(h: Harness, id: string): Promise<Record<string, any>> {
  return (await h.app.inject({ method: 'GET', url: `/v1/requests/${id}/result`, headers: h.auth })).json();
}

export function finished(h: Harness, id: string, timeoutMs = WAIT_MS): Promise<Record<string, any>> {
  return waitFor(() => result(h, id), (r) => r.status === 'succeeded' || r.status === 'failed' || r.status === 'cancelled', timeoutMs, 25);
}

/** GETs one of our output URLs through the app (the URL must be ours, not the ComfyUI box's). */
export async function download(h: Harness, url: string): Promise<{ contentType: string; bytes: Buffer }> {
  assert.ok(url.startsWith(h.ctx.config.publicUrl), `${url} is served by ModelGate`);
  const res = await h.app.inject({ method: 'GET', url: new URL(url).pathname });
  assert.equal(res.statusCode, 200);
  return { contentType: String(res.headers['content-type']), bytes: res.rawPayload };
}
