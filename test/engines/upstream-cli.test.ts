/**
 * The upstream engine between two real `modelgate serve` processes on loopback: the upstream
 * routes the four models to the test engine, the front routes them to an `upstream` engine whose
 * token comes from an environment variable of the front process. The seed requests complete
 * through the front, their outputs are served by the front and still download after the upstream
 * process is gone, and the front's own log output (debug level) never shows the token.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { MODEL_IDS as MODELS, SMALL_PNG_DATA_URI } from '../support/models.ts';
import { api, type Install, poll, Processes, type Server } from '../support/processes.ts';

const SEED_REQUESTS = [
  { model: MODELS.reframe, body: { image: SMALL_PNG_DATA_URI, resolution: '1152:864 (4:3)' }, kind: 'image' },
  { model: MODELS.dreamina, body: { prompt: 'A beautiful girl is walking on the street' }, kind: 'image' },
  { model: MODELS.seedream, body: { prompt: 'A vibrant close-up editorial portrait featuring a model with a sharp, piercing gaze, wearing a sculptural hat.' }, kind: 'image' },
  { model: MODELS.runway, body: { promptText: 'a slow pan', promptImage: SMALL_PNG_DATA_URI }, kind: 'video' },
] as const;

describe('upstream engine between two modelgate serve processes', () => {
  const procs = new Processes();
  let upstreamInstall: Install;
  let upstream: Server;
  let front: Server;
  let peerKey: string;

  before(async () => {
    upstreamInstall = procs.install();
    upstream = await procs.serve(upstreamInstall, {}, 'serve (upstream)');
    peerKey = upstream.apiKey!;
    const frontInstall = procs.install();
    writeFileSync(frontInstall.configFile, JSON.stringify({
      engines: { peer: { type: 'upstream', base_url: upstream.url, token_env: 'PEER_MODELGATE_KEY', poll_min_ms: 100, poll_max_ms: 500 } },
      models: Object.fromEntries(Object.values(MODELS).map((id) => [id, { engine: 'peer' }])),
    }));
    front = await procs.serve(frontInstall, { PEER_MODELGATE_KEY: peerKey, MODELGATE_LOG_LEVEL: 'debug' }, 'serve (front)');
  });
  after(() => procs.cleanup());

  test('the seed requests run upstream once each and are served by the front, after the upstream is gone too', async () => {
    const client = api(front.url, front.apiKey);
    const health = await api(front.url).get('/healthz');
    assert.ok(JSON.stringify(health.json).includes('"peer"'), health.text);
    const jobs = await Promise.all(SEED_REQUESTS.map(async (seed) => {
      const res = await client.submit(seed.model, seed.body);
      assert.equal(res.status, 200, res.text);
      return { ...seed, id: res.json.request_id as string };
    }));
    const urls: Array<{ kind: string; url: string }> = [];
    for (const job of jobs) {
      await poll(async () => (await client.status(job.id)).json.status as string, (s) => s === 'completed', 60_000, 50);
      const result = await client.result(job.id);
      assert.equal(result.json.status, 'succeeded', result.text);
      const url: string = result.json.output[job.kind];
      assert.ok(url.startsWith(`${front.url}/`), url);
      urls.push({ kind: job.kind, url });
    }
    const runs = upstreamInstall.executions();
    assert.equal(runs.size, 4, JSON.stringify([...runs]));
    for (const attempts of runs.values()) assert.deepEqual(attempts, [1]);

    const stopped = await upstream.kill('SIGTERM');
    assert.equal(stopped.code, 0, upstream.describe());
    for (const { kind, url } of urls) {
      const file = await fetch(url);
      assert.equal(file.status, 200, url);
      assert.equal(file.headers.get('content-type'), kind === 'image' ? 'image/png' : 'video/mp4');
      assert.ok((await file.arrayBuffer()).byteLength > 0);
    }

    const logs = front.stdout + front.stderr;
    assert.match(logs, /submitted to the upstream/);
    assert.match(logs, /"token_env":"PEER_MODELGATE_KEY"/);
    assert.ok(!logs.includes(peerKey), 'the token never reaches the front\'s log output');
  });
});
