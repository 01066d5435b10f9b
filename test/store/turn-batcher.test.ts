/**
 * TurnBatcher without a database: what goes in one statement, and the in-flight limit that lets
 * callers arriving during a round trip share the next statement (the status polls' batcher).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TurnBatcher } from '../../src/store/turn-batcher.ts';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A statement writer whose batches the test answers by hand, in any order. */
function manualWriter() {
  const batches: Array<{ items: number[]; answer(): void }> = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const write = (items: number[]) =>
    new Promise<number[]>((resolve) => {
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      batches.push({ items, answer: () => { inFlight -= 1; resolve(items.map((item) => item * 10)); } });
    });
  return { batches, write, mostInFlight: () => mostInFlight };
}

test('calls of one turn go in one statement and each caller gets its own result', async () => {
  const writer = manualWriter();
  const batcher = new TurnBatcher(writer.write, { nothingWritten: () => false });
  const results = Promise.all([1, 2, 3].map((item) => batcher.add(item)));
  await nextTurn();
  assert.deepEqual(writer.batches.map((batch) => batch.items), [[1, 2, 3]]);
  writer.batches[0]!.answer();
  assert.deepEqual(await results, [10, 20, 30]);
});

test('without an in-flight limit, each turn sends its own statement at once', async () => {
  const writer = manualWriter();
  const batcher = new TurnBatcher(writer.write, { nothingWritten: () => false });
  const first = batcher.add(1);
  await nextTurn();
  const second = batcher.add(2);
  await nextTurn();
  assert.deepEqual(writer.batches.map((batch) => batch.items), [[1], [2]]);
  for (const batch of writer.batches) batch.answer();
  assert.deepEqual(await Promise.all([first, second]), [10, 20]);
});

test('with maxInFlight 1, calls made during a round trip wait for it and then share one statement', async () => {
  const writer = manualWriter();
  const batcher = new TurnBatcher(writer.write, { nothingWritten: () => false, maxInFlight: 1 });
  const first = batcher.add(1);
  await nextTurn();
  // Three more turns of callers while the first statement is out.
  const later: Promise<number>[] = [];
  for (const item of [2, 3, 4]) {
    later.push(batcher.add(item));
    await nextTurn();
  }
  assert.deepEqual(writer.batches.map((batch) => batch.items), [[1]], 'nothing more is sent while one statement is in flight');
  writer.batches[0]!.answer();
  assert.equal(await first, 10);
  await nextTurn();
  assert.deepEqual(writer.batches.map((batch) => batch.items), [[1], [2, 3, 4]]);
  writer.batches[1]!.answer();
  assert.deepEqual(await Promise.all(later), [20, 30, 40]);
  assert.equal(writer.mostInFlight(), 1);
});

test('with maxInFlight, a backlog larger than maxBatch goes in statements of maxBatch, never more in flight than allowed', async () => {
  const writer = manualWriter();
  const batcher = new TurnBatcher(writer.write, { nothingWritten: () => false, maxInFlight: 1, maxBatch: 2 });
  const first = batcher.add(0);
  await nextTurn();
  const backlog = [1, 2, 3, 4, 5].map((item) => batcher.add(item));
  await nextTurn();
  // Answer whatever is out until every caller has its result.
  const all = Promise.all([first, ...backlog]);
  let answered = 0;
  while (answered < writer.batches.length) {
    writer.batches[answered++]!.answer();
    await nextTurn();
  }
  assert.deepEqual(await all, [0, 10, 20, 30, 40, 50]);
  assert.deepEqual(writer.batches.map((batch) => batch.items), [[0], [1, 2], [3, 4], [5]]);
  assert.equal(writer.mostInFlight(), 1);
});

test('flush() waits for calls held back by the in-flight limit, not only for statements already sent', async () => {
  const writer = manualWriter();
  const batcher = new TurnBatcher(writer.write, { nothingWritten: () => false, maxInFlight: 1 });
  const first = batcher.add(1);
  await nextTurn();
  const held = batcher.add(2);
  let flushed = false;
  const flushing = batcher.flush().then(() => (flushed = true));
  writer.batches[0]!.answer();
  await first;
  await nextTurn();
  assert.equal(flushed, false, 'the held call is still out');
  writer.batches[1]!.answer();
  await flushing;
  assert.equal(await held, 20);
});
