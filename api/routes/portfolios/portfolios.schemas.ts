import { COST_BASIS_METHODS, IMPORT_FORMATS, TRANSACTION_TYPES } from '../../../core/portfolios/index.ts';
import { z } from '../../openapi/zod.ts';
import {
  intParam,
  NO_NUL,
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
