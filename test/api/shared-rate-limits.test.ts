/**
 * MODELGATE_RATE_LIMIT_PER_MINUTE across API servers: two apps over PostgreSQL, or two apps with
 * MODELGATE_REDIS_URL (a redis-server this file starts), spend one budget per key; two apps on
 * the in-memory counter do not (the control that shows the other two could fail).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app.ts';
import { createHarness, waitFor } from '../support/harness.ts';
import { PostgresSchemas, reachable, TEST_DATABASE_URL } from '../support/postgres-schemas.ts';
import { freePort } from '../support/processes.ts';
import { startTcpPartition } from '../support/tcp-partition.ts';

const BUDGET = 4;
const env = { MODELGATE_RATE_LIMIT_PER_MINUTE: String(BUDGET) };

/** Sends `count` requests, alternating between the apps; returns each answer's status and envelope. */
async function spend(apps: FastifyInstance[], auth: { authorization: string }, count: number) {
  const answers = [];
  for (let i = 0; i < count; i++) {
    const res = await apps[i % apps.length]!.inject({ method: 'GET', url: '/v1/models/categories', headers: auth });
    answers.push({ status: res.statusCode, code: res.statusCode === 429 ? res.json().error_code : undefined, retryAfter: res.headers['retry-after'] });
  }
  return answers;
}

function assertOneBudget(answers: Awaited<ReturnType<typeof spend>>): void {
  assert.deepEqual(answers.slice(0, BUDGET).map((a) => a.status), Array(BUDGET).fill(200), 'the budget is spent across both apps');
  for (const [i, answer] of answers.slice(BUDGET).entries()) {
    assert.equal(answer.status, 429, `request ${BUDGET + i + 1} is over the shared budget, whichever app answers it`);
    assert.equal(answer.code, 429001);
    assert.ok(Number(answer.retryAfter) >= 1 && Number(answer.retryAfter) <= 60, `Retry-After ${String(answer.retryAfter)}`);
  }
}

/** PostgreSQL windows are aligned to the clock: start a test well inside one, so it cannot straddle two. */
async function awaitFreshWindow(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 10_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

test('control: two apps on the in-memory counter each allow the whole budget', async () => {
  const h = await createHarness({ env });
  const second = await buildApp(h.ctx);
  try {
    const answers = await spend([h.app, second], h.auth, BUDGET * 2);
    assert.deepEqual(answers.map((a) => a.status), Array(BUDGET * 2).fill(200));
  } finally {
    await second.close();
    await h.close();
  }
});

describe('PostgreSQL: two API servers over one database', () => {
  const schemas = new PostgresSchemas();
  after(() => schemas.dropAll());
  test('share one budget per key: N allowed in total, then 429001 with Retry-After from either', { skip: reachable === true ? false : `cannot connect to ${TEST_DATABASE_URL}: ${String(reachable)}` }, async () => {
    const a = await createHarness({ env, store: await schemas.open('rate') });
    const b = await createHarness({ env, store: await schemas.open('rate') });
    try {
      await awaitFreshWindow();
      assertOneBudget(await spend([a.app, b.app], a.auth, BUDGET + 2));
      const other = await a.newKey('other');
      assert.equal((await spend([b.app], other.auth, 1))[0]!.status, 200, 'another key has a budget of its own');
    } finally {
      await b.close();
      await a.close();
    }
  });
});

describe('Redis (MODELGATE_REDIS_URL): two API servers', () => {
  const redisServer = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
  let redis: ChildProcess | undefined;
  after(() => redis?.kill());

  test('share one budget per key: N allowed in total, then 429001 with Retry-After from either', { skip: redisServer ? false : 'redis-server is not installed (.ci/run installs it)' }, async () => {
    const port = await freePort();
    redis = spawn(redisServer, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const url = `redis://127.0.0.1:${port}`;
    await waitFor(() => canConnect(port), Boolean, 10_000, 50);
    const h = await createHarness({ env: { ...env, MODELGATE_REDIS_URL: url } });
    const second = await buildApp(h.ctx);
    try {
      assertOneBudget(await spend([h.app, second], h.auth, BUDGET + 2));
    } finally {
      await second.close();
      await h.close();
    }
  });

  test('a Redis that stops answering without a reset: requests pass unlimited within a second instead of waiting on it', { skip: redisServer ? false : 'redis-server is not installed (.ci/run installs it)', timeout: 30_000 }, async () => {
    const port = await freePort();
    const silent = spawn(redisServer, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const relay = await startTcpPartition({ host: '127.0.0.1', port });
    try {
      await waitFor(() => canConnect(port), Boolean, 10_000, 50);
      const h = await createHarness({ env: { ...env, MODELGATE_REDIS_URL: `redis://127.0.0.1:${relay.port}` } });
      try {
        const ask = () => h.app.inject({ method: 'GET', url: '/v1/models', headers: h.auth });
        assert.equal((await ask()).headers['x-ratelimit-remaining'], String(BUDGET - 1), 'counted in Redis while it answers');
        relay.cut();
        for (let i = 0; i < BUDGET + 1; i++) {
          const started = performance.now();
          const answer = await ask();
          const ms = performance.now() - started;
          assert.equal(answer.statusCode, 200, answer.body);
          assert.ok(ms < 1_000 + 1_500, `request ${i} waited ${Math.round(ms)} ms on a silent Redis`);
        }
      } finally {
        relay.heal();
        await h.close();
      }
    } finally {
      await relay.close();
      silent.kill();
    }
  });
});


function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}
