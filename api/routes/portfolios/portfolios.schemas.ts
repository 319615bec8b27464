import {
  COST_BASIS_METHODS,
  IMPORT_FORMATS,
  PERFORMANCE_RANGES,
  TRANSACTION_TYPES,
} from '../../../core/portfolios/index.ts';
import { z } from '../../openapi/zod.ts';
import { RISK_METRICS_SHAPE } from '../risk/risk.schemas.ts';
import {
  intParam,
  NO_NUL,
  numberParam,
  zKeysetCursor,
  ZPortfolioTimestamp,
  ZSymbol,
  ZTimestampParam,
  zText,
} from '../common.schemas.ts';

// Amounts travel as decimal strings, parsed exactly: at most 20 integer digits and 18 decimals
// (PostgreSQL NUMERIC(38,18)). The patterns are linear (no nested or overlapping quantifiers) and are
// what the document publishes, "greater than 0" included.
const AMOUNT = /^(0|[1-9]\d{0,19})(\.\d{1,18})?$/;
const POSITIVE_AMOUNT = /^(?!0(?:\.0{1,18})?$)(0|[1-9]\d{0,19})(\.\d{1,18})?$/;
export const zAmount = (description: string, positive = false) =>
  z
    .string('must be a decimal string such as "0.00012345"')
    .regex(
      positive ? POSITIVE_AMOUNT : AMOUNT,
      `must be a ${positive ? 'positive' : 'non-negative'} decimal string with at most 20 integer digits and 18 decimals`,
    )
    .openapi({ example: '0.00012345', description, maxLength: 39 });
const ZPositiveAmount = zAmount('Quantity (of the coin, or USD for cash movements); greater than 0', true);
export const ZDecimalOut = z.string().openapi({ example: '1234.5', description: 'Exact decimal' });

export const ZPortfolioParams = z.strictObject({ id: z.uuid('must be a UUID') });
export const ZTransactionParams = z.strictObject({
  id: z.uuid('must be a UUID'),
  txId: z.uuid('must be a UUID'),
});

export const ZPortfolioCreate = z
  .strictObject({
    name: zText(100).min(1),
    cost_basis_method: z.enum(COST_BASIS_METHODS).default('fifo'),
    fees_in_cost_basis: z.boolean().default(true),
    cash_tracking: z.boolean().default(false),
    allow_negative: z.boolean().default(false),
  })
  .openapi('PortfolioCreate');

export const ZPortfolioPatch = z
  .strictObject({
    name: zText(100).min(1).optional(),
    cost_basis_method: z.enum(COST_BASIS_METHODS).optional(),
    fees_in_cost_basis: z.boolean().optional(),
    cash_tracking: z.boolean().optional(),
    allow_negative: z.boolean().optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, { message: 'give at least one field' })
  .openapi('PortfolioPatch', {
    minProperties: 1,
    description: 'A new method or fee/cash rule recomputes the whole history (422 if it no longer holds).',
  });

export const ZPortfolio = z
  .object({
    id: z.uuid(),
    owner_id: z.uuid(),
    name: z.string(),
    base_currency: z.literal('USD'),
    cost_basis_method: z.enum(COST_BASIS_METHODS),
    fees_in_cost_basis: z.boolean(),
    cash_tracking: z.boolean(),
    allow_negative: z.boolean(),
    revision: z.string(),
    created_at: z.string().openapi({ format: 'date-time' }),
    updated_at: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('Portfolio');

const ZPagination = z.object({
  limit: z.number().int(),
  next_cursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page' }),
});

export const ZPortfolioList = z
  .object({ data: z.array(ZPortfolio), pagination: ZPagination })
  .openapi('PortfolioList');
export const ZPortfolioListQuery = z.strictObject({
  cursor: zKeysetCursor('uuid').optional(),
  limit: intParam(1, 200, 50),
});

const ZTransactionFields = {
  type: z.enum(TRANSACTION_TYPES),
  symbol: ZSymbol.openapi({
    example: 'BTC',
    description: 'A known coin; USD for deposits, withdrawals and cash fees',
  }),
  quantity: ZPositiveAmount,
  price: zAmount('USD per unit; required for buys and sells, else that day’s close').nullable().optional(),
  fee: zAmount('Fee in USD').optional(),
  timestamp: ZPortfolioTimestamp.openapi({
    description:
      'When it happened: ISO 8601 date (midnight UTC) or date-time (UTC without an offset), from 2009-01-03 (Bitcoin’s first day); more than a minute ahead of the server’s clock is a 422',
  }),
  notes: zText(1000).nullable().optional(),
  external_id: zText(200)
    .min(1)
    .nullable()
    .optional()
    .openapi({ description: 'Unique per portfolio (imports)' }),
  lot_ids: z.array(z.uuid()).max(1000).nullable().optional().openapi({
    description:
      'For sells under the specific method: the lots (ids of the transactions that opened them) to consume, in order',
  }),
};

export const ZTransactionCreate = z.strictObject(ZTransactionFields).openapi('TransactionCreate');
export const ZTransactionPatch = z
  .strictObject({
    type: ZTransactionFields.type.optional(),
    symbol: ZTransactionFields.symbol.optional(),
    quantity: ZTransactionFields.quantity.optional(),
    price: ZTransactionFields.price,
    fee: ZTransactionFields.fee,
    timestamp: ZTransactionFields.timestamp.optional(),
    notes: ZTransactionFields.notes,
    external_id: ZTransactionFields.external_id,
    lot_ids: ZTransactionFields.lot_ids,
  })
  .refine((patch) => Object.keys(patch).length > 0, { message: 'give at least one field' })
  .openapi('TransactionPatch', { minProperties: 1 });

export const ZTransaction = z
  .object({
    id: z.uuid(),
    portfolio_id: z.uuid(),
    sequence: z.number().int(),
    type: z.enum(TRANSACTION_TYPES),
    symbol: z.string(),
    quantity: ZDecimalOut,
    price: ZDecimalOut.nullable(),
    fee: ZDecimalOut,
    timestamp: z.string().openapi({ format: 'date-time' }),
    notes: z.string().nullable(),
    external_id: z.string().nullable(),
    lot_ids: z.array(z.string()).nullable(),
    created_at: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('Transaction');

export const ZTransactionList = z
  .object({ data: z.array(ZTransaction), pagination: ZPagination })
  .openapi('TransactionList');
export const ZTransactionQuery = z.strictObject({
  symbol: ZSymbol.optional(),
  type: z.enum(TRANSACTION_TYPES).optional(),
  from: ZTimestampParam.optional(),
  to: ZTimestampParam.optional(),
  cursor: zKeysetCursor('serial').optional(),
  limit: intParam(1, 1000, 100),
});

export const ZImportQuery = z.strictObject({
  format: z.enum(IMPORT_FORMATS).default('generic'),
  dry_run: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
});
// The body's size is bounded in bytes while it streams in (IMPORT_BODY_LIMIT, default 10 MiB: a 413 past
// it); its rows, fields and record lengths while it is parsed (a 422 naming the limit).
export const ZCsvBody = z
  .string()
  .min(1, 'the file is empty')
  .regex(NO_NUL, 'must not contain NUL (U+0000) characters')
  .openapi({
    minLength: 1,
    maxLength: 10_485_760,
    description:
      'CSV (RFC 4180) with a header row, UTF-8 (with or without a byte-order mark) or UTF-16 with a byte-order mark (Excel’s “Unicode text”); ' +
      'comma, semicolon or tab separated (found from the header row). At most IMPORT_BODY_LIMIT bytes (default 10 MiB; 413 beyond), ' +
      'IMPORT_MAX_ROWS data rows (default 50,000), 64 fields and 65,536 characters per row (422 beyond). ' +
      'generic: timestamp,type,symbol,quantity,price,fee,notes,external_id,lot_ids (what the export writes); ' +
      'coinbase, kraken (trades.csv) and binance (Trade History): their export columns',
  });
export const ZImportResult = z
  .object({
    dry_run: z.boolean(),
    format: z.enum(IMPORT_FORMATS),
    rows: z.number().int(),
    imported: z.number().int(),
    new: z.number().int(),
    skipped: z.number().int().openapi({ description: 'Rows whose external id the portfolio already has' }),
    errors: z.number().int(),
    problem: z.record(z.string(), z.unknown()).nullable().openapi({
      description: 'Dry run: why the history would not hold (a shortfall, negative cash), or null',
    }),
    preview: z.array(
      z.object({
        row: z.number().int(),
        status: z.enum(['new', 'skipped', 'error']),
        errors: z.array(z.string()),
        transaction: z.record(z.string(), z.unknown()).nullable(),
      }),
    ),
  })
  .openapi('ImportResult');

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
