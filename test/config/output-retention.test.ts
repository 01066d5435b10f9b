/** MODELGATE_OUTPUT_RETENTION_HOURS and MODELGATE_MAX_WAITING_REQUESTS: defaults, fractions, and a clear error for anything else. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';

const base = { MODELGATE_DATA_DIR: '/tmp/modelgate-config-test', MODELGATE_LOG_LEVEL: 'silent' };

test('output retention is off by default; whole and fractional hours are accepted', () => {
  assert.equal(loadConfig(base).outputRetentionMs, undefined);
  assert.equal(loadConfig({ ...base, MODELGATE_OUTPUT_RETENTION_HOURS: '' }).outputRetentionMs, undefined);
  assert.equal(loadConfig({ ...base, MODELGATE_OUTPUT_RETENTION_HOURS: '168' }).outputRetentionMs, 168 * 3600_000);
  assert.equal(loadConfig({ ...base, MODELGATE_OUTPUT_RETENTION_HOURS: '0.5' }).outputRetentionMs, 1_800_000);
  assert.equal(loadConfig({ ...base, MODELGATE_OUTPUT_RETENTION_HOURS: ' .25 ' }).outputRetentionMs, 900_000);
});

test('a retention that is not a positive number of hours stops the start with an error naming the setting', () => {
  for (const value of ['0', '-1', 'abc', '1h', '1e3', '24,5', '0.0', '1000000000']) {
    assert.throws(
      () => loadConfig({ ...base, MODELGATE_OUTPUT_RETENTION_HOURS: value }),
      (error: unknown) => error instanceof ConfigError && error.message.includes('MODELGATE_OUTPUT_RETENTION_HOURS') && /hours/.test(error.message),
      value,
    );
  }
});

test('MODELGATE_MAX_WAITING_REQUESTS: 1000 by default, an integer of at least 0', () => {
  assert.equal(loadConfig(base).maxWaitingRequests, 1000);
  assert.equal(loadConfig({ ...base, MODELGATE_MAX_WAITING_REQUESTS: '0' }).maxWaitingRequests, 0);
  assert.throws(() => loadConfig({ ...base, MODELGATE_MAX_WAITING_REQUESTS: 'many' }), (error: unknown) => error instanceof ConfigError && error.message.includes('MODELGATE_MAX_WAITING_REQUESTS'));
});
