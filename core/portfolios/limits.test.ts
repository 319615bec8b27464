import { describe, expect, test } from '@jest/globals';
import { percentile } from '../risk/index.ts';
import { dec } from './decimal.ts';
import {
  limitStatus,
  measure,
  portfolioVar95,
  preTradeCheck,
  type TLimit,
  type TMarketContext,
  type TPositions,
} from './limits.ts';

// BTC 1 at 30,000 and ETH 10 at 2,000, with 30,000 cash: the portfolio is worth 80,000.
const positions: TPositions = {
  coins: new Map([
    ['BTC', { quantity: dec(1), price: dec(30000) }],
    ['ETH', { quantity: dec(10), price: dec(2000) }],
  ]),
  cash: dec(30000),
};
const noMarket: TMarketContext = { returns: new Map(), drawdown: null };
let ids = 0;
const limit = (type: TLimit['type'], value: string, extra: Partial<TLimit> = {}): TLimit => ({
  id: `l${(ids += 1)}`,
  type,
  symbol: null,
  value,
  hard: true,
  ...extra,
});
const check = (
  order: { side: 'buy' | 'sell'; symbol?: string; quantity: string; price?: string },
  limits: TLimit[],
  context = noMarket,
) =>
  preTradeCheck({
    positions,
    order: {
      symbol: order.symbol ?? 'BTC',
      side: order.side,
      quantity: dec(order.quantity),
      price: dec(order.price ?? (order.symbol === 'ETH' ? '2000' : '30000')),
      fee: dec(0),
    },
    limits,
    context,
    cashTracking: true,
    allowNegative: false,
  });

describe('Measures', () => {
  test('When positions are measured, then weights are of the whole value (cash included) and HHI of the coins alone', () => {
    expect(
      measure(limit('max_position_weight', '1', { symbol: 'BTC' }), positions, noMarket)!.toFixed(),
    ).toBe('0.375');
    expect(measure(limit('max_position_weight', '1'), positions, noMarket)!.toFixed()).toBe('0.375');
    expect(measure(limit('max_position_value', '1', { symbol: 'ETH' }), positions, noMarket)!.toFixed()).toBe(
      '20000',
    );
    expect(measure(limit('max_hhi', '1'), positions, noMarket)!.toFixed()).toBe('0.52'); // 0.6² + 0.4²
    expect(measure(limit('min_cash_weight', '0'), positions, noMarket)!.toFixed()).toBe('0.375');
    expect(
      measure(limit('max_position_weight', '1', { symbol: 'SOL' }), positions, noMarket)!.toFixed(),
    ).toBe('0');
  });

  test('When VaR is asked, then it is the 5th percentile loss of the weighted daily returns on the dates every held coin has', () => {
    const dates = Array.from({ length: 40 }, (_, index) => `2024-02-${String(index + 1).padStart(2, '0')}`);
    const btc = new Map(dates.map((date, index) => [date, ((index % 10) - 5) / 100]));
    const eth = new Map(dates.slice(5).map((date) => [date, 0.01]));
    const context = {
      returns: new Map([
        ['BTC', btc],
        ['ETH', eth],
      ]),
      drawdown: null,
    };
    const expected =
      0 -
      percentile(
        dates.slice(5).map((date) => 0.375 * btc.get(date)! + 0.25 * 0.01),
        5,
      );
    expect(portfolioVar95(positions, context)).toBeCloseTo(expected, 15);
    expect(expected).toBeGreaterThan(0);
    // One coin without returns: no VaR (not a made-up one).
    expect(portfolioVar95(positions, { returns: new Map([['BTC', btc]]), drawdown: null })).toBeNull();
    // Fewer than 30 shared days: none either.
    const short = new Map(dates.slice(20).map((date) => [date, 0.01]));
    expect(
      portfolioVar95(positions, {
        returns: new Map([
          ['BTC', btc],
          ['ETH', short],
        ]),
        drawdown: null,
      }),
    ).toBeNull();
  });

  test('When limits are set, then their state says ok, warning (soft beyond) or breached (hard beyond), with the headroom', () => {
    const statuses = limitStatus(
      [
        limit('max_position_weight', '0.4', { symbol: 'BTC' }),
        limit('max_hhi', '0.5', { hard: false }),
        limit('min_cash_weight', '0.5'),
        limit('max_var_95', '0.1'),
      ],
      positions,
      noMarket,
    );
    expect(
      statuses.map(({ state, current, headroom, reason }) => ({ state, current, headroom, reason })),
    ).toEqual([
      { state: 'ok', current: '0.375', headroom: '0.025', reason: null },
      { state: 'warning', current: '0.52', headroom: '-0.02', reason: null },
      { state: 'breached', current: '0.375', headroom: '-0.125', reason: null },
      { state: 'ok', current: null, headroom: null, reason: 'insufficient_history' },
    ]);
  });
});

describe('Pre-trade check', () => {
  test('When a buy would lift BTC over a hard weight limit and cash under a soft minimum, then it is denied with both codes, and a passing HHI limit says so', () => {
    const result = check({ side: 'buy', quantity: '0.5' }, [
      limit('max_position_weight', '0.5', { symbol: 'BTC' }),
      limit('min_cash_weight', '0.2', { hard: false }),
      limit('max_hhi', '0.6'),
    ]);
    expect(result.allowed).toBe(false);
    expect(result.decision).toBe('deny');
    expect(
      result.checks.map(({ code, current, after, passed, blocking }) => ({
        code,
        current,
        after,
        passed,
        blocking,
      })),
    ).toEqual([
      { code: 'INSUFFICIENT_CASH', current: '30000', after: '15000', passed: true, blocking: true },
      {
        code: 'POSITION_WEIGHT_EXCEEDS_MAX',
        current: '0.375',
        after: '0.5625',
        passed: false,
        blocking: true,
      },
      { code: 'CASH_BELOW_MIN', current: '0.375', after: '0.1875', passed: false, blocking: false },
      // 45,000 and 20,000 of 65,000 in coins: (2025 + 400) / 4225.
      {
        code: 'CONCENTRATION_EXCEEDS_MAX',
        current: '0.52',
        after: dec(2425).div(4225).toDecimalPlaces(18).toFixed(),
        passed: true,
        blocking: true,
      },
    ]);
    expect(result.after.coins.get('BTC')!.quantity.toFixed()).toBe('1.5');
  });

  test('When only a soft limit fails, then the order is allowed with a warning', () => {
    const result = check({ side: 'buy', quantity: '0.5' }, [
      limit('min_cash_weight', '0.2', { hard: false }),
    ]);
    expect(result).toMatchObject({ allowed: true, decision: 'warn' });
  });

  test('When a sell exceeds the holding or a buy the cash, then the balance checks deny it', () => {
    const sell = check({ side: 'sell', symbol: 'ETH', quantity: '11' }, []);
    expect(sell.checks).toEqual([
      expect.objectContaining({ code: 'INSUFFICIENT_QUANTITY', current: '10', after: '-1', passed: false }),
    ]);
    expect(sell.allowed).toBe(false);
    const buy = check({ side: 'buy', quantity: '2' }, []);
    expect(buy.checks).toEqual([
      expect.objectContaining({ code: 'INSUFFICIENT_CASH', after: '-30000', passed: false }),
    ]);
  });

  test('When a limit is already breached, then an order that reduces the breach passes and one that deepens it does not', () => {
    const anyCoin = limit('max_position_weight', '0.3');
    expect(check({ side: 'sell', quantity: '0.1' }, [anyCoin]).allowed).toBe(true); // 0.375 → 0.3375
    expect(check({ side: 'buy', quantity: '0.1' }, [anyCoin]).allowed).toBe(false); // 0.375 → 0.4125
  });

  test('When the drawdown is beyond its hard limit, then buys are denied and sells pass', () => {
    const context = { returns: new Map(), drawdown: 0.25 };
    const drawdown = limit('max_drawdown', '0.2');
    const buy = check({ side: 'buy', symbol: 'ETH', quantity: '1' }, [drawdown], context);
    expect(buy.checks[1]).toMatchObject({
      code: 'DRAWDOWN_EXCEEDS_MAX',
      current: '0.25',
      after: '0.25',
      passed: false,
    });
    expect(check({ side: 'sell', symbol: 'ETH', quantity: '1' }, [drawdown], context).allowed).toBe(true);
    expect(
      check({ side: 'buy', symbol: 'ETH', quantity: '1' }, [limit('max_drawdown', '0.3')], context).allowed,
    ).toBe(true);
  });
});
