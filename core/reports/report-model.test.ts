import { describe, expect, test } from '@jest/globals';
import { csvLine, cellText, plainNumber } from './csv-writer.ts';
import { formatAmount, formatPercent, formatQuantity } from './format.ts';
import { niceTicks, thin } from './pdf-charts.ts';
import {
  benchmarkSeries,
  drawdownSeries,
  gainsByMonth,
  realizedGainsModel,
  termOf,
  type TRealizedAnswer,
} from './report-model.ts';
import { SAMPLE_PORTFOLIO } from '../../test/report-models.ts';

const disposal = (over: Partial<TRealizedAnswer['disposals'][number]>): TRealizedAnswer['disposals'][number] => ({
  transaction_id: 't1',
  symbol: 'BTC',
  lot_id: 'l1',
  acquired_at: '2024-03-10T12:00:00.000Z',
  disposed_at: '2025-03-11T09:00:00.000Z',
  quantity: '0.5',
  cost: '10000',
  proceeds: '15000.5',
  gain: '5000.5',
  holding_days: 365,
  short: false,
  ...over,
});

describe('report models', () => {
  test('When a lot is held one year or less, then it is short term; more than a year, long term (UTC days)', () => {
    expect(termOf('2024-03-10T12:00:00Z', '2025-03-10T23:00:00Z')).toBe('short');
    expect(termOf('2024-03-10T12:00:00Z', '2025-03-11T00:00:00Z')).toBe('long');
    expect(termOf('2024-02-29T00:00:00Z', '2025-03-01T00:00:00Z')).toBe('short');
    expect(termOf('2024-02-29T00:00:00Z', '2025-03-02T00:00:00Z')).toBe('long');
    expect(termOf('2025-01-01', '2025-12-31')).toBe('short');
  });

  test('When the realized answer is turned into the report model, then every disposal is one row and the totals by term add up exactly', () => {
    const realized: TRealizedAnswer = {
      portfolio_id: 'p',
      cost_basis_method: 'hifo',
      disposals: [
        disposal({}),
        disposal({ transaction_id: 't2', disposed_at: '2025-01-05T00:00:00Z', proceeds: '0.1', cost: '0.3', gain: '-0.2' }),
        disposal({ transaction_id: 't3', disposed_at: '2025-02-05T00:00:00Z', proceeds: '0.2', cost: '0.1', gain: '0.1' }),
      ],
      totals: { proceeds: '15000.8', cost: '10000.4', gain: '5000.4', by_symbol: {} },
    };
    const model = realizedGainsModel({
      portfolio: SAMPLE_PORTFOLIO,
      period: { from: '2025-01-01', to: '2025-12-31' },
      tax_year: 2025,
      realized,
    });
    expect(model.cost_basis_method).toBe('hifo');
    const rows = model.rows as unknown[];
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({
      description: '0.5 BTC',
      date_acquired: '2024-03-10',
      date_disposed: '2025-03-11',
      proceeds: '15000.5',
      cost_basis: '10000',
      gain: '5000.5',
      term: 'long',
    });
    expect(model.totals.long).toEqual({ proceeds: '15000.5', cost_basis: '10000', gain: '5000.5', count: 1 });
    expect(model.totals.short).toEqual({ proceeds: '0.3', cost_basis: '0.4', gain: '-0.1', count: 2 });
    expect(model.totals.all).toEqual({ proceeds: '15000.8', cost_basis: '10000.4', gain: '5000.4', count: 3 });
  });

  test('When series are derived, then drawdown, benchmark return and gains by month follow their definitions', () => {
    expect(
      drawdownSeries([
        { date: 'a', value: 100 },
        { date: 'b', value: 120 },
        { date: 'c', value: 90 },
        { date: 'd', value: 130 },
      ]).map((point) => point.value),
    ).toEqual([0, 0, -0.25, 0]);
    expect(
      benchmarkSeries(
        [
          { date: '2025-01-02', price: '200' },
          { date: '2025-01-04', price: '300' },
        ],
        ['2025-01-01', '2025-01-02', '2025-01-03', '2025-01-04'],
      ).map((point) => point.value),
    ).toEqual([0, 0, 0, 0.5]);
    const months = gainsByMonth(
      {
        portfolio_id: 'p',
        cost_basis_method: 'fifo',
        disposals: [
          disposal({ disposed_at: '2025-03-01T00:00:00Z', gain: '1.1' }),
          disposal({ disposed_at: '2025-03-31T23:59:59Z', gain: '-0.1' }),
          disposal({ disposed_at: '2025-05-02T00:00:00Z', gain: '2' }),
        ],
        totals: { proceeds: '0', cost: '0', gain: '0', by_symbol: {} },
      },
      { from: '2025-02-10', to: '2025-05-20' },
    );
    expect(months).toEqual([
      { month: '2025-02', gain: '0' },
      { month: '2025-03', gain: '1' },
      { month: '2025-04', gain: '0' },
      { month: '2025-05', gain: '2' },
    ]);
  });

  test('When cells are written, then text is guarded against formulas, decimals and dates stay as they are, quoting follows RFC 4180', () => {
    expect(cellText('text', '=1+2')).toBe("'=1+2");
    expect(cellText('text', '-5')).toBe("'-5");
    expect(cellText('decimal', '-5.25')).toBe('-5.25');
    expect(cellText('number', 1e-7)).toBe('0.0000001');
    expect(cellText('number', -0.125)).toBe('-0.125');
    expect(cellText('date', '2025-01-01T00:00:00.000Z')).toBe('2025-01-01T00:00:00.000Z');
    expect(cellText('boolean', false)).toBe('false');
    expect(cellText('text', null)).toBe('');
    expect(plainNumber(Number.NaN)).toBe('');
    expect(csvLine(['a', 'b,c', 'say "hi"', 'x\ny'])).toBe('a,"b,c","say ""hi""","x\ny"\r\n');
  });

  test('When figures are formatted for the PDF, then amounts are grouped and rounded half even, percentages have two decimals', () => {
    expect(formatAmount('1234567.891')).toBe('1,234,567.89');
    expect(formatAmount('-0.004')).toBe('0.00');
    expect(formatAmount('-1234.5')).toBe('-1,234.50');
    expect(formatAmount('0.125')).toBe('0.12');
    expect(formatAmount(null)).toBe('–');
    expect(formatQuantity('0.50000000')).toBe('0.5');
    expect(formatQuantity('12')).toBe('12');
    expect(formatPercent(0.123456)).toBe('12.35 %');
    expect(formatPercent(-0.00001)).toBe('0.00 %');
    expect(formatPercent(null)).toBe('–');
  });

  test('When chart axes are laid out, then ticks are round and cover the range, and long series are thinned keeping both ends', () => {
    expect(niceTicks(0, 97)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(-0.3, 0)).toEqual([-0.3, -0.2, -0.1, 0]);
    expect(niceTicks(5, 5).length).toBeGreaterThan(1);
    const kept = thin(10_000, 500);
    expect(kept).toHaveLength(500);
    expect(kept[0]).toBe(0);
    expect(kept.at(-1)).toBe(9_999);
    expect(thin(3)).toEqual([0, 1, 2]);
  });
});
