import {
  HISTORY_INTERVALS,
  SORT_FIELDS,
  COIN_DETAIL_FIELDS,
  ZCoinSummary as ZCoinSummaryFields,
  type TCoin,
  type THistoryPoint,
  type THistoryQuery,
  type TListQuery,
} from '../../../core/market/index.ts';
import { z } from '../../openapi/zod.ts';
import { intParam, ZOrder, ZSymbol, zSymbolList, ZTimestampParam, zText } from '../common.schemas.ts';

export const ZListQuery = z
  .strictObject({
    limit: intParam(1, 250, 100).openapi({ description: 'Page size (1-250)' }),
    offset: intParam(0, 1_000_000, 0).openapi({ description: 'Rows to skip' }),
    symbol_filter: zSymbolList(1, 100, 'btc,ETH').optional(),
    search: zText(100)
      .min(1, 'must not be empty')
      .optional()
      .openapi({ description: 'Substring of name or symbol' }),
    category: z
      .string()
      .regex(/^[a-z0-9-]{1,100}$/, 'must be a category slug')
      .optional()
      .openapi({ example: 'layer-1', maxLength: 100 }),
    sort_by: z.enum(SORT_FIELDS).default('market_cap'),
    order: ZOrder.optional().openapi({
      description:
        'Default: desc for amounts and changes, asc for name, symbol and market_cap_rank (rank 1 first)',
    }),
  })
  .transform(({ symbol_filter, ...query }) => ({
    ...query,
    symbols: symbol_filter,
    order:
      query.order ??
      (['name', 'symbol', 'market_cap_rank'].includes(query.sort_by) ? ('asc' as const) : ('desc' as const)),
  }));

export const ZSymbolParams = z.strictObject({ symbol: ZSymbol });

export const ZHistoryQuery = z
  .strictObject({
    limit: intParam(1, 5000, 500).openapi({ description: 'Points per page (1-5000)' }),
    from: ZTimestampParam.optional().openapi({
      description: 'Oldest point to return; must not be after `to`',
    }),
    to: ZTimestampParam.optional().openapi({
      description: 'Newest point to return; must not be before `from`',
    }),
    interval: z.enum(HISTORY_INTERVALS).default('raw').openapi({
      description:
        "raw: every stored point, the live ticker's intraday points included (one per TICK_HISTORY_RESOLUTION_SECONDS, one per hour after TICK_HISTORY_RAW_DAYS); hourly: the last point of each UTC hour; daily: the last sync/backfill point of each UTC day (a close: tick points never make one)",
    }),
    order: ZOrder.default('desc'),
  })
  .superRefine((query, ctx) => {
    if (query.from && query.to && query.from > query.to) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after to' });
    }
  });

export const ZTopParams = z.strictObject({
  category: z
    .string()
    .regex(/^[a-z0-9_-]{1,100}$/, 'must be gainers, losers, volume, market_cap or a category slug')
    .openapi({ example: 'gainers', maxLength: 100 }),
});
export const ZTopQuery = z.strictObject({ limit: intParam(1, 250, 10) });

const nullableNumber = z.number().nullable();

// The coin's one schema (core/market/coin.ts), named for the OpenAPI document. Rebuilt from its shape
// here: a zod object made in core, before api/openapi/zod.ts runs, may lack the `.openapi` method.
export const ZCoinSummary = z.object(ZCoinSummaryFields.shape).openapi('CryptocurrencySummary');
// Extending the named summary documents the detail as the summary plus its own fields (allOf).
export const ZCoin = ZCoinSummary.extend(COIN_DETAIL_FIELDS).openapi('Cryptocurrency');

export const ZCoinList = z
  .object({
    data: z.array(ZCoinSummary),
    pagination: z.object({ total: z.number().int(), limit: z.number().int(), offset: z.number().int() }),
  })
  .openapi('CryptocurrencyList');

export const ZHistoryPoint = z
  .object({
    timestamp: z.string().openapi({ format: 'date-time' }),
    price: z.number(),
    market_cap: nullableNumber,
    total_volume: nullableNumber,
  })
  .openapi('PricePoint');

export const ZHistory = z
  .object({
    symbol: z.string(),
    interval: z.enum(HISTORY_INTERVALS),
    data: z.array(ZHistoryPoint),
    pagination: z.object({
      limit: z.number().int(),
      count: z.number().int(),
      has_more: z.boolean(),
      next_cursor: z.string().nullable().openapi({
        description: 'Pass as `to` (order=desc) or `from` (order=asc) to read the next page',
      }),
    }),
  })
  .openapi('PriceHistory');

export const ZTopList = z.object({ category: z.string(), data: z.array(ZCoinSummary) }).openapi('TopList');

// Compile-time guard: the documented response shapes are exactly what the services return.
type TAssertEqual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
type TAssignable<A, B> = [A] extends [B] ? true : never;
export const shapesMatch: [
  TAssertEqual<z.infer<typeof ZCoin>, TCoin>,
  TAssertEqual<z.infer<typeof ZHistoryPoint>, THistoryPoint>,
  TAssignable<z.output<typeof ZListQuery>, TListQuery>,
  TAssignable<z.output<typeof ZHistoryQuery>, THistoryQuery>,
] = [true, true, true, true];
