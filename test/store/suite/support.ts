/** What every part of the Store suite shares: fresh databases, job factories, time, waiting. */
import { randomUUID } from 'node:crypto';
import type { NewJob, Store } from '../../../src/store/store.ts';

/** Opens a Store over the database called `database`: the same name gives another instance
 * (its own connections) over the same data; a name not used before gives an empty database. */
export type OpenStore = (database: string) => Promise<Store>;

export interface Fresh {
  /** The first store over a fresh, empty database. */
  store: Store;
  /** Another instance over the same database, as a second process would open it. */
  another(): Promise<Store>;
}

export interface SuiteContext {
  fresh(): Promise<Fresh>;
}

/** A fixed clock origin: every `now` the tests pass is T0 plus an offset they choose. */
export const T0 = 1_700_000_000_000;
export const OWNER = 'key-owner-a';
export const OTHER_OWNER = 'key-owner-b';

export function newJob(overrides: Partial<NewJob> = {}): NewJob {
  return { id: randomUUID(), ownerKeyId: OWNER, modelId: 'test/model', input: { prompt: 'a cat', seed: 7 }, maxAttempts: 3, createdAt: T0, ...overrides };
}

/** Inserts one at a time, so submission order (and so FIFO order) is the array's order. */
export async function insertInOrder(store: Store, count: number, overrides: Partial<NewJob> = {}): Promise<NewJob[]> {
  const jobs: NewJob[] = [];
  for (let i = 0; i < count; i++) {
    const job = newJob({ input: { n: i }, ...overrides });
    await store.insertJob(job);
    jobs.push(job);
  }
  return jobs;
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves with `check()`'s answer the first time the store says a job may be available. */
export function nextWakeUp<T>(store: Store, check: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const off = store.onJobAvailable(() => {
      off();
      check().then(resolve, reject);
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
