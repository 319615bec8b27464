import { RISK_LEVELS, RANKING_FIELDS } from '../../../core/risk/index.ts';
import { z } from '../../openapi/zod.ts';
import { intParam, numberParam, ZOrder, ZSymbol, zSymbolList, ZTimestampParam } from '../common.schemas.ts';

const ZWindow = (fallback: number) =>
  intParam(30, 1825, fallback).openapi({
    description: 'Daily returns ending at `to` (30-1825): the closes from `to` minus `window` days to `to`',
  });

export const ZRiskParams = z.strictObject({ symbol: ZSymbol });
export const ZRiskQuery = z.strictObject({
  window: ZWindow(365),
  to: ZTimestampParam.optional().openapi({ description: 'Last day of the window (UTC date); default today' }),
  benchmark: ZSymbol.default('BTC').openapi({ description: 'Benchmark for beta, alpha and correlation' }),
  risk_free_rate: numberParam(-0.5, 1, 0).openapi({
    description: 'Annual risk-free rate as a fraction (0.04 = 4%), -0.5 to 1',
  }),
});

export const ZCorrelationsQuery = z.strictObject({
  symbols: zSymbolList(2, 25, 'BTC,ETH,SOL').openapi({
    description: '2-25 symbols, comma-separated, any case; a symbol given twice counts once',
  }),
  window: ZWindow(90),
  to: ZTimestampParam.optional(),
});

export const ZRankingsQuery = z.strictObject({
  sort_by: z.enum(RANKING_FIELDS).default('risk_score'),
  order: ZOrder.default('desc'),
  limit: intParam(1, 250, 20),
  to: ZTimestampParam.optional().openapi({
    description: 'Last day of the 365-return window (UTC date); default today',
  }),
});

const nullableNumber = z.number().nullable();
const nullableDate = z.string().nullable().openapi({ format: 'date' });

/** Every coin risk metric; the portfolio risk report uses the same names and definitions. */
export const RISK_METRICS_SHAPE = {
  volatility_daily: z.number(),
  volatility_annualized: z.number(),
  return_total: z.number(),
  return_annualized: z.number(),
  max_drawdown: z.number().openapi({ description: 'Negative fraction (-0.5 = a 50% fall)' }),
  max_drawdown_peak_date: nullableDate,
  max_drawdown_trough_date: nullableDate,
  max_drawdown_recovery_date: nullableDate,
  var_95: z.number().openapi({ description: 'One-day historical VaR, positive loss fraction' }),
  var_99: z.number(),
  cvar_95: z.number(),
  cvar_99: z.number(),
  parametric_var_95: z.number(),
  parametric_var_99: z.number(),
  sharpe_ratio: nullableNumber,
  sortino_ratio: nullableNumber,
  calmar_ratio: nullableNumber,
  beta: nullableNumber,
  alpha_annualized: nullableNumber,
  correlation_to_benchmark: nullableNumber,
  liquidity_ratio: nullableNumber.openapi({
    description: 'Mean 24 h volume / mean market cap over the window',
  }),
};

export const ZRiskReport = z
  .object({
    symbol: z.string(),
    benchmark: z.string(),
    window_days: z.number().int(),
    from: z.string().openapi({ format: 'date' }),
    to: z.string().openapi({ format: 'date' }),
    observations: z
      .number()
      .int()
      .openapi({ description: 'Daily returns in the window (`window_days` when no day is missing)' }),
    annualization_factor: z.number().int(),
    metrics: z.object(RISK_METRICS_SHAPE),
    risk_score: z.number().openapi({ description: '0-100, see docs/risk-methodology.md' }),
    risk_level: z.enum(RISK_LEVELS),
    data_last_timestamp: z
      .string()
      .openapi({ format: 'date-time', description: 'Newest price point the report is based on' }),
    computed_at: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('RiskReport');

export const ZCorrelations = z
  .object({
    symbols: z.array(z.string()),
    window_days: z.number().int(),
    from: z.string().openapi({ format: 'date' }),
    to: z.string().openapi({ format: 'date' }),
    observations: z.number().int().openapi({ description: 'Daily returns every symbol has' }),
    matrix: z
      .array(z.array(nullableNumber))
      .openapi({ description: 'Pearson correlations, rows and columns in `symbols` order' }),
  })
  .openapi('CorrelationMatrix');

export const ZRankings = z
  .object({
    sort_by: z.enum(RANKING_FIELDS),
    order: ZOrder,
    window_days: z.number().int(),
    benchmark: z.string(),
    from: z.string().openapi({ format: 'date' }),
    to: z.string().openapi({ format: 'date' }),
    data: z.array(
      z.object({
        symbol: z.string(),
        value: nullableNumber,
        risk_score: z.number(),
        risk_level: z.enum(RISK_LEVELS),
        observations: z.number().int(),
      }),
    ),
  })
  .openapi('RiskRankings');
