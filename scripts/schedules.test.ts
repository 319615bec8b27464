import { readFile } from 'node:fs/promises';
import { expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { FEED_SCHEDULES, SCHEDULES, triggerArgs } from '../core/schedules.ts';
import { renderChartSchedules, VALUES, withSchedules } from './schedules.ts';

test("When values.yaml is read, then its CronJob schedules are core/schedules.ts's (node scripts/schedules.ts rewrites them)", async () => {
  const text = await readFile(VALUES, 'utf8');
  expect(withSchedules(text)).toBe(text);
  const values = parse(text) as {
    cronJobs: { schedules: Record<string, { schedule: string; args: string[]; withOperator?: boolean }> };
  };
  expect(values.cronJobs.schedules).toEqual(
    Object.fromEntries(
      SCHEDULES.map((schedule) => [
        schedule.key,
        {
          schedule: schedule.cron,
          args: triggerArgs(schedule.job, schedule.data),
          ...(schedule.withOperator ? { withOperator: true } : {}),
        },
      ]),
    ),
  );
});

test('When the block is rendered, then each schedule is a trigger command with its flags', () => {
  expect(renderChartSchedules()).toContain(
    "    syncTop50:\n      schedule: '*/5 * * * *'\n      args: [sync, --limit, '50']\n",
  );
  expect(triggerArgs('backfill-history', { top: 20, days: 30, provider: 'coingecko' })).toEqual([
    'backfill',
    '--top',
    '20',
    '--days',
    '30',
    '--provider',
    'coingecko',
  ]);
  expect(Object.values(FEED_SCHEDULES).every((cron) => cron.split(' ').length === 5)).toBe(true);
});
