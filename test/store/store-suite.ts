/**
 * One behavioural suite for the Store seam, run against every backend (sqlite-store.test.ts,
 * postgres-store.test.ts), so the backends cannot drift apart. Every test gets a fresh, empty
 * database; times are passed explicitly (`now`) instead of slept, so lease expiry is exact.
 */
import { afterEach, describe } from 'node:test';
import type { Store } from '../../src/store/store.ts';
import { attemptStateTests } from './suite/attempt-state.ts';
import { fileTests } from './suite/files.ts';
import { historyTests } from './suite/history.ts';
import { idempotencyTests } from './suite/idempotency.ts';
import { ignoredFieldTests } from './suite/ignored-fields.ts';
import { keyAndSubmitTests } from './suite/keys-and-submits.ts';
import { keyCacheTests } from './suite/key-cache.ts';
import { leaseTests } from './suite/leases.ts';
import { limitTests } from './suite/limits.ts';
import { noticeTests } from './suite/notices.ts';
import { positionTests } from './suite/positions.ts';
import { queueTests } from './suite/queue.ts';
import { raceTests } from './suite/races.ts';
import { retryTests } from './suite/retries.ts';
import { statusReadTests } from './suite/status-read.ts';
import type { Fresh, OpenStore, SuiteContext } from './suite/support.ts';
import { usageTests } from './suite/usage.ts';
import { webhookTests } from './suite/webhooks.ts';

export type { OpenStore } from './suite/support.ts';

export function defineStoreSuite(name: string, openStore: OpenStore): void {
  describe(`Store: ${name}`, () => {
    let opened: Store[] = [];
    let databases = 0;

    const ctx: SuiteContext = {
      async fresh(): Promise<Fresh> {
        const database = `db${++databases}`;
        const open = async () => {
          const store = await openStore(database);
          opened.push(store);
          return store;
        };
        return { store: await open(), another: open };
      },
    };

    afterEach(async () => {
      const stores = opened;
      opened = [];
      for (const store of stores) await store.close();
    });

    describe('keys and submits', () => keyAndSubmitTests(ctx));
    describe('key lookups cached per instance', () => keyCacheTests(ctx));
    describe('queue, claims and cancel', () => queueTests(ctx));
    describe('queue positions at depth', () => positionTests(ctx));
    describe('the status read', () => statusReadTests(ctx));
    describe('leases, fencing and the sweeper', () => leaseTests(ctx));
    describe('retryable engine failures', () => retryTests(ctx));
    describe('races and wake-ups', () => raceTests(ctx));
    describe('uploaded files', () => fileTests(ctx));
    describe('idempotent submits', () => idempotencyTests(ctx));
    describe('ignored input fields', () => ignoredFieldTests(ctx));
    describe('engine notices', () => noticeTests(ctx));
    describe('housekeeping reads', () => attemptStateTests(ctx));
    describe('usage and cost', () => usageTests(ctx));
    describe('limits: running quota, load, rate windows', () => limitTests(ctx));
    describe('request history, deletion and settle wake-ups', () => historyTests(ctx));
    describe('webhook deliveries', () => webhookTests(ctx));
  });
}
