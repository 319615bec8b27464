import { expect, test } from '@jest/globals';
import { JOB_NAMES } from './features.ts';
import { flowOf } from './workflows.ts';

test('When a sync is enqueued, then risk for the synced top and then every alert follow it as one flow', () => {
  expect(flowOf('sync-markets', { limit: 20 })).toEqual([
    { name: 'compute-risk', data: { top: 20, as_of: undefined } },
    { name: 'evaluate-alerts', data: {} },
  ]);
});

test('When any other job is enqueued, then it runs alone (its follower, if any, comes after it completes)', () => {
  for (const name of JOB_NAMES.filter((job) => job !== 'sync-markets'))
    expect(flowOf(name, { symbols: ['BTC'] })).toEqual([]);
});

test('When every flow step is read, then each names a job some feature declares', () => {
  for (const step of flowOf('sync-markets', { limit: 1 })) expect(JOB_NAMES).toContain(step.name);
});
