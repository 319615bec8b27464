import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from '@jest/globals';
import { ROOT } from '../../test/processes.ts';
import { withContext } from '../../test/expect-context.ts';
import { dec, type Decimal, sum } from './decimal.ts';
import {
  runLedger,
  type TCostBasisMethod,
  type TLedgerTransaction,
  type TTransactionType,
} from './ledger.ts';
import { addDays, dailyValues, performanceOf, type TDailyCloses } from './performance.ts';
import { xirr } from './xirr.ts';

// scripts/portfolio-reference.py recomputes, with exact rationals and its own solver, what the engine
// computes here for a generated history; both must agree.
const python = path.join(
  process.env.TEST_PYTHON_BIN ?? '/usr/bin',
  process.env.TEST_PYTHON_BIN ? 'python' : 'python3',
);

/** A small deterministic PRNG (mulberry32), so the generated history is the same on every run. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type TGenerated = {
  transactions: (TLedgerTransaction & { sequence: number })[];
  closes: Record<string, [string, string][]>;
  from: string;
  to: string;
};

/** About 400 transactions over 700 days in five coins: buys, sells, income, transfers in and out (and cash). */
function generate(seed: number, cashTracking: boolean): TGenerated {
  const next = random(seed);
  const symbols = ['AAA', 'BBB', 'CCC', 'DDD', 'EEE'];
  const from = '2023-01-01';
  const days = 700;
  const closes: Record<string, [string, string][]> = {};
  const price: Record<string, number> = {};
  for (const [index, symbol] of symbols.entries()) price[symbol] = 10 ** (index - 1) * (1 + next() * 9);
  const held: Record<string, Decimal> = Object.fromEntries(symbols.map((symbol) => [symbol, dec(0)]));
  const transactions: (TLedgerTransaction & { sequence: number })[] = [];
  let cash = dec(0);
  for (let day = 0; day < days; day += 1) {
    const date = addDays(from, day);
    for (const symbol of symbols) {
      price[symbol] = price[symbol]! * Math.exp((next() - 0.5) * 0.08);
      // One coin has gaps: a day without a close carries the last one forward.
      if (symbol === 'EEE' && next() < 0.15) continue;
      (closes[symbol] ??= []).push([date, price[symbol]!.toFixed(8)]);
    }
    if (next() > 0.55) continue;
    const symbol = symbols[Math.floor(next() * symbols.length)]!;
    const close = dec(price[symbol]!.toFixed(8));
    const quantity = dec((next() * 5 + 0.01).toFixed(8));
    const roll = next();
    let type: TTransactionType = 'buy';
    if (cashTracking && (roll < 0.1 || cash.lt(close.times(quantity).times(2)))) type = 'deposit';
    else if (roll < 0.45) type = 'buy';
    else if (roll < 0.75) type = 'sell';
    else if (roll < 0.83) type = 'income';
    else if (roll < 0.9) type = 'transfer_in';
    else if (roll < 0.95) type = 'transfer_out';
    else type = cashTracking ? 'withdrawal' : 'buy';
    let amount = quantity;
    if ((type === 'sell' || type === 'transfer_out') && held[symbol]!.lt(quantity)) {
      if (held[symbol]!.isZero()) type = 'buy';
      else amount = held[symbol]!;
    }
    if (type === 'withdrawal' && cash.lt(100)) type = 'buy';
    const fee = type === 'buy' || type === 'sell' ? dec((next() * 2).toFixed(2)) : dec(0);
    const tradePrice = close.times(dec(1 + (next() - 0.5) * 0.02)).toDecimalPlaces(8);
    const cashMove = type === 'deposit' || type === 'withdrawal';
    const tx = {
      id: `tx-${transactions.length}`,
      sequence: transactions.length,
      type,
      symbol: cashMove ? 'USD' : symbol,
      quantity: cashMove ? dec((1000 + next() * 5000).toFixed(2)) : amount,
      price: cashMove ? null : type === 'income' ? close : tradePrice,
      fee,
      timestamp: new Date(`${date}T${String(1 + Math.floor(next() * 22)).padStart(2, '0')}:00:00Z`),
      lot_ids: null,
    };
    if (type === 'withdrawal') tx.quantity = dec(Math.min(500, cash.toNumber() / 2).toFixed(2));
    if (type === 'buy' && cashTracking && cash.lt(tx.quantity.times(tx.price!).plus(fee))) continue;
    transactions.push(tx);
    const gross = tx.price ? tx.quantity.times(tx.price) : dec(0);
    if (type === 'buy' || type === 'income' || type === 'transfer_in')
      held[symbol] = held[symbol]!.plus(tx.quantity);
    if (type === 'sell' || type === 'transfer_out') held[symbol] = held[symbol]!.minus(tx.quantity);
    cash = cash.plus(
      type === 'deposit'
        ? tx.quantity
        : type === 'withdrawal'
          ? tx.quantity.neg()
          : type === 'buy'
            ? gross.plus(fee).neg()
            : type === 'sell'
              ? gross.minus(fee)
              : dec(0),
    );
  }
  return { transactions, closes, from, to: addDays(from, days - 1) };
}

async function reference(generated: TGenerated, cashTracking: boolean, feesInBasis: boolean) {
  const child = promisify(execFile)(python, [path.join(ROOT, 'scripts', 'portfolio-reference.py')], {
    timeout: 60_000,
    maxBuffer: 64 * 2 ** 20,
  });
  child.child.stdin!.end(
    JSON.stringify({
      transactions: generated.transactions.map((tx) => ({
        ...tx,
        quantity: tx.quantity.toFixed(),
        price: tx.price?.toFixed() ?? null,
        fee: tx.fee.toFixed(),
        timestamp: tx.timestamp.toISOString(),
      })),
      closes: generated.closes,
      from: generated.from,
      to: generated.to,
      cash_tracking: cashTracking,
      fees_in_cost_basis: feesInBasis,
    }),
  );
  return JSON.parse((await child).stdout) as {
    methods: Record<
      string,
      {
        realized: Record<string, string>;
        open: Record<string, { quantity_exact: string; cost_exact: string }>;
      }
    >;
    twr: number;
    xirr: number | null;
    value_end: string;
    values: string[];
  };
}

/** An exact rational "n/d" against a decimal, to within 1e-12 (the engine rounds divisions at 18 places). */
const close = (rational: string, value: Decimal, label: string) => {
  const [n, d] = rational.split('/');
  const exact = dec(n!).div(dec(d!));
  withContext(`${label}: reference ${exact.toFixed()} engine ${value.toFixed()}`, () =>
    expect(exact.minus(value).abs().lte('1e-12')).toBe(true),
  );
};

describe.each([
  ['without cash tracking, fees in the basis', false, true, 1],
  ['with cash tracking, fees kept apart', true, false, 2],
])('The engine against the Python reference (%s)', (_name, cashTracking, feesInBasis, seed) => {
  const generated = generate(seed, cashTracking);
  let expected: Awaited<ReturnType<typeof reference>>;

  test('When the reference runs, then the generated history has a few hundred transactions of every kind', async () => {
    expect(generated.transactions.length).toBeGreaterThan(250);
    const kinds = new Set(generated.transactions.map((tx) => tx.type));
    for (const kind of ['buy', 'sell', 'income', 'transfer_in', 'transfer_out'] as const)
      expect(kinds.has(kind)).toBe(true);
    if (cashTracking) expect(kinds.has('deposit')).toBe(true);
    expected = await reference(generated, cashTracking, feesInBasis);
  });

  test.each(['fifo', 'lifo', 'hifo', 'average'] as TCostBasisMethod[])(
    'When the lots are run under %s, then realized P&L per coin and the open quantity and cost per coin match the reference',
    (method) => {
      const ledger = runLedger(generated.transactions, {
        method,
        feesInCostBasis: feesInBasis,
        cashTracking,
        allowNegative: false,
      });
      const reference = expected.methods[method]!;
      const realized = new Map<string, Decimal>();
      for (const disposal of ledger.disposals) {
        if (disposal.proceeds.isZero() && disposal.cost.isZero()) continue;
        realized.set(disposal.symbol, (realized.get(disposal.symbol) ?? dec(0)).plus(disposal.gain));
      }
      expect([...realized.keys()].sort()).toEqual(Object.keys(reference.realized).sort());
      for (const [symbol, gain] of realized)
        close(reference.realized[symbol]!, gain, `${method} realized ${symbol}`);
      expect([...ledger.lots.keys()].sort()).toEqual(Object.keys(reference.open).sort());
      for (const [symbol, lots] of ledger.lots) {
        close(
          reference.open[symbol]!.quantity_exact,
          sum(lots.map((lot) => lot.quantity)),
          `${method} quantity ${symbol}`,
        );
        close(
          reference.open[symbol]!.cost_exact,
          sum(lots.map((lot) => lot.cost)),
          `${method} cost ${symbol}`,
        );
      }
    },
  );

  test('When the history is valued day by day, then every daily value, the TWR and the XIRR match the reference', () => {
    const closes: TDailyCloses = new Map(
      Object.entries(generated.closes).map(([symbol, rows]) => [
        symbol,
        rows.map(([date, price]) => ({ date, price: dec(price) })),
      ]),
    );
    const valuation = dailyValues({
      transactions: generated.transactions,
      closes,
      cashTracking,
      from: generated.from,
      to: generated.to,
    });
    expect(valuation.days).toHaveLength(expected.values.length);
    valuation.days.forEach((day, index) => close(expected.values[index]!, day.value, `value on ${day.date}`));
    const performance = performanceOf(valuation);
    expect(Math.abs(performance.twr - expected.twr)).toBeLessThan(1e-9);
    const rate = xirr([
      { date: valuation.start.date, amount: -valuation.start.value.toNumber() },
      ...valuation.days.map((day) => ({ date: day.date, amount: day.outflow.minus(day.inflow).toNumber() })),
      { date: generated.to, amount: valuation.days.at(-1)!.value.toNumber() },
    ]).rate;
    expect(expected.xirr).not.toBeNull();
    expect(Math.abs(rate! - expected.xirr!)).toBeLessThan(1e-8);
    expect(performance.mwr_annualized).toBeCloseTo(expected.xirr!, 8);
  });
});
