/**
 * Issue 13 item 2, "machines simulated as processes": an API-only `serve` and two `worker`
 * processes, each on a data folder of its own, sharing nothing but a PostgreSQL cluster and an
 * S3 bucket (s3rver in this process) — the topology of several machines. The test engine echoes
 * file inputs back as outputs, so an output downloaded byte-exact from the API proves that a
 * worker on another "machine" read the upload (or the `data:` URI stored as one) from the bucket.
 *
 * In order, on one fleet:
 *   1. every model runs: reframe on a POST /v1/files upload, image-to-video on a `data:` URI,
 *      both text-to-image models; outputs download whole and by Range; nothing lands on the
 *      processes' own disks.
 *   2. a worker killed with SIGKILL mid-job is replaced by a new worker process on a fresh data
 *      folder, which re-runs the job (attempt 2) from the bucket's copy of its input.
 *   3. the private cluster restarted (`pg_ctl restart -m fast`) while jobs run and submits arrive:
 *      every acknowledged job ends `succeeded`, and no process dies.
 *   4. reframe and image-to-video on the real builtin engines (the workers restarted on a config
 *      routing them there), with small inputs.
 * The cluster is private (test/support/private-postgres.ts) because the test restarts it.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeImage, dataUri } from '../support/media.ts';
import { MODEL_IDS as MODELS } from '../support/models.ts';
import { PrivateCluster, privateClusterUnavailable } from '../support/private-postgres.ts';
import { api, type Child, freePort, type Install, poll, Processes, type Server } from '../support/processes.ts';
import { startS3Bucket, type S3Bucket } from '../support/s3-bucket.ts';
import { VIDEO_MARK } from '../support/test-engine.ts';

const LEASE_MS = 1500;
const SWEEP_MS = 300;
const POLL_MS = 100;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Client = ReturnType<typeof api>;

/** POST /v1/files with one file part; the answer's JSON. */
async function upload(server: Server, key: string, bytes: Buffer, name: string): Promise<{ file_id: string; url: string; sha256: string }> {
  const form = new FormData();
  form.append('file', new Blob([bytes]), name);
  const res = await fetch(`${server.url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text) as { file_id: string; url: string; sha256: string };
}

async function download(url: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string | null; range: string | null; bytes: Buffer }> {
  const res = await fetch(url, { headers });
  return { status: res.status, type: res.headers.get('content-type'), range: res.headers.get('content-range'), bytes: Buffer.from(await res.arrayBuffer()) };
}

async function waitTerminal(client: Client, id: string, timeoutMs = 20_000): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  await poll(async () => (await client.status(id)).json?.status as string | undefined, (s) => s === 'completed' || s === 'cancelled', timeoutMs, 100);
  const result = await client.result(id);
  assert.equal(result.status, 200, result.text);
  return result.json;
}

/** Files under a process's data folder that hold blobs: with the bucket configured there must be none. */
function localBlobs(install: Install): string[] {
  const root = join(install.dataDir, 'blobs');
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

const unavailable = privateClusterUnavailable();

describe('scale-out: serve + two workers on their own data folders, sharing only PostgreSQL and a bucket', { skip: unavailable ? `skipped: ${unavailable}` : false }, () => {
  const procs = new Processes();
  let bucket: S3Bucket;
  let cluster: PrivateCluster;
  /** The API's install; its config file (and so the test engine's execution log) is the one every process uses. */
  let apiInstall: Install;
  let shared: Record<string, string>;
  let server: Server;
  let key: string;
  let client: Client;
  const installs: Install[] = [];
  let workers: Child[] = [];
  let workerSeq = 0;

  /** A worker process on a new install (its own data folder) sharing the API's config file. */
  const startWorker = async (slots = 2): Promise<Child> => {
    const install = procs.install(shared);
    install.env.MODELGATE_CONFIG = apiInstall.configFile;
    installs.push(install);
    const n = ++workerSeq;
    return procs.worker(install, { MODELGATE_WORKERS: String(slots) }, `worker ${n} (${install.dataDir})`);
  };

  before(async () => {
    const port = await freePort();
    cluster = new PrivateCluster(await freePort());
    [bucket] = await Promise.all([startS3Bucket(), cluster.init().then(() => cluster.start())]);
    shared = {
      ...bucket.env,
      MODELGATE_DATABASE_URL: cluster.url,
      // Every process must agree on the public URL: it is how a worker tells the server's upload URLs from URLs to fetch.
      MODELGATE_PUBLIC_URL: `http://127.0.0.1:${port}`,
      MODELGATE_LEASE_MS: String(LEASE_MS),
      MODELGATE_SWEEP_INTERVAL_MS: String(SWEEP_MS),
      MODELGATE_POLL_INTERVAL_MS: String(POLL_MS),
      // Storage faults during the restart spend attempts like lost workers do; leave room for them.
      MODELGATE_MAX_ATTEMPTS: '10',
      MODELGATE_SHUTDOWN_GRACE_MS: '2000',
      MODELGATE_LOG_LEVEL: 'warn',
    };
    apiInstall = procs.install(shared);
    installs.push(apiInstall);
    // Started together, as machines boot: their migrations queue on PostgreSQL's advisory lock.
    [server, ...workers] = await Promise.all([
      procs.serve(apiInstall, { MODELGATE_WORKERS: '0', PORT: String(port) }, 'serve (API only)'),
      startWorker(),
      startWorker(),
    ]);
    assert.ok(server.apiKey, `the first serve on an empty database prints a key\n${server.describe()}`);
    key = server.apiKey;
    client = api(server.url, key);
  });

  after(async () => {
    await procs.cleanup();
    cluster?.destroy();
    await bucket?.close();
  });

  test('every model runs on the workers; inputs come from the bucket, outputs download from the API (whole and by Range)', async () => {
    const photo = await makeImage(40, 30, 'png', true);
    const still = await makeImage(24, 24, 'jpeg', true);
    const uploaded = await upload(server, key, photo, 'photo.png');
    const jobs = [
      { model: MODELS.reframe, body: { image: uploaded.url, resolution: '1152:864 (4:3)' }, kind: 'image', expect: photo, type: 'image/png' },
      { model: MODELS.runway, body: { promptText: 'a slow pan', promptImage: dataUri(still, 'image/jpeg') }, kind: 'video', expect: Buffer.concat([VIDEO_MARK, still]), type: 'video/mp4' },
      { model: MODELS.dreamina, body: { prompt: 'a red fox' }, kind: 'image', expect: undefined, type: 'image/png' },
      { model: MODELS.seedream, body: { prompt: 'a blue heron' }, kind: 'image', expect: undefined, type: 'image/png' },
    ] as const;
    const ids = await Promise.all(jobs.map(async (job) => {
      const res = await client.submit(job.model, job.body);
      assert.equal(res.status, 200, `${job.model}: ${res.text}`);
      return res.json.request_id as string;
    }));
    for (const [i, job] of jobs.entries()) {
      const result = await waitTerminal(client, ids[i]!);
      assert.equal(result.status, 'succeeded', `${job.model}: ${JSON.stringify(result)}`);
      const url: string = result.output[job.kind];
      const whole = await download(url);
      assert.equal(whole.status, 200, `${job.model} ${url}`);
      assert.equal(whole.type, job.type);
      if (job.expect) assert.ok(whole.bytes.equals(job.expect), `${job.model}: the output is the input's bytes, read by a worker from the bucket`);
      else assert.equal(whole.bytes.subarray(1, 4).toString(), 'PNG');
      const part = await download(url, { range: 'bytes=3-10' });
      assert.equal(part.status, 206, `${job.model}: Range on ${url}`);
      assert.equal(part.range, `bytes 3-10/${whole.bytes.length}`);
      assert.ok(part.bytes.equals(whole.bytes.subarray(3, 11)));
    }
    const runs = apiInstall.executions();
    for (const id of ids) assert.deepEqual(runs.get(id), [1], `job ${id} ran once`);
    // Shared nothing but PostgreSQL and the bucket: the upload and every output are objects there, and no process kept a copy.
    const keys = bucket.keys();
    assert.ok(keys.some((k) => k.includes(uploaded.file_id)), `the upload is in the bucket: ${keys.join(' ')}`);
    for (const id of ids) assert.ok(keys.some((k) => k.includes(`outputs/${id}/`)), `outputs of ${id} are in the bucket: ${keys.join(' ')}`);
    for (const install of installs) assert.deepEqual(localBlobs(install), [], `blobs on ${install.dataDir}`);
  });

  test('a worker killed with SIGKILL mid-job is replaced by a new worker on a fresh data folder; the job completes', async () => {
    const [doomed, bystander] = workers as [Child, Child];
    // Frozen so that only the worker about to die can claim the job, and only its replacement re-runs it.
    bystander.process.kill('SIGSTOP');
    try {
      const photo = await makeImage(32, 20, 'png', true);
      const uploaded = await upload(server, key, photo, 'kill.png');
      // image-to-video: it has both a prompt (to steer the test engine) and a file input.
      const sub = await client.submit(MODELS.runway, { promptText: 'sleep=2500 pan', promptImage: uploaded.url });
      assert.equal(sub.status, 200, sub.text);
      const id = sub.json.request_id as string;
      await poll(async () => apiInstall.executions().get(id) ?? [], (runs) => runs.length === 1, 20_000, 50);
      const killedAt = Date.now();
      doomed.process.kill('SIGKILL');
      assert.equal((await doomed.exited).signal, 'SIGKILL');
      const replacement = await startWorker(1);
      const result = await waitTerminal(client, id, 30_000);
      assert.equal(result.status, 'succeeded', JSON.stringify(result));
      assert.deepEqual(apiInstall.executions().get(id), [1, 2], 'attempt 1 on the killed worker, attempt 2 on its replacement');
      const video = await download(result.output.video);
      assert.equal(video.status, 200);
      assert.ok(video.bytes.equals(Buffer.concat([VIDEO_MARK, photo])), 'the replacement read the upload from the bucket');
      console.log(`# SIGKILL to completed on the replacement: ${Date.now() - killedAt} ms (lease ${LEASE_MS} + sweep ${SWEEP_MS} + a worker start + the 2.5 s run)`);
      workers = [bystander, replacement];
    } finally {
      bystander.process.kill('SIGCONT');
    }
  });

  test('a PostgreSQL restart while jobs run and submits arrive loses nothing: every acknowledged job succeeds', async () => {
    const still = await makeImage(20, 20, 'png', true);
    const acked = new Map<string, Buffer | undefined>();
    const refused = new Map<string, number>();
    let ackedAfterRestart = 0;
    let restarted = false;
    const submitOne = async (n: number): Promise<void> => {
      // Every fourth job carries a data: URI: the submit stores it in the bucket, the worker reads it back.
      const withFile = n % 4 === 0;
      const [model, body] = withFile
        ? [MODELS.runway, { promptText: `sleep=300 job ${n}`, promptImage: dataUri(still) }]
        : [MODELS.dreamina, { prompt: `sleep=300 job ${n}` }];
      try {
        const res = await client.submit(model, body);
        if (res.status === 200) {
          acked.set(res.json.request_id as string, withFile ? Buffer.concat([VIDEO_MARK, still]) : undefined);
          if (restarted) ackedAfterRestart++;
        } else {
          const why = `HTTP ${res.status} ${String(res.json?.error_code ?? '')}`;
          refused.set(why, (refused.get(why) ?? 0) + 1);
        }
      } catch (error) {
        refused.set((error as Error).message, (refused.get((error as Error).message) ?? 0) + 1);
      }
    };
    // 36 submits from 3 loops over about 6 s; the restart lands in the middle of them; then 4 more.
    let next = 0;
    const t0 = Date.now();
    const submitting = Promise.all([0, 1, 2].map(async () => {
      while (next < 36) {
        const n = next++;
        await sleep(Math.max(0, t0 + n * 170 - Date.now()));
        await submitOne(n);
      }
    }));
    await poll(async () => acked.size, (n) => n >= 10, 20_000, 50);
    const restartStarted = Date.now();
    await cluster.restartFast();
    restarted = true;
    const restartMs = Date.now() - restartStarted;
    await submitting;
    // A few more, certainly after the restart (on a slow machine it can outlast the window above).
    for (let n = 36; n < 40; n++) await submitOne(n);

    const results = new Map<string, any>(); // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const id of acked.keys()) results.set(id, await waitTerminal(client, id, 40_000));
    const notSucceeded = [...results].filter(([, r]) => r.status !== 'succeeded').map(([id, r]) => `${id}: ${JSON.stringify(r.error ?? r.status)}`);
    console.log(`# PostgreSQL restart (-m fast, ${restartMs} ms) mid-run: ${acked.size} acknowledged (${ackedAfterRestart} after the restart), ` +
      `not acknowledged: ${[...refused].map(([why, n]) => `${why} ×${n}`).join(', ') || 'none'}; succeeded ${results.size - notSucceeded.length}/${acked.size}`);
    assert.deepEqual(notSucceeded, [], 'every acknowledged job ends succeeded');
    assert.ok(ackedAfterRestart > 0, 'submits are acknowledged again after the restart');
    for (const [id, expected] of acked) {
      if (!expected) continue;
      const video = await download(results.get(id).output.video);
      assert.ok(video.bytes.equals(expected), `job ${id}: the data: URI's bytes, through the bucket`);
    }
    for (const child of [server, ...workers]) assert.ok(child.running, `${child.name} survived the restart\n${child.describe()}`);
  });
  test('the real builtin engines across machines: reframe on an upload, image-to-video on a data: URI', async () => {
    // The workers restart on a config routing reframe and image-to-video to their builtin engines
    // (a config change is a rolling restart of the workers); the API keeps its own.
    const config = JSON.parse(readFileSync(apiInstall.configFile, 'utf8')) as { models: Record<string, { engine: string }> };
    config.models[MODELS.reframe] = { engine: 'builtin' };
    config.models[MODELS.runway] = { engine: 'builtin' };
    writeFileSync(apiInstall.configFile, JSON.stringify(config, null, 2));
    const old = workers;
    // The old workers stop claiming at SIGTERM (and have no jobs), so the new ones may boot meanwhile.
    [workers] = await Promise.all([
      Promise.all([startWorker(1), startWorker(1)]),
      ...old.map(async (worker) => assert.deepEqual(await worker.kill('SIGTERM'), { code: 0, signal: null }, worker.describe())),
    ]);

    const photo = await makeImage(64, 48, 'png', true);
    const uploaded = await upload(server, key, photo, 'builtin.png');
    const started = Date.now();
    const [reframe, video] = await Promise.all([
      client.submit(MODELS.reframe, { image: uploaded.url, resolution: '1152:864 (4:3)', rendering_speed: 'TURBO', seed: 3 }),
      client.submit(MODELS.runway, { promptText: 'the camera slowly pans left', promptImage: dataUri(await makeImage(96, 64, 'jpeg', true), 'image/jpeg'), duration: 5, seed: 3 }),
    ]);
    assert.equal(reframe.status, 200, reframe.text);
    assert.equal(video.status, 200, video.text);
    const [framed, clip] = await Promise.all([waitTerminal(client, reframe.json.request_id, 60_000), waitTerminal(client, video.json.request_id, 60_000)]);
    console.log(`# builtin reframe and image-to-video on two worker processes: both done in ${Date.now() - started} ms`);
    assert.equal(framed.status, 'succeeded', JSON.stringify(framed));
    assert.equal(clip.status, 'succeeded', JSON.stringify(clip));
    const png = await download(framed.output.image);
    assert.equal(png.type, 'image/png');
    assert.deepEqual([png.bytes.readUInt32BE(16), png.bytes.readUInt32BE(20)], [1152, 864], 'a PNG of the requested resolution');
    const mp4 = await download(clip.output.video);
    assert.equal(mp4.type, 'video/mp4');
    assert.equal(mp4.bytes.subarray(4, 8).toString('latin1'), 'ftyp', 'an MP4 from the real encoder');
    assert.ok(mp4.bytes.length > 10_000, `${mp4.bytes.length} bytes`);
  });
});
