import { AppError, ErrorCode } from '../platform/errors/app-error.ts';
import { EARLIEST_DAY } from './bounds.ts';
import { addDays } from './performance.ts';
import { unprocessable } from './refusals.ts';

export const PERFORMANCE_RANGES = ['7d', '30d', '90d', 'ytd', '1y', '3y', 'all'] as const;
export type TPerformanceRange = (typeof PERFORMANCE_RANGES)[number];

const RANGE_DAYS: Record<Exclude<TPerformanceRange, 'ytd' | 'all'>, number> = {
  '7d': 7,
  '30d': 30,
  '90d': 90,
  '1y': 365,
  '3y': 1095,
};

/**
 * The days a performance query covers, within [EARLIEST_DAY, today] whatever it asks for: days after
 * today have no data yet, days before the floor none at all. A range wholly outside is a 422.
 */
export function rangeOf(
  query: { range?: TPerformanceRange; from?: string; to?: string },
  firstDay: string,
  today: string,
): { from: string; to: string } {
  if (query.from && query.to && query.from > query.to)
    throw new AppError(ErrorCode.ValidationFailed, {
      detail: 'from: must not be after to',
      errors: [{ name: 'from', in: 'query', detail: 'must not be after to' }],
    });
  if (query.from && query.from > today)
    throw unprocessable(`from: ${query.from} is after today (${today}); there is no data yet`, {
      reason: 'out_of_range',
    });
  if (query.to && query.to < EARLIEST_DAY)
    throw unprocessable(`to: ${query.to} is before ${EARLIEST_DAY}, the earliest day a portfolio can have`, {
      reason: 'out_of_range',
    });
  const to = query.to && query.to < today ? query.to : today;
  const floor = (from: string) => ({ from: from < EARLIEST_DAY ? EARLIEST_DAY : from, to });
  if (query.from) return floor(query.from);
  const range = query.range ?? 'all';
  if (range === 'ytd') return floor(`${to.slice(0, 4)}-01-01`);
  if (range === 'all') return floor(firstDay < to ? firstDay : to);
  return floor(addDays(to, -RANGE_DAYS[range] + 1));
}
