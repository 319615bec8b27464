import { expect, test } from '@jest/globals';
import { dec, money, sum, ZERO } from './decimal.ts';
import { runLedger, type TCostBasisMethod } from './ledger.ts';
import type { TLedgerTransaction } from './transaction.ts';
import { dailyValues, performanceOf } from './performance.ts';

// The worked example of docs/portfolio-methodology.md: every number the document gives is checked here.
const transactions: TLedgerTransaction[] = [
  ['2024-01-01', '2', '100', '2'],
  ['2024-01-02', '1', '130', '1'],
  ['2024-01-03', '2.5', '150', '3'],
].map(([day, quantity, price, fee], index) => ({
  id: ['A', 'B', 'S'][index]!,
  type: index === 2 ? 'sell' : 'buy',
  symbol: 'BTC',
  quantity: dec(quantity!),
  price: dec(price!),
  fee: dec(fee!),
  timestamp: new Date(`${day}T12:00:00Z`),
  lot_ids: null,
}));
const closes = new Map([
  [
    'BTC',
    [
      ['2024-01-01', '100'],
      ['2024-01-02', '130'],
      ['2024-01-03', '150'],
      ['2024-01-04', '140'],
    ].map(([date, price]) => ({ date: date!, price: dec(price!) })),
  ],
]);

test.each([
  ['fifo', '267.5', '104.5', '65.5'],
  ['lifo', '282.5', '89.5', '50.5'],
  ['hifo', '282.5', '89.5', '50.5'],
  ['average', '277.5', '94.5', '55.5'],
] as [TCostBasisMethod, string, string, string][])(
  'Worked example under %s: the sale of 2.5 BTC costs %s, gains %s, and leaves 0.5 BTC costing %s',
  (method, cost, gain, left) => {
    const ledger = runLedger(transactions, {
      method,
      feesInCostBasis: true,
      cashTracking: false,
      allowNegative: false,
    });
    expect(money(sum(ledger.disposals.map((d) => d.cost)))).toBe(cost);
    expect(money(sum(ledger.disposals.map((d) => d.gain)))).toBe(gain);
    expect(money(sum(ledger.disposals.map((d) => d.proceeds)))).toBe('372');
    expect(money(sum(ledger.lots.get('BTC')!.map((lot) => lot.cost)))).toBe(left);
  },
);

test('Worked example: FIFO splits the proceeds 297.6 and 74.4 over the two lots', () => {
  const ledger = runLedger(transactions, {
    method: 'fifo',
    feesInCostBasis: true,
    cashTracking: false,
    allowNegative: false,
  });
  expect(
    ledger.disposals.map((d) => [d.lot_id, money(d.quantity), money(d.proceeds), money(d.gain)]),
  ).toEqual([
    ['A', '2', '297.6', '95.6'],
    ['B', '0.5', '74.4', '8.9'],
  ]);
});

test('Worked example: values 200, 390, 75, 70; daily TWR −0.990 %, +17.825 %, +14.615 %, −6.667 %, chained +24.794 %; MWR over the 3 days +61.444 %', () => {
  const valuation = dailyValues({
    transactions,
    closes,
    cashTracking: false,
    from: '2024-01-01',
    to: '2024-01-04',
  });
  expect(valuation.days.map((day) => day.value.toString())).toEqual(['200', '390', '75', '70']);
  expect(valuation.days.map((day) => [day.inflow.toString(), day.outflow.toString()])).toEqual([
    ['202', '0'],
    ['131', '0'],
    ['0', '372'],
    ['0', '0'],
  ]);
  const performance = performanceOf(valuation);
  expect(performance.series.map((point) => point.twr_cumulative.toFixed(6))).toEqual([
    '-0.009901',
    '0.166582',
    '0.337082',
    '0.247944',
  ]);
  expect(performance.twr).toBeCloseTo(0.24794352547, 10);
  expect(performance.mwr).toBeCloseTo(0.6144392769, 8);
  expect(performance.mwr_annualized).toBeNull();
  expect(performance.gain).toBe(String(70 - (202 + 131 - 372)));
  expect(performance.fees).toBe('6');
  expect(ZERO.toString()).toBe('0');
});
