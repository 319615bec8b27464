import type { TCadence } from './reports.repository.ts';

/** A schedule's period: its key (`2026-11`, `2026-Q4`, `2026`) and its days, both inclusive (UTC). */
export type TPeriod = { key: string; from: string; to: string };

const STEP: Record<TCadence, number> = { monthly: 1, quarterly: 3, yearly: 12 };
const pad = (value: number) => String(value).padStart(2, '0');

/** Months since year 0 of the period's first month. */
function startIndex(cadence: TCadence, year: number, month0: number): number {
  const step = STEP[cadence];
  return year * 12 + Math.floor(month0 / step) * step;
}

function periodAt(cadence: TCadence, index: number): TPeriod {
  const year = Math.floor(index / 12);
  const month0 = index % 12;
  const endIndex = index + STEP[cadence];
  const end = new Date(Date.UTC(Math.floor(endIndex / 12), endIndex % 12, 1) - 86_400_000);
  const key =
    cadence === 'monthly' ? `${year}-${pad(month0 + 1)}` : cadence === 'quarterly' ? `${year}-Q${month0 / 3 + 1}` : `${year}`;
  return { key, from: `${year}-${pad(month0 + 1)}-01`, to: end.toISOString().slice(0, 10) };
}

function indexOfKey(cadence: TCadence, key: string): number {
  const [year, part] = key.split('-');
  if (cadence === 'yearly') return Number(year) * 12;
  if (cadence === 'quarterly') return Number(year) * 12 + (Number(part!.slice(1)) - 1) * 3;
  return Number(year) * 12 + Number(part) - 1;
}

/** The last period that has closed by `now` (the one before the period `now` is in). */
export function lastClosed(cadence: TCadence, now: Date): TPeriod {
  return periodAt(cadence, startIndex(cadence, now.getUTCFullYear(), now.getUTCMonth()) - STEP[cadence]);
}

/** The period before `period`. */
export const previousPeriod = (cadence: TCadence, key: string): TPeriod =>
  periodAt(cadence, indexOfKey(cadence, key) - STEP[cadence]);

/**
 * The periods closed by `now` after `last` (exclusive), oldest first, at most `max` (the most recent ones:
 * a schedule idle for years catches up on its last `max` periods, not all of them).
 */
export function closedSince(cadence: TCadence, last: string, now: Date, max: number): TPeriod[] {
  const end = indexOfKey(cadence, lastClosed(cadence, now).key);
  const step = STEP[cadence];
  const start = Math.max(indexOfKey(cadence, last) + step, end - (max - 1) * step);
  const periods: TPeriod[] = [];
  for (let index = start; index <= end; index += step) periods.push(periodAt(cadence, index));
  return periods;
}
