// The daily valuation exactly as it was before its integer fast path (main at 7d1e3b8,
// core/portfolios/performance.ts): every coin-day a decimal.js product and sum, every close parsed up
// front. Kept only as the reference valuation-paths.test.ts compares the new path with.
import { type Decimal, ZERO } from '../decimal.ts';
import { cashDelta, ledgerOrder, quantityDelta } from '../ledger.ts';
import type { TDailyCloses, TDay } from '../performance.ts';
import { CASH, type TLedgerTransaction } from '../transaction.ts';

const DAY_MS = 86_400_000;
const isoDay = (time: Date | number): string => new Date(time).toISOString().slice(0, 10);
const epochDay = (day: string): number => Date.parse(`${day}T00:00:00Z`) / DAY_MS;
const dayOfTime = (time: Date) => Math.floor(time.getTime() / DAY_MS);

/** Carries each symbol's close forward as the days advance (one pass over each series). */
class PriceCursor {
  private readonly index = new Map<string, number>();
  private readonly lastTradePrice = new Map<string, Decimal>();

  private readonly closes: TDailyCloses;

  constructor(closes: TDailyCloses) {
    this.closes = closes;
  }

  noteTrade(symbol: string, price: Decimal | null): void {
    if (price) this.lastTradePrice.set(symbol, price);
  }

  /** The close in effect at the end of `day` (days must not go backwards). */
  price(symbol: string, day: string): Decimal | null {
    const series = this.closes.get(symbol);
    if (series?.length) {
      let at = this.index.get(symbol) ?? -1;
      while (at + 1 < series.length && series[at + 1]!.date <= day) at += 1;
      this.index.set(symbol, at);
      if (at >= 0) return series[at]!.price;
    }
    return this.lastTradePrice.get(symbol) ?? null;
  }
}

/** The external flow a transaction is, valued on its day: positive in, negative out, zero for none. */
function flowOf(tx: TLedgerTransaction, cashTracking: boolean, close: Decimal | null): Decimal {
  const gross = tx.price ? tx.quantity.times(tx.price) : ZERO;
  const atClose = tx.quantity.times(close ?? tx.price ?? ZERO);
  switch (tx.type) {
    case 'transfer_in':
      return atClose;
    case 'transfer_out':
      return atClose.neg();
    case 'deposit':
      return tx.quantity;
    case 'withdrawal':
      return tx.quantity.neg();
    case 'buy':
      return cashTracking ? ZERO : gross.plus(tx.fee);
    case 'sell':
      return cashTracking ? ZERO : gross.minus(tx.fee).neg();
    default:
      return ZERO;
  }
}

/**
 * The value and flows of every day from `from` to `to`, and the value at the end of the day before
 * `from` (the starting value). `transactions` may come in any order.
 */
export function referenceDailyValues(input: {
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
  const valueAt = (day: string) => {
    let value = input.cashTracking ? cash : ZERO;
    for (const [symbol, quantity] of quantities) {
      if (quantity.isZero()) continue;
      const price = prices.price(symbol, day);
      if (price) value = value.plus(quantity.times(price));
    }
    return value;
  };
  const apply = (tx: TLedgerTransaction) => {
    if (tx.symbol !== CASH) {
      prices.noteTrade(tx.symbol, tx.price);
      quantities.set(tx.symbol, (quantities.get(tx.symbol) ?? ZERO).plus(quantityDelta(tx)));
    }
    cash = cash.plus(cashDelta(tx));
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
      const flow = flowOf(tx, input.cashTracking, tx.symbol === CASH ? null : prices.price(tx.symbol, day));
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
