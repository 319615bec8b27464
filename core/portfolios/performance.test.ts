import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { dec, ZERO } from './decimal.ts';
import type { TLedgerTransaction } from './transaction.ts';
import {
  addDays,
  annualize,
  benchmarkReturn,
  chain,
  dailyTwr,
  dailyValues,
  performanceOf,
  type TDay,
} from './performance.ts';
import { xirr } from './xirr.ts';

const day = (date: string, value: string, inflow = '0', outflow = '0'): TDay => ({
  date,
  value: dec(value),
  inflow: dec(inflow),
  outflow: dec(outflow),
  income: ZERO,
  fees: ZERO,
});

describe('XIRR (Actual/365)', () => {
  test('Portfolio Performance IRRTest: −200 on 2010-01-01, +210 on 2010-12-31 gives 5.0140747 %', () => {
    const result = xirr([
      { date: '2010-01-01', amount: -200 },
      { date: '2010-12-31', amount: 210 },
    ]);
    expect(result.rate).toBeCloseTo(0.050140747, 8);
  });

  test('Portfolio Performance IRRTest: a root near −100 % (−1560.94, −1160, +42.80) is found: −99.9251643 %', () => {
    const result = xirr([
      { date: '2019-05-24', amount: -1560.94 },
      { date: '2020-01-13', amount: -1160 },
      { date: '2020-06-29', amount: 42.8 },
    ]);
    expect(result.rate).toBeCloseTo(-0.999251643, 8);
  });

  test('Portfolio Performance IRR help: 155 invested 878 days before a value of 190.06 is 8.85 % a year', () => {
    const result = xirr([
      { date: '2020-01-01', amount: -155 },
      { date: addDays('2020-01-01', 878), amount: 190.06 },
    ]);
    expect(result.rate).toBeCloseTo(0.0885, 4);
  });

  test('When the flows never change sign or are too few, then there is no rate, with the reason', () => {
    expect(xirr([{ date: '2024-01-01', amount: -1 }])).toEqual({
      rate: null,
      period: null,
      reason: 'too_few_flows',
    });
    expect(
      xirr([
        { date: '2024-01-01', amount: -1 },
        { date: '2024-06-01', amount: -2 },
      ]),
    ).toEqual({ rate: null, period: null, reason: 'no_sign_change' });
  });

  test('When the span is a few days with a large gain, then the period return is found though its annual rate is beyond floating point', () => {
    const result = xirr([
      { date: '2024-01-01', amount: -1 },
      { date: '2024-01-02', amount: 1000 },
    ]);
    expect(result.period).toBeCloseTo(999, 9);
    expect(result.rate).toBeNull();
  });

  test('When a rate is found, then the net present value at it is zero', () => {
    const flows = [
      { date: '2021-03-01', amount: -1000 },
      { date: '2021-09-15', amount: -500 },
      { date: '2022-02-01', amount: 300 },
      { date: '2023-03-01', amount: 1400 },
    ];
    const { rate } = xirr(flows);
    const npv = flows.reduce(
      (total, flow) =>
        total +
        flow.amount /
          (1 + rate!) ** ((Date.parse(flow.date) - Date.parse(flows[0]!.date)) / 86_400_000 / 365),
      0,
    );
    expect(Math.abs(npv)).toBeLessThan(1e-9);
  });
});

describe('Time-weighted return (inflows at the start, outflows at the end of the day)', () => {
  test('Portfolio Performance TTWROR worked example: −9.94 %, +8.31 %, +28.73 % chain to 25.58 %', () => {
    const returns = dailyTwr(dec('177.94'), [
      day('2021-06-13', '160.26'),
      day('2021-06-14', '264.57', '84'),
      day('2021-06-15', '426.82', '67'),
    ]);
    expect(returns[0]).toBeCloseTo(-0.0994, 4);
    expect(returns[1]).toBeCloseTo(0.0831, 4);
    expect(returns[2]).toBeCloseTo(0.2873, 4);
    expect(chain(returns)).toBeCloseTo(0.25577, 5);
  });

  test('When everything is withdrawn, then that day returns 0 % (not −100 %), and empty days after it 0 % too', () => {
    const returns = dailyTwr(dec('1000'), [
      day('2024-01-02', '1100'),
      day('2024-01-03', '0', '0', '1100'),
      day('2024-01-04', '0'),
    ]);
    expect(returns).toEqual([0.1, 0, 0]);
  });

  test('When the first deposit arrives on a day, then that day divides by the deposit, never by zero', () => {
    expect(dailyTwr(ZERO, [day('2024-01-02', '1050', '1000')])).toEqual([0.05]);
  });

  test('When a period is shorter than a year, then it is not annualized; a year or more is', () => {
    expect(annualize(0.1, 364)).toBeNull();
    expect(annualize(0.21, 730)).toBeCloseTo(0.1, 10);
  });
});

describe('Daily valuation from transactions and closes', () => {
  const tx = (
    type: TLedgerTransaction['type'],
    symbol: string,
    quantity: string,
    price: string | null,
    at: string,
  ): TLedgerTransaction => ({
    id: `${type}-${at}-${symbol}`,
    type,
    symbol,
    quantity: dec(quantity),
    price: price === null ? null : dec(price),
    fee: ZERO,
    timestamp: new Date(`${at}T12:00:00Z`),
    lot_ids: null,
  });
  const closes = new Map([
    [
      'BTC',
      [
        { date: '2024-01-01', price: dec('100') },
        { date: '2024-01-02', price: dec('110') },
        // 2024-01-03 missing: its value uses the close of the 2nd.
        { date: '2024-01-04', price: dec('121') },
      ],
    ],
  ]);

  test('When a coin misses a day, then its last earlier close values it; buys are inflows without cash tracking', () => {
    const { start, days } = dailyValues({
      transactions: [tx('buy', 'BTC', '2', '100', '2024-01-01')],
      closes,
      cashTracking: false,
      from: '2024-01-01',
      to: '2024-01-04',
    });
    expect(start.value.toString()).toBe('0');
    expect(days.map((d) => d.value.toString())).toEqual(['200', '220', '220', '242']);
    expect(days[0]!.inflow.toString()).toBe('200');
    const performance = performanceOf({ start, days });
    expect(performance.twr).toBeCloseTo(0.21, 12);
    expect(performance.gain).toBe('42');
    expect(performance.mwr_annualized).toBeNull(); // 4 days: not annualized
    expect(performance.series.map((point) => point.twr_cumulative.toFixed(4))).toEqual([
      '0.0000',
      '0.1000',
      '0.1000',
      '0.2100',
    ]);
  });

  test('When cash is tracked, then deposits are the flows and a buy only moves value from cash to the coin', () => {
    const { start, days } = dailyValues({
      transactions: [
        tx('deposit', 'USD', '1000', null, '2024-01-01'),
        tx('buy', 'BTC', '5', '100', '2024-01-01'),
      ],
      closes,
      cashTracking: true,
      from: '2024-01-01',
      to: '2024-01-02',
    });
    expect(start.value.toString()).toBe('0');
    expect(days.map((d) => [d.value.toString(), d.inflow.toString()])).toEqual([
      ['1000', '1000'],
      ['1050', '0'],
    ]);
  });

  test('When a transfer comes in, then it is an inflow at that day’s close, not at its cost', () => {
    const { days } = dailyValues({
      transactions: [tx('transfer_in', 'BTC', '1', '50', '2024-01-02')],
      closes,
      cashTracking: true,
      from: '2024-01-02',
      to: '2024-01-02',
    });
    expect(days[0]!.inflow.toString()).toBe('110');
  });

  test('When the benchmark is read over the same days, then its return is end close over start close', () => {
    expect(benchmarkReturn(closes.get('BTC')!, '2024-01-01', '2024-01-04')).toBeCloseTo(0.21, 12);
    expect(benchmarkReturn(closes.get('BTC')!, '2024-01-01', '2024-01-03')).toBeCloseTo(0.1, 12);
  });
});

describe('Day loops', () => {
  // In a child process with a deadline: the old loop compared ISO strings, and "+010000-01-01" sorts
  // before "9999-12-31", so it never ended (and would have hung this test runner with it).
  test('When a range ends on 9999-12-31, then the day loop stops there', () => {
    const script = `
      import { dailyValues } from './core/portfolios/performance.ts';
      const run = (from, to) => dailyValues({ transactions: [], closes: new Map(), cashTracking: false, from, to });
      console.log(JSON.stringify([run('9999-12-30', '9999-12-31').days.map((d) => d.date), run('2024-03-01', '2024-02-28').days.length]));`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: path.resolve(import.meta.dirname, '../..'),
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(child.stdout.trim()).toBe('[["9999-12-30","9999-12-31"],0]');
  });

  test('When a range is not two ISO days, then dailyValues refuses it instead of looping', () => {
    expect(() =>
      dailyValues({ transactions: [], closes: new Map(), cashTracking: false, from: 'x', to: '2024-01-01' }),
    ).toThrow(RangeError);
  });
});
