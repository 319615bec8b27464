import { expect, test } from '@jest/globals';
import { dec, ZERO } from './decimal.ts';
import { driftOf, holdingsOf } from './holdings.ts';
import { runLedger } from './ledger.ts';

const tx = (
  type: 'buy' | 'deposit',
  symbol: string,
  quantity: string,
  price: string | null,
  day: number,
) => ({
  id: `${symbol}${day}`,
  type,
  symbol,
  quantity: dec(quantity),
  price: price === null ? null : dec(price),
  fee: ZERO,
  timestamp: new Date(Date.UTC(2024, 0, day)),
  lot_ids: null,
});

test('When a coin has no price, then it is listed as unpriced and counts 0 in the totals; cash counts in the value and the weights', () => {
  const ledger = runLedger(
    [tx('deposit', 'USD', '1000', null, 1), tx('buy', 'BTC', '1', '100', 2), tx('buy', 'NEW', '10', '1', 3)],
    { method: 'fifo', feesInCostBasis: true, cashTracking: true, allowNegative: false },
  );
  const result = holdingsOf(
    ledger,
    new Map([
      ['BTC', dec('300')],
      ['NEW', null],
    ]),
    true,
  );
  expect(result.cash).toBe('890');
  expect(result.totals).toEqual({
    market_value: '300',
    cost_basis: '110',
    unrealized_pnl: '200',
    value: '1190',
    unpriced: ['NEW'],
  });
  const btc = result.holdings.find((holding) => holding.symbol === 'BTC')!;
  expect(btc.weight).toBeCloseTo(300 / 1190, 12);
  expect(result.holdings.find((holding) => holding.symbol === 'NEW')).toMatchObject({
    market_value: null,
    weight: null,
    unrealized_pnl_pct: null,
  });
});

test('When drift is computed with cash and a target of a coin not held, then trades add up to zero and cash has no quantity', () => {
  const { total_value, rows } = driftOf(
    new Map([
      ['BTC', { value: dec('600'), price: dec('300') }],
      ['USD', { value: dec('400'), price: dec('1') }],
    ]),
    new Map([
      ['BTC', dec('0.5')],
      ['ETH', dec('0.3')],
      ['USD', dec('0.2')],
    ]),
  );
  expect(total_value).toBe('1000');
  const bySymbol = Object.fromEntries(rows.map((row) => [row.symbol, row]));
  expect(bySymbol.BTC).toMatchObject({ trade_value: '-100', trade_quantity: '-0.333333333333333333' });
  expect(bySymbol.ETH).toMatchObject({ current_weight: 0, trade_value: '300', trade_quantity: null });
  expect(bySymbol.USD).toMatchObject({ trade_value: '-200', trade_quantity: null });
  expect(rows.reduce((total, row) => total.plus(row.trade_value), ZERO).toString()).toBe('0');
});
