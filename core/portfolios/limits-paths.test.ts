import { describe, expect, test } from '@jest/globals';
import * as reference from './test/limits-reference.ts';
import { random } from '../../test/portfolio-history.ts';
import { percentile } from '../risk/index.ts';
import { Decimal, dec } from './decimal.ts';
import {
  LIMIT_TYPES,
  limitStatus,
  preTradeCheck,
  type TLimit,
  type TMarketContext,
  type TPositions,
} from './limits.ts';
import { selectedPercentile } from './returns-matrix.ts';

/** Every Decimal as its full string, so two answers compare to the last digit. */
const exact = (value: unknown) =>
  JSON.parse(JSON.stringify(value, (_, item) => (item instanceof Map ? [...item] : item)));

/**
 * A generated portfolio: coins with random-walk closes (some with gaps, one sometimes without any), their
 * daily returns as the closes memo computes them, positions (some without a price, some zero), cash.
 */
function generated(seed: number) {
  const next = random(seed);
  const coinCount = 1 + Math.floor(next() * 60);
  const days = 20 + Math.floor(next() * 400);
  const symbols = Array.from({ length: coinCount }, (_, index) => `K${index}`);
  const returns = new Map<string, Map<string, number>>();
  for (const symbol of symbols) {
    if (next() < 0.03) continue; // no closes at all
    const gappy = next() < 0.2;
    let price = 10 ** Math.floor(next() * 6 - 2) * (1 + next());
    let previous: number | null = null;
    const daily = new Map<string, number>();
    for (let day = 0; day < days; day += 1) {
      if (gappy && next() < 0.1) continue;
      // Some flat days (zero returns, ties for the percentile) and a rare exact repeat of a price.
      if (next() > 0.1) price *= Math.exp((next() - 0.5) * 0.1);
      const close = Number(price.toFixed(8));
      if (previous !== null && previous !== 0)
        daily.set(
          `2025-${String(1 + Math.floor(day / 28)).padStart(2, '0')}-${String(1 + (day % 28)).padStart(2, '0')}`,
          close / previous - 1,
        );
      previous = close;
    }
    returns.set(symbol, daily);
  }
  const coins = new Map(
    symbols
      .filter(() => next() < 0.9)
      .map((symbol) => [
        symbol,
        {
          quantity: next() < 0.1 ? dec(0) : dec((next() * 1000).toFixed(8)).times(next() < 0.05 ? -1 : 1),
          price: next() < 0.05 ? null : dec((10 ** Math.floor(next() * 6 - 2) * (1 + next())).toFixed(8)),
        },
      ]),
  );
  const cashTracking = next() < 0.5;
  const positions: TPositions = {
    coins,
    cash: cashTracking ? dec((next() * 100_000).toFixed(2)) : dec(0),
  };
  const context: TMarketContext = {
    returns,
    drawdown: next() < 0.5 ? null : next() * 0.5,
  };
  return { next, symbols, positions, context, cashTracking };
}

/** Limits of every type around the portfolio's current measures, so some pass and some breach. */
function limitsFor(next: () => number, symbols: string[], positions: TPositions, context: TMarketContext) {
  const limits: TLimit[] = [];
  for (const [index, type] of LIMIT_TYPES.entries()) {
    const symbol =
      (type === 'max_position_weight' || type === 'max_position_value') && next() < 0.5
        ? symbols[Math.floor(next() * symbols.length)]!
        : null;
    const probe: TLimit = { id: `p${index}`, type, symbol, value: '0', hard: true };
    const now = reference.measure(probe, positions, context);
    const base = now === null ? dec(next()) : now.abs();
    const value = base.times(0.5 + next()).toDecimalPlaces(18);
    limits.push({
      id: `l${index}`,
      type,
      symbol,
      value: (type === 'max_position_value' ? value : Decimal.min(value, 1)).toFixed(),
      hard: next() < 0.7,
    });
  }
  return limits;
}

describe('The pre-trade check against the reference path (before the kept returns matrix)', () => {
  test('When 120 generated portfolios face orders that breach and orders that do not, then every answer is the same to the last digit', () => {
    let breached = 0;
    let passed = 0;
    for (let seed = 1; seed <= 120; seed += 1) {
      const { next, symbols, positions, context, cashTracking } = generated(seed);
      const limits = limitsFor(next, symbols, positions, context);
      expect(exact(limitStatus(limits, positions, context))).toEqual(
        exact(reference.limitStatus(limits, positions, context)),
      );
      for (let round = 0; round < 4; round += 1) {
        const symbol = next() < 0.8 ? symbols[Math.floor(next() * symbols.length)]! : 'NEW';
        const input = {
          positions,
          order: {
            symbol,
            side: next() < 0.5 ? ('buy' as const) : ('sell' as const),
            // Small orders and ones that move the portfolio a lot.
            quantity: dec((next() * (next() < 0.5 ? 1 : 100_000)).toFixed(8)),
            price: dec((10 ** Math.floor(next() * 6 - 2) * (1 + next())).toFixed(8)),
            fee: dec(next().toFixed(4)),
          },
          limits,
          context,
          cashTracking,
          allowNegative: next() < 0.2,
        };
        const answer = preTradeCheck(input);
        expect(exact(answer)).toEqual(exact(reference.preTradeCheck(input)));
        for (const check of answer.checks)
          if (check.passed) passed += 1;
          else breached += 1;
      }
    }
    // The generated cases reach both sides of the limits.
    expect(breached).toBeGreaterThan(100);
    expect(passed).toBeGreaterThan(100);
  });

  test('When a NaN return is among the closes, then the VaR is the reference one too', () => {
    const { positions, context } = generated(7);
    const [symbol, daily] = [...context.returns].find(([coin]) => positions.coins.has(coin))!;
    const poisoned = new Map(context.returns);
    poisoned.set(
      symbol,
      new Map([...daily].map(([date, value], index) => [date, index === 3 ? NaN : value])),
    );
    const limits: TLimit[] = [{ id: 'v', type: 'max_var_95', symbol: null, value: '0.05', hard: true }];
    const withNaN = { ...context, returns: poisoned };
    expect(exact(limitStatus(limits, positions, withNaN))).toEqual(
      exact(reference.limitStatus(limits, positions, withNaN)),
    );
  });
});

describe('Percentile by selection', () => {
  test('When values have ties, zeros of both signs, one value or many, then it is the sorted percentile exactly', () => {
    const next = random(5);
    for (let run = 0; run < 500; run += 1) {
      const length = 1 + Math.floor(next() * 400);
      const values = Array.from({ length }, () => {
        const roll = next();
        if (roll < 0.1) return 0;
        if (roll < 0.15) return -0;
        if (roll < 0.3) return Math.round(next() * 4) / 100; // ties
        return (next() - 0.5) * 0.2;
      });
      for (const p of [0, 5, 100 * (1 - 0.95), 100 * (1 - 0.99), 50, 99, 100]) {
        expect(Object.is(selectedPercentile(Float64Array.from(values), p), percentile(values, p))).toBe(true);
      }
    }
  });
});
