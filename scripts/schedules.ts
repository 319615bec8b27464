// The chart's static CronJobs (values.yaml cronJobs.schedules), rendered from the one schedule source,
// core/schedules.ts. `node scripts/schedules.ts` rewrites the block in values.yaml; scripts/schedules.test.ts
// fails when they disagree (the internal scheduler and the operator read core/schedules.ts directly).
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SCHEDULES, triggerArgs } from '../core/schedules.ts';

export const VALUES = path.resolve(import.meta.dirname, '..', 'charts', 'trading-backend', 'values.yaml');
const HEAD = '  schedules:\n';

const arg = (value: string) => (/^[A-Za-z-]+$/.test(value) ? value : `'${value}'`);

/** The `cronJobs.schedules` block of values.yaml, as core/schedules.ts says. */
export function renderChartSchedules(): string {
  const entries = SCHEDULES.map((schedule) =>
    [
      `    # -- ${schedule.description}`,
      `    ${schedule.key}:`,
      `      schedule: '${schedule.cron}'`,
      `      args: [${triggerArgs(schedule.job, schedule.data).map(arg).join(', ')}]`,
      ...(schedule.withOperator ? ['      withOperator: true'] : []),
    ].join('\n'),
  );
  return `${HEAD}${entries.join('\n')}\n`;
}

/** values.yaml with its schedules block (up to the blank line after it) replaced by the rendering. */
export function withSchedules(values: string): string {
  const start = values.indexOf(`\n${HEAD}`);
  if (start < 0) throw new Error('values.yaml has no cronJobs.schedules block');
  const end = values.indexOf('\n\n', start + 1);
  return `${values.slice(0, start + 1)}${renderChartSchedules()}${values.slice(end + 1)}`;
}

if (import.meta.main) {
  await writeFile(VALUES, withSchedules(await readFile(VALUES, 'utf8')));
  process.stdout.write('wrote cronJobs.schedules into charts/trading-backend/values.yaml\n');
}
