import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from '@jest/globals';
import { ROOT } from '../../test/processes.ts';
import { withContext } from '../../test/expect-context.ts';
import { dec, type Decimal, sum } from './decimal.ts';
import { runLedger, type TCostBasisMethod } from './ledger.ts';
import { dailyValues, performanceOf, type TDailyCloses } from './performance.ts';
import { generateHistory, type TGeneratedHistory } from '../../test/portfolio-history.ts';
import { xirr } from './xirr.ts';

// scripts/portfolio-reference.py recomputes, with exact rationals and its own solver, what the engine
// computes here for a generated history; both must agree.
const python = path.join(
  process.env.TEST_PYTHON_BIN ?? '/usr/bin',
  process.env.TEST_PYTHON_BIN ? 'python' : 'python3',
);

async function reference(generated: TGeneratedHistory, cashTracking: boolean, feesInBasis: boolean) {
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
  const generated = generateHistory({
    seed,
    coins: 5,
    days: 700,
    transactions: 400,
    cashTracking,
    from: '2023-01-01',
  });
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
