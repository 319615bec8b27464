import { type Decimal, money, ZERO } from './decimal.ts';
import { ExactSum, scaledOfDecimal, type TScaled } from './exact-sum.ts';
import { PriceCursor, type TDailyCloses } from './price-cursor.ts';
import { cashDelta, ledgerOrder, quantityDelta } from './ledger.ts';
import { CASH, type TLedgerTransaction } from './transaction.ts';
import { xirr, type TXirr } from './xirr.ts';

/**
 * Valuation and returns on the UTC day grid (docs/portfolio-methodology.md):
 * - the value at the end of day d is Σ quantity held at the end of d × the close of d (the last stored
 *   point of that day; a coin without one uses its last earlier close, or the last price the
 *   portfolio's own transactions gave when it has no close yet) + tracked cash;
 * - external flows: with cash tracking, deposits, withdrawals and transfers (at that day's close);
 *   without, also buys (cost + fee, in) and sells (proceeds − fee, out);
 * - TWR chains one-day returns with inflows at the start and outflows at the end of the day:
 *   1 + r_d = (V_d + OUT_d) / (V_{d−1} + IN_d), and 0 on a day with nothing invested;
 * - MWR is the XIRR of −V_start, the net flows of each day and +V_end (Actual/365).
 * Returns under 365 days are not annualized (GIPS 2.A.12).
 */
export type { TDailyCloses } from './price-cursor.ts';
export { decimalCloses } from './price-cursor.ts';

export type TDay = {
  date: string;
  value: Decimal;
  inflow: Decimal;
  outflow: Decimal;
  income: Decimal;
  fees: Decimal;
};

const DAY_MS = 86_400_000;
const ZERO_SCALED: TScaled = { mantissa: 0n, scale: 0 };
export const isoDay = (time: Date | number): string => new Date(time).toISOString().slice(0, 10);
export const addDays = (day: string, days: number): string =>
  isoDay(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS);
/**
 * Days since 1970-01-01: day loops count these, never ISO strings, which stop sorting by date past
 * year 9999 ("+010000-01-01" < "9999-12-31"), so a loop to 9999-12-31 would never end.
 */
export const epochDay = (day: string): number => Date.parse(`${day}T00:00:00Z`) / DAY_MS;
const dayOfTime = (time: Date) => Math.floor(time.getTime() / DAY_MS);

/** The external flow a transaction is, valued on its day: positive in, negative out, zero for none. */
function flowOf(tx: TLedgerTransaction, cashTracking: boolean, close: () => Decimal | null): Decimal {
  // Each amount worked out only for the types that use it (the close only for transfers).
  const gross = () => (tx.price ? tx.quantity.times(tx.price) : ZERO);
  const atClose = () => tx.quantity.times(close() ?? tx.price ?? ZERO);
  switch (tx.type) {
    case 'transfer_in':
      return atClose();
    case 'transfer_out':
      return atClose().neg();
    case 'deposit':
      return tx.quantity;
    case 'withdrawal':
      return tx.quantity.neg();
    case 'buy':
      return cashTracking ? ZERO : gross().plus(tx.fee);
    case 'sell':
      return cashTracking ? ZERO : gross().minus(tx.fee).neg();
    default:
      return ZERO;
  }
}

/**
 * The value and flows of every day from `from` to `to`, and the value at the end of the day before
 * `from` (the starting value). `transactions` may come in any order.
 */
export function dailyValues(input: {
  transactions: readonly (TLedgerTransaction & { sequence?: number })[];
  closes: TDailyCloses;
  cashTracking: boolean;
  from: string;
  to: string;
}): { start: { date: string; value: Decimal }; days: TDay[] } {
  const ordered = ledgerOrder(input.transactions);
  const prices = new PriceCursor(input.closes);
  const quantities = new Map<string, Decimal>();
  let cash = ZERO;
  let next = 0;
  const decimalValueAt = (day: string) => {
    let value = input.cashTracking ? cash : ZERO;
    for (const [symbol, quantity] of quantities) {
      if (quantity.isZero()) continue;
      const price = prices.price(symbol, day);
      if (price) value = value.plus(quantity.times(price));
    }
    return value;
  };
  // The same sum in integers while decimal.js would be exact (exact-sum.ts), the decimal path otherwise.
  const scaledQuantities = new Map<string, { of: Decimal; scaled: TScaled | null }>();
  let scaledCash = { of: ZERO, scaled: scaledOfDecimal(ZERO) };
  const valueAt = (day: string) => {
    if (input.cashTracking && scaledCash.of !== cash)
      scaledCash = { of: cash, scaled: scaledOfDecimal(cash) };
    const sum = new ExactSum(input.cashTracking ? scaledCash.scaled : ZERO_SCALED);
    for (const [symbol, quantity] of quantities) {
      if (quantity.isZero()) continue;
      const price = prices.scaled(symbol, day);
      if (price === undefined) continue;
      let held = scaledQuantities.get(symbol);
      if (held?.of !== quantity)
        scaledQuantities.set(symbol, (held = { of: quantity, scaled: scaledOfDecimal(quantity) }));
      if (!price || !held.scaled) return decimalValueAt(day);
      sum.addProduct(held.scaled, price);
      if (!sum.exact) return decimalValueAt(day);
    }
    return sum.value() ?? decimalValueAt(day);
  };
  const apply = (tx: TLedgerTransaction) => {
    if (tx.symbol !== CASH) {
      prices.noteTrade(tx.symbol, tx.price);
      quantities.set(tx.symbol, (quantities.get(tx.symbol) ?? ZERO).plus(quantityDelta(tx)));
    }
    if (input.cashTracking) cash = cash.plus(cashDelta(tx)); // only tracked cash is ever valued
  };

  const first = epochDay(input.from);
  const last = epochDay(input.to);
  if (!Number.isInteger(first) || !Number.isInteger(last))
    throw new RangeError(`dailyValues: from and to must be ISO days, not "${input.from}", "${input.to}"`);
  const startDay = isoDay((first - 1) * DAY_MS);
  while (next < ordered.length && dayOfTime(ordered[next]!.timestamp) < first) apply(ordered[next++]!);
  const start = { date: startDay, value: valueAt(startDay) };
  const days: TDay[] = [];
  for (let number = first; number <= last; number += 1) {
    const day = isoDay(number * DAY_MS);
    let inflow = ZERO;
    let outflow = ZERO;
    let income = ZERO;
    let fees = ZERO;
    while (next < ordered.length && dayOfTime(ordered[next]!.timestamp) === number) {
      const tx = ordered[next++]!;
      apply(tx);
      const flow = flowOf(tx, input.cashTracking, () =>
        tx.symbol === CASH ? null : prices.price(tx.symbol, day),
      );
      if (flow.gt(0)) inflow = inflow.plus(flow);
      else outflow = outflow.minus(flow);
      if (tx.type === 'income' && tx.price) income = income.plus(tx.quantity.times(tx.price));
      fees = fees.plus(
        tx.type === 'fee' ? (tx.symbol === CASH ? tx.quantity : tx.quantity.times(tx.price ?? ZERO)) : tx.fee,
      );
    }
    days.push({ date: day, value: valueAt(day), inflow, outflow, income, fees });
  }
  return { start, days };
}

/** One-day time-weighted returns (numbers: returns are statistics, not amounts). */
export function dailyTwr(start: Decimal, days: readonly TDay[]): number[] {
  const returns: number[] = [];
  let previous = start;
  for (const day of days) {
    const base = previous.plus(day.inflow);
    returns.push(base.isZero() ? 0 : day.value.plus(day.outflow).div(base).minus(1).toNumber());
    previous = day.value;
  }
  return returns;
}

export const chain = (returns: readonly number[]): number =>
  returns.reduce((growth, value) => growth * (1 + value), 1) - 1;

/** (1 + R)^(365 / days) − 1 for periods of a year or more; null under a year (never annualized). */
export const annualize = (periodReturn: number | null, days: number): number | null =>
  periodReturn === null || days < 365 ? null : (1 + periodReturn) ** (365 / days) - 1;

export type TPerformance = {
  from: string;
  to: string;
  days: number;
  value_start: string;
  value_end: string;
  net_flows: string;
  inflows: string;
  outflows: string;
  income: string;
  fees: string;
  gain: string;
  simple_return: number | null;
  twr: number;
  twr_annualized: number | null;
  mwr: number | null;
  mwr_annualized: number | null;
  mwr_reason: string | null;
  series: { date: string; value: string; net_flow: string; twr_cumulative: number }[];
};

/** Everything GET …/performance reports, from the daily values of a range. */
export function performanceOf(valuation: ReturnType<typeof dailyValues>): TPerformance {
  const { start, days } = valuation;
  const returns = dailyTwr(start.value, days);
  let growth = 1;
  const series = days.map((day, index) => {
    growth *= 1 + returns[index]!;
    return {
      date: day.date,
      value: money(day.value),
      net_flow: money(day.inflow.minus(day.outflow)),
      twr_cumulative: growth - 1,
    };
  });
  const end = days.at(-1)?.value ?? start.value;
  const total = (pick: (day: TDay) => Decimal) => days.reduce((sum, day) => sum.plus(pick(day)), ZERO);
  const inflows = total((day) => day.inflow);
  const outflows = total((day) => day.outflow);
  const netFlows = inflows.minus(outflows);
  const gain = end.minus(start.value).minus(netFlows);
  const invested = start.value.plus(inflows);
  const count = days.length;
  const twr = growth - 1;
  const lastDay = days.at(-1)?.date ?? start.date;
  const flows = [
    { date: start.date, amount: start.value.neg().toNumber() },
    ...days.map((day) => ({ date: day.date, amount: day.outflow.minus(day.inflow).toNumber() })),
    { date: lastDay, amount: end.toNumber() },
  ].filter((flow) => flow.amount !== 0);
  const irr: TXirr = xirr(flows);
  return {
    from: days[0]?.date ?? start.date,
    to: lastDay,
    days: count,
    value_start: money(start.value),
    value_end: money(end),
    net_flows: money(netFlows),
    inflows: money(inflows),
    outflows: money(outflows),
    income: money(total((day) => day.income)),
    fees: money(total((day) => day.fees)),
    gain: money(gain),
    simple_return: invested.isZero() ? null : gain.div(invested).toNumber(),
    twr,
    twr_annualized: annualize(twr, count),
    mwr: irr.period,
    mwr_annualized: count >= 365 ? irr.rate : null,
    mwr_reason: irr.reason,
    series,
  };
}

/** A benchmark's time-weighted return over the same days: its close at the end over its close at the start. */
export function benchmarkReturn(
  closes: { date: string; price: Decimal }[],
  startDay: string,
  endDay: string,
): number | null {
  const at = (day: string) => {
    let found: { price: Decimal } | null = null;
    for (const close of closes) {
      if (close.date > day) break;
      found = close;
    }
    return found?.price ?? null;
  };
  const first = at(startDay) ?? closes.find((close) => close.date > startDay)?.price ?? null;
  const last = at(endDay);
  return first && last && !first.isZero() ? last.div(first).minus(1).toNumber() : null;
}
