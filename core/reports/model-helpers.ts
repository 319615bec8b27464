/**
 * Pure helpers that fill the report models (report-model.ts) from the service answers: the term of a
 * holding, realized-gains rows and totals, drawdown and benchmark series, gains by month, allocation.
 */
import { dec } from '../portfolios/index.ts';
import type {
  TDailyPoint,
  TGainTotals,
  THoldingsAnswer,
  TPerformanceAnswer,
  TRealizedAnswer,
  TRealizedGainRow,
  TRealizedGainsModel,
  TReportPeriod,
  TReportPortfolio,
  TStatementModel,
  TTerm,
} from './report-model.ts';


const DAY = /^\d{4}-\d{2}-\d{2}/;
const dayOf = (iso: string): string => DAY.exec(iso)?.[0] ?? iso.slice(0, 10);

/**
 * Long term when disposed more than one year after acquisition (IRS: the holding period starts the
 * day after acquisition; a disposal on the anniversary is still short term). Calendar days in UTC;
 * an acquisition on 29 February reaches its anniversary on 1 March.
 */
export function termOf(acquiredAt: string, disposedAt: string): TTerm {
  const [year, month, day] = dayOf(acquiredAt).split('-').map(Number) as [number, number, number];
  const anniversary = new Date(Date.UTC(year + 1, month - 1, day)).toISOString().slice(0, 10);
  return dayOf(disposedAt) > anniversary ? 'long' : 'short';
}

const totalsOf = (rows: readonly TRealizedGainRow[]): TGainTotals => {
  let proceeds = dec(0);
  let cost = dec(0);
  let gain = dec(0);
  for (const row of rows) {
    proceeds = proceeds.plus(row.proceeds);
    cost = cost.plus(row.cost_basis);
    gain = gain.plus(row.gain);
  }
  return { proceeds: plain(proceeds), cost_basis: plain(cost), gain: plain(gain), count: rows.length };
};

const plain = (value: ReturnType<typeof dec>): string => {
  const text = value.toDecimalPlaces(18).toFixed();
  return text === '-0' ? '0' : text;
};

/** One disposal of the `realized` answer as a realized-gains row. */
export const realizedGainRow = (disposal: TRealizedAnswer['disposals'][number]): TRealizedGainRow => ({
  description: `${disposal.quantity} ${disposal.symbol}`,
  symbol: disposal.symbol,
  quantity: disposal.quantity,
  date_acquired: dayOf(disposal.acquired_at),
  date_disposed: dayOf(disposal.disposed_at),
  proceeds: disposal.proceeds,
  cost_basis: disposal.cost,
  gain: disposal.gain,
  term: termOf(disposal.acquired_at, disposal.disposed_at),
  holding_days: disposal.holding_days,
  short_position: disposal.short,
  lot_id: disposal.lot_id,
  transaction_id: disposal.transaction_id,
});

/** The realized-gains model from the `realized` answer for the same period: its rows one for one. */
export function realizedGainsModel(input: {
  portfolio: TReportPortfolio;
  period: TReportPeriod;
  tax_year?: number | null;
  realized: TRealizedAnswer;
}): TRealizedGainsModel {
  const rows = input.realized.disposals.map(realizedGainRow);
  return {
    portfolio: input.portfolio,
    period: input.period,
    tax_year: input.tax_year ?? null,
    cost_basis_method: input.realized.cost_basis_method,
    rows,
    totals: {
      short: totalsOf(rows.filter((row) => row.term === 'short')),
      long: totalsOf(rows.filter((row) => row.term === 'long')),
      all: totalsOf(rows),
    },
  };
}

/** Drawdown from the running peak (value / peak − 1, ≤ 0) of a daily series of positive levels. */
export function drawdownSeries(levels: readonly { date: string; value: number }[]): TDailyPoint[] {
  let peak = -Infinity;
  return levels.map(({ date, value }) => {
    peak = Math.max(peak, value);
    return { date, value: peak > 0 ? value / peak - 1 : 0 };
  });
}

/** The statement's drawdown: of the TWR index (1 + cumulative TWR) of the performance series. */
export const statementDrawdown = (performance: TPerformanceAnswer): TDailyPoint[] =>
  drawdownSeries(performance.series.map((day) => ({ date: day.date, value: 1 + day.twr_cumulative })));

/**
 * The benchmark's cumulative return on each of `days` from its closes (the last close on or before
 * each day; 0 before the first close): close / first close − 1.
 */
export function benchmarkSeries(
  closes: readonly { date: string; price: string }[],
  days: readonly string[],
): TDailyPoint[] {
  const sorted = [...closes].sort((a, b) => a.date.localeCompare(b.date));
  let index = -1;
  let base: number | null = null;
  return days.map((date) => {
    while (index + 1 < sorted.length && sorted[index + 1]!.date <= date) index += 1;
    const close = index >= 0 ? Number(sorted[index]!.price) : null;
    if (close !== null && base === null) base = close;
    return { date, value: close !== null && base ? close / base - 1 : 0 };
  });
}

/** Realized gain per month of disposal (`YYYY-MM`), every month of the period listed (0 when none). */
export function gainsByMonth(
  realized: TRealizedAnswer,
  period: TReportPeriod,
): { month: string; gain: string }[] {
  const months = new Map<string, ReturnType<typeof dec>>();
  const [fy, fm] = period.from.split('-').map(Number) as [number, number];
  const [ty, tm] = period.to.split('-').map(Number) as [number, number];
  for (let y = fy, m = fm; y < ty || (y === ty && m <= tm); m === 12 ? ((y += 1), (m = 1)) : (m += 1))
    months.set(`${y}-${String(m).padStart(2, '0')}`, dec(0));
  for (const disposal of realized.disposals) {
    const month = disposal.disposed_at.slice(0, 7);
    months.set(month, (months.get(month) ?? dec(0)).plus(disposal.gain));
  }
  return [...months]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([month, gain]) => ({ month, gain: plain(gain) }));
}

/** Allocation by value from holdings: each priced coin and cash (as `USD`), weights of the total value. */
export function allocationOf(holdings: THoldingsAnswer): TStatementModel['allocation'] {
  const rows = holdings.holdings
    .filter((holding) => holding.market_value !== null)
    .map((holding) => ({ symbol: holding.symbol, value: holding.market_value! }));
  if (holdings.cash !== null) rows.push({ symbol: 'USD', value: holdings.cash });
  const total = rows.reduce((sum, row) => sum.plus(row.value), dec(0));
  return rows.map((row) => ({
    ...row,
    weight: total.isZero() ? 0 : dec(row.value).div(total).toNumber(),
  }));
}
