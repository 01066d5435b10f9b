/**
 * Deliveries are rows, so they outlive the process that was sending them: a real `modelgate
 * serve` finishes a job whose webhook answers 503, is killed with SIGKILL while the delivery
 * waits for its retry, and after a restart on the same database the delivery arrives, with the
 * same webhook-id and a valid signature (checked with node:crypto). On SQLite and PostgreSQL
 * (a database of its own on the test server, dropped afterwards).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { reachable, TEST_DATABASE_URL, withAdmin } from '../support/postgres-schemas.ts';
import { MODEL_IDS as MODELS } from '../support/models.ts';
import { api, poll, Processes } from '../support/processes.ts';
import { startReceiver, verifiedIndependently } from './receiver.ts';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const procs = new Processes();
after(() => procs.cleanup());

const databases: string[] = [];
after(async () => {
  if (databases.length === 0) return;
  await withAdmin(async (client) => {
    for (const name of databases) await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
});

async function freshPostgresDatabase(): Promise<string> {
  const name = `mg_webhooks_${process.pid}_${randomBytes(3).toString('hex')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE ${name}`));
  databases.push(name);
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.href;
}

const backends: Array<{ name: string; env: () => Promise<Record<string, string>> }> = [{ name: 'SQLite', env: async () => ({}) }];
if (reachable === true) backends.push({ name: 'PostgreSQL', env: async () => ({ MODELGATE_DATABASE_URL: await freshPostgresDatabase() }) });
else test(`webhook restart on PostgreSQL (skipped: ${reachable})`, { skip: true }, () => {});

for (const backend of backends) {
  describe(`webhooks across a restart (${backend.name})`, () => {
    test('a delivery waiting for its retry when serve is SIGKILLed arrives after the restart, same webhook-id', async () => {
      const receiver = await startReceiver();
      try {
        // Retry-After fixes the retry at 3 s after the refusal: time to kill the server while the
        // delivery waits, after its outcome was recorded (a kill mid-attempt would leave it to its
        // lease instead, a minute).
        receiver.answer({ status: 503, headers: { 'retry-after': '3' } });
        const install = procs.install({
          ...(await backend.env()),
          MODELGATE_INPUT_ALLOW_HTTP: '1',
          MODELGATE_INPUT_ALLOW_HOSTS: `127.0.0.1:${receiver.port}`,
          MODELGATE_WEBHOOK_SECRET: SECRET,
          MODELGATE_POLL_INTERVAL_MS: '100',
          MODELGATE_LOG_LEVEL: 'warn',
        });
        const first = await procs.serve(install, { MODELGATE_WORKERS: '1' });
        const key = first.apiKey!;
        const submitted = await api(first.url, key).post(`/v1/models/${MODELS.dreamina}?webhook=${encodeURIComponent(receiver.url())}`, { prompt: 'a cat' });
        assert.equal(submitted.status, 200, submitted.text);
        const id = submitted.json.request_id as string;
        await poll(async () => receiver.received.length, (n) => n >= 1, 20_000);
        await new Promise((resolve) => setTimeout(resolve, 500));
        await first.kill('SIGKILL');
        assert.equal(receiver.received.length, 1);
        const refusedId = receiver.received[0]!.headers['webhook-id'];

        receiver.answer({ status: 200 });
        const second = await procs.serve(install, { MODELGATE_WORKERS: '1' }, 'serve (restarted)');
        const client = api(second.url, key);
        const result = await poll(async () => (await client.result(id)).json, (r) => r?.webhook?.state === 'delivered' || r?.webhook?.state === 'failed', 30_000, 100);
        assert.equal(result.webhook.state, 'delivered', JSON.stringify(result));
        const last = receiver.received.at(-1)!;
        assert.equal(last.headers['webhook-id'], refusedId, 'the same message, retried');
        assert.ok(verifiedIndependently(SECRET, last));
        assert.equal(JSON.parse(last.body).request_id, id);
        assert.ok(result.webhook.attempts >= 2 && result.webhook.attempts === receiver.received.length, `attempts ${result.webhook.attempts}, received ${receiver.received.length}`);
        await second.kill('SIGTERM');
        const printed = await procs.run(install, ['webhooks', 'secret']);
        assert.equal(printed.code, 0, printed.stderr);
        assert.equal(printed.stdout, `${SECRET}\n`, 'modelgate webhooks secret prints the secret in use, alone on stdout');
      } finally {
        await receiver.close();
      }
    });
  });
}
