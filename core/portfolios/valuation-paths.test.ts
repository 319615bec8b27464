import { describe, expect, test } from '@jest/globals';
import { referenceDailyValues } from './test/performance-reference.ts';
import { generateHistory, random } from '../../test/portfolio-history.ts';
import { dec, type Decimal } from './decimal.ts';
import { ExactSum, scaledOf } from './exact-sum.ts';
import { dailyValues, decimalCloses, performanceOf, type TDay } from './performance.ts';

/** Every amount as its full string and its sign (decimal.js keeps the sign of a zero). */
const exact = (value: Decimal) => `${value.isNegative() ? '-' : '+'}${value.toString()}`;
const days = (list: TDay[]) =>
  list.map((day) => [
    day.date,
    exact(day.value),
    exact(day.inflow),
    exact(day.outflow),
    exact(day.income),
    exact(day.fees),
  ]);

function bothPaths(history: ReturnType<typeof generateHistory>, cashTracking: boolean, from: string) {
  const closes = new Map(
    Object.entries(history.closes).map(([symbol, rows]) => [
      symbol,
      rows.map(([date, price]) => ({ date, price })),
    ]),
  );
  const input = { transactions: history.transactions, cashTracking, from, to: history.to };
  const fresh = dailyValues({
    ...input,
    closes: new Map([...closes].map(([symbol, rows]) => [symbol, decimalCloses(rows)])),
  });
  const reference = referenceDailyValues({
    ...input,
    closes: new Map(
      [...closes].map(([symbol, rows]) => [
        symbol,
        rows.map((row) => ({ date: row.date, price: dec(row.price) })),
      ]),
    ),
  });
  return { fresh, reference };
}

describe('The daily valuation against the reference path (before the integer sums)', () => {
  test('When generated portfolios (with and without cash tracking, whole history or from the middle) are valued, then every day is the same to the last digit, and so is the performance', () => {
    for (const [seed, cashTracking] of [
      [1, false],
      [2, true],
      [3, false],
      [4, true],
    ] as const) {
      const history = generateHistory({
        seed,
        coins: 12,
        days: 400,
        transactions: 1500,
        cashTracking,
        from: '2023-01-01',
      });
      for (const from of [history.from, '2023-07-15']) {
        const { fresh, reference } = bothPaths(history, cashTracking, from);
        expect(exact(fresh.start.value)).toBe(exact(reference.start.value));
        expect(days(fresh.days)).toEqual(days(reference.days));
        expect(performanceOf(fresh)).toEqual(performanceOf(reference));
      }
    }
  });

  test('When products or sums need more than 40 digits, or a day is worth zero, then the decimal path answers that day, the same as before', () => {
    const history = generateHistory({
      seed: 9,
      coins: 4,
      days: 120,
      transactions: 300,
      cashTracking: false,
      from: '2024-01-01',
    });
    // Huge and tiny closes with long fractions: products over 40 digits, rounded by decimal.js.
    const [first, second] = history.symbols;
    history.closes[first!] = history.closes[first!]!.map(([date], index) => [
      date,
      `${123456789012 + index}.123456789012345678`,
    ]);
    history.closes[second!] = history.closes[second!]!.map(([date], index) => [
      date,
      index % 10 === 0 ? '0' : `0.0000000${index}12345678901234567`,
    ]);
    history.transactions = history.transactions.map((tx) =>
      tx.symbol === first && tx.type === 'buy'
        ? { ...tx, quantity: tx.quantity.plus('0.123456789012345678') }
        : tx,
    );
    const { fresh, reference } = bothPaths(history, false, history.from);
    expect(days(fresh.days)).toEqual(days(reference.days));
    const { fresh: empty, reference: emptyReference } = bothPaths(
      { ...history, transactions: [] },
      false,
      history.from,
    );
    expect(days(empty.days)).toEqual(days(emptyReference.days));
  });
});

describe('Exact sums', () => {
  test('When a sum fits in 40 digits it is the decimal one; beyond, it gives way', () => {
    const next = random(3);
    for (let run = 0; run < 2000; run += 1) {
      const terms = Array.from({ length: 1 + Math.floor(next() * 6) }, () => {
        const text = (digits: number) =>
          `${next() < 0.3 ? '-' : ''}${Math.floor(next() * 10 ** Math.min(digits, 15))}.${String(Math.floor(next() * 1e15)).slice(0, Math.floor(next() * 19))}`.replace(
            /\.$/,
            '',
          );
        return [text(Math.floor(next() * 20)), text(Math.floor(next() * 12))] as const;
      });
      const start = `${Math.floor(next() * 1e6)}.${Math.floor(next() * 100)}`;
      const sum = new ExactSum(scaledOf(start));
      let decimal = dec(start);
      for (const [quantity, price] of terms) {
        sum.addProduct(scaledOf(quantity)!, scaledOf(price)!);
        decimal = decimal.plus(dec(quantity).times(dec(price)));
      }
      const value = sum.value();
      if (value) expect(value.toString()).toBe(decimal.toString());
      else expect(!sum.exact || decimal.isZero()).toBe(true);
    }
    expect(scaledOf('1e5')).toBeNull();
    expect(scaledOf('NaN')).toBeNull();
  });
});
