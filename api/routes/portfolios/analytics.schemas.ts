import { COST_BASIS_METHODS, PERFORMANCE_RANGES } from '../../../core/portfolios/index.ts';
import { z } from '../../openapi/zod.ts';
import { RISK_METRICS_SHAPE } from '../risk/risk.schemas.ts';
import { intParam, numberParam, ZPortfolioTimestamp, ZSymbol, ZTimestampParam } from '../common.schemas.ts';
import { ZDecimalOut } from './portfolios.schemas.ts';

// What is computed from a portfolio (holdings, realized P&L, performance, risk, targets and drift): the
// queries that ask for it and the answers.
const ZLot = z.object({
  id: z.string(),
  acquired_at: z.string().openapi({ format: 'date-time' }),
  quantity: ZDecimalOut,
  cost_basis: ZDecimalOut,
  unit_cost: ZDecimalOut,
});
export const ZHoldings = z
  .object({
    portfolio_id: z.uuid(),
    at: z.string().openapi({ format: 'date-time' }),
    holdings: z.array(
      z.object({
        symbol: z.string(),
        quantity: ZDecimalOut,
        cost_basis: ZDecimalOut,
        average_cost: ZDecimalOut.nullable(),
        price: ZDecimalOut.nullable(),
        market_value: ZDecimalOut.nullable(),
        unrealized_pnl: ZDecimalOut.nullable(),
        unrealized_pnl_pct: z.number().nullable(),
        weight: z.number().nullable(),
        lots: z.array(ZLot),
      }),
    ),
    cash: ZDecimalOut.nullable(),
    totals: z.object({
      market_value: ZDecimalOut,
      cost_basis: ZDecimalOut,
      unrealized_pnl: ZDecimalOut,
      value: ZDecimalOut,
      unpriced: z.array(z.string()),
    }),
    income: ZDecimalOut,
    fees: ZDecimalOut,
  })
  .openapi('Holdings');
export const ZHoldingsQuery = z.strictObject({
  at: ZTimestampParam.optional().openapi({
    description: 'Holdings as of this time (that day’s closes); default now',
  }),
});

const ZTotals = z.object({ proceeds: ZDecimalOut, cost: ZDecimalOut, gain: ZDecimalOut });
export const ZRealized = z
  .object({
    portfolio_id: z.uuid(),
    cost_basis_method: z.enum(COST_BASIS_METHODS),
    disposals: z.array(
      z.object({
        transaction_id: z.string(),
        symbol: z.string(),
        lot_id: z.string(),
        acquired_at: z.string().openapi({ format: 'date-time' }),
        disposed_at: z.string().openapi({ format: 'date-time' }),
        quantity: ZDecimalOut,
        cost: ZDecimalOut,
        proceeds: ZDecimalOut,
        gain: ZDecimalOut,
        holding_days: z.number().int(),
        short: z.boolean(),
      }),
    ),
    totals: ZTotals.extend({ by_symbol: z.record(z.string(), ZTotals) }),
  })
  .openapi('Realized');
export const ZRealizedQuery = z.strictObject({
  from: ZTimestampParam.optional(),
  to: ZTimestampParam.optional(),
});

export const ZPerformanceQuery = z.strictObject({
  range: z
    .enum(PERFORMANCE_RANGES)
    .optional()
    .openapi({ description: 'Default all (from the first transaction)' }),
  from: ZPortfolioTimestamp.optional().openapi({
    description: 'First day (UTC date), 2009-01-03 to 2099-12-31; overrides range. After today: 422',
  }),
  to: ZPortfolioTimestamp.optional().openapi({
    description:
      'Last day (UTC date), 2009-01-03 to 2099-12-31; default and at most today (later days are clamped)',
  }),
  benchmark: ZSymbol.default('BTC'),
});
export const ZPerformance = z
  .object({
    portfolio_id: z.uuid(),
    from: z.string().openapi({ format: 'date' }),
    to: z.string().openapi({ format: 'date' }),
    days: z.number().int(),
    value_start: ZDecimalOut,
    value_end: ZDecimalOut,
    net_flows: ZDecimalOut,
    inflows: ZDecimalOut,
    outflows: ZDecimalOut,
    income: ZDecimalOut,
    fees: ZDecimalOut,
    gain: ZDecimalOut,
    simple_return: z.number().nullable(),
    twr: z.number(),
    twr_annualized: z.number().nullable().openapi({ description: 'null under 365 days (GIPS 2.A.12)' }),
    mwr: z.number().nullable().openapi({ description: 'The XIRR over the range as a period return' }),
    mwr_annualized: z.number().nullable(),
    mwr_reason: z
      .string()
      .nullable()
      .openapi({ description: 'Why there is no MWR (no_sign_change, no_root, too_few_flows)' }),
    benchmark: z.object({ symbol: z.string(), twr: z.number().nullable() }),
    excess_return: z.number().nullable(),
    series: z.array(
      z.object({
        date: z.string().openapi({ format: 'date' }),
        value: ZDecimalOut,
        net_flow: ZDecimalOut,
        twr_cumulative: z.number(),
      }),
    ),
  })
  .openapi('Performance');

export const ZPortfolioRiskQuery = z.strictObject({
  window: intParam(30, 1825, 365),
  benchmark: ZSymbol.default('BTC'),
  risk_free_rate: numberParam(-0.5, 1, 0),
});
export const ZPortfolioRisk = z
  .object({
    portfolio_id: z.uuid(),
    window: z.number().int(),
    from: z.string().openapi({ format: 'date' }),
    to: z.string().openapi({ format: 'date' }),
    observations: z.number().int(),
    benchmark: z.string(),
    metrics: z.object(RISK_METRICS_SHAPE),
    risk_score: z.number(),
    risk_level: z.string(),
    concentration: z.object({
      holdings: z.number().int(),
      hhi: z.number().nullable(),
      effective_n: z.number().nullable(),
      top_symbol: z.string().nullable(),
      top_weight: z.number().nullable(),
    }),
    correlations: z.object({ symbols: z.array(z.string()), matrix: z.array(z.array(z.number().nullable())) }),
  })
  .openapi('PortfolioRisk');

const TARGET_SYMBOL = /^[A-Za-z0-9._-]{1,20}$/;
export const ZTargets = z
  .strictObject({
    weights: z
      .record(
        z.string().regex(TARGET_SYMBOL, 'must be a symbol'),
        z
          .string()
          .regex(/^(0|1)(\.\d{1,18})?$/, 'must be a decimal string between 0 and 1')
          .openapi({ maxLength: 20 }),
      )
      .refine((weights) => Object.keys(weights).length > 0 && Object.keys(weights).length <= 250, {
        message: 'give 1 to 250 weights',
      })
      .openapi({
        example: { BTC: '0.6', ETH: '0.3', USD: '0.1' },
        minProperties: 1,
        maxProperties: 250,
        // JSON Schema 2020-12 (OpenAPI 3.1); the generator's types predate it.
        ...({ propertyNames: { type: 'string', pattern: TARGET_SYMBOL.source, maxLength: 20 } } as object),
        description: 'Symbol (any case; each once) to weight; 1 to 250 of them (TARGETS_PER_PORTFOLIO)',
      }),
  })
  .openapi('Targets');
export const ZTargetsSaved = z.object({ portfolio_id: z.uuid(), weights: z.record(z.string(), z.string()) });
export const ZDrift = z
  .object({
    portfolio_id: z.uuid(),
    total_value: ZDecimalOut,
    rows: z.array(
      z.object({
        symbol: z.string(),
        current_weight: z.number(),
        target_weight: z.number(),
        drift: z.number(),
        trade_quantity: ZDecimalOut.nullable().openapi({ description: 'Positive: buy; negative: sell' }),
        trade_value: ZDecimalOut,
      }),
    ),
  })
  .openapi('Drift');
