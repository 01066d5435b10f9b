/**
 * The engine threads every engine shares (src/engines/threads): sessions of different jobs run
 * side by side on the same threads with their own state, calls go to the thread they name, a
 * closed session's unanswered calls reject at once with its reason, a task's error reaches its
 * caller only, and a thread that dies fails the open sessions while the next session gets fresh
 * threads.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openThreadSession } from '../../src/engines/threads/thread-pool.ts';

const TASK = new URL('../support/thread-task.ts', import.meta.url);
type Call = { value?: number; wait?: number; fail?: boolean; exit?: boolean };

test('two sessions on the same threads keep their own state; results come back transferred', async () => {
  const a = openThreadSession<Call, Float64Array>(TASK, 2, { factor: 2 });
  const b = openThreadSession<Call, Float64Array>(TASK, 1, { factor: 10 });
  try {
    const [fromA0, fromA1, fromB] = await Promise.all([a.call(0, { value: 1 }), a.call(1, { value: 3 }), b.call(7, { value: 5 })]);
    assert.deepEqual([fromA0[0], fromA1[0], fromB[0]], [2, 6, 50]);
    assert.deepEqual((await a.broadcast({ value: 4 })).map((r) => r[0]), [8, 8]);
  } finally {
    a.close();
    b.close();
  }
});

test('closing a session rejects its unanswered calls at once with the reason; other sessions carry on', async () => {
  const slow = openThreadSession<Call, Float64Array | null>(TASK, 1, { factor: 1 });
  const other = openThreadSession<Call, Float64Array | null>(TASK, 1, { factor: 3 });
  const reason = new Error('the job was cancelled');
  const pending = [slow.call(0, { wait: 300 }), slow.call(0, { value: 1 })];
  const started = Date.now();
  slow.close(reason);
  for (const call of pending) await assert.rejects(call, (error) => error === reason);
  assert.ok(Date.now() - started < 200, 'rejected without waiting for the thread');
  await assert.rejects(slow.call(0, { value: 1 }), (error) => error === reason, 'a closed session takes no more calls');
  assert.equal((await other.call(0, { value: 2 }))![0], 6, 'the thread finished the dropped call and serves the next session');
  other.close();
});

test("a task's error rejects its own call only", async () => {
  const session = openThreadSession<Call, Float64Array | null>(TASK, 1, { factor: 1 });
  try {
    await assert.rejects(session.call(0, { fail: true }), /asked to fail/);
    assert.equal((await session.call(0, { value: 9 }))![0], 9);
  } finally {
    session.close();
  }
});

test('a thread that dies fails the open sessions; the next session runs on fresh threads', async () => {
  const doomed = openThreadSession<Call, Float64Array | null>(TASK, 1, { factor: 1 });
  await assert.rejects(doomed.call(0, { exit: true }), /exited/);
  await assert.rejects(doomed.call(0, { value: 1 }), /exited/);
  doomed.close();
  const fresh = openThreadSession<Call, Float64Array | null>(TASK, 2, { factor: 4 });
  try {
    assert.equal((await fresh.call(1, { value: 2 }))![0], 8);
  } finally {
    fresh.close();
  }
});
