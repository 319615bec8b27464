import { LIMIT_TYPES, REJECT_CODES } from '../../../core/portfolios/index.ts';
import { z } from '../../openapi/zod.ts';
import { ZSymbol } from '../common.schemas.ts';
import { zAmount, ZDecimalOut } from './portfolios.schemas.ts';

const zDecimalIn = (description: string, positive = false) =>
  zAmount(description, positive).openapi({ example: '0.25' });

export const ZLimitInput = z
  .strictObject({
    type: z.enum(LIMIT_TYPES),
    symbol: ZSymbol.nullable().optional().openapi({
      description: 'For max_position_weight and max_position_value: one coin; omitted: every coin',
    }),
    value: zDecimalIn(
      'The threshold: a fraction (0..1) for weights, VaR, drawdown and HHI; USD for max_position_value',
    ),
    hard: z
      .boolean()
      .default(true)
      .openapi({ description: 'true blocks trades in the pre-trade check; false warns' }),
  })
  .openapi('LimitInput');

export const ZLimitsBody = z
  .strictObject({ limits: z.array(ZLimitInput).max(50, 'at most 50 limits') })
  .openapi('LimitsBody');

const LIMIT_SHAPE = {
  id: z.uuid(),
  type: z.enum(LIMIT_TYPES),
  symbol: z.string().nullable(),
  value: ZDecimalOut,
  hard: z.boolean(),
};
const ZLimit = z.object(LIMIT_SHAPE).openapi('Limit');

export const ZLimits = z.object({ portfolio_id: z.uuid(), limits: z.array(ZLimit) }).openapi('Limits');

export const ZLimitsStatus = z
  .object({
    portfolio_id: z.uuid(),
    at: z.string().openapi({ format: 'date-time' }),
    state: z.enum(['ok', 'warning', 'breached']).openapi({ description: 'The worst of the limits' }),
    limits: z.array(
      ZLimit.extend({
        current: ZDecimalOut.nullable(),
        headroom: ZDecimalOut.nullable().openapi({
          description: 'Room before the threshold (negative: beyond it)',
        }),
        state: z.enum(['ok', 'warning', 'breached']).openapi({
          description: 'breached: a hard limit beyond its threshold; warning: a soft one',
        }),
        reason: z
          .string()
          .nullable()
          .openapi({ description: 'Why there is no current value (insufficient_history)' }),
      }),
    ),
  })
  .openapi('LimitsStatus');

export const ZPreTradeBody = z
  .strictObject({
    symbol: ZSymbol,
    side: z.enum(['buy', 'sell']),
    quantity: zDecimalIn('Quantity of the coin; greater than 0', true),
    price: zDecimalIn('Unit price in USD; default the current price').nullable().optional(),
    fee: zDecimalIn('Fee in USD').optional(),
  })
  .openapi('PreTradeOrder');

const CHECK_CODES = ['INSUFFICIENT_QUANTITY', 'INSUFFICIENT_CASH', ...Object.values(REJECT_CODES)] as const;

export const ZPreTradeResult = z
  .object({
    portfolio_id: z.uuid(),
    order: z.object({
      symbol: z.string(),
      side: z.enum(['buy', 'sell']),
      quantity: ZDecimalOut,
      price: ZDecimalOut,
      fee: ZDecimalOut,
    }),
    allowed: z.boolean(),
    decision: z.enum(['allow', 'warn', 'deny']).openapi({
      description: 'deny: a balance check or hard limit fails; warn: only soft limits fail',
    }),
    checks: z.array(
      z.object({
        code: z
          .enum(CHECK_CODES)
          .openapi({ description: 'Stable code of the check (the reject reason when it fails)' }),
        // Inline rather than a $ref: OpenAPI 3.1 has no nullable reference.
        limit: z.object(LIMIT_SHAPE).nullable().openapi({ description: 'null for the balance checks' }),
        current: ZDecimalOut.nullable(),
        after: ZDecimalOut.nullable(),
        threshold: ZDecimalOut.nullable(),
        passed: z.boolean(),
        blocking: z.boolean(),
      }),
    ),
    holdings_after: z.object({
      coins: z.array(
        z.object({
          symbol: z.string(),
          quantity: ZDecimalOut,
          price: ZDecimalOut.nullable(),
          market_value: ZDecimalOut.nullable(),
        }),
      ),
      cash: ZDecimalOut.nullable(),
    }),
  })
  .openapi('PreTradeResult');
