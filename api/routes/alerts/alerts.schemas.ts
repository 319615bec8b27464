import { ALERT_KINDS, ALERT_METRICS } from '../../../core/alerts/index.ts';
import { z } from '../../openapi/zod.ts';
import { intParam, ZSymbol } from '../common.schemas.ts';

// A signed decimal string: thresholds of falls (pct_change) and of metrics (alpha, returns) may be negative.
const zSignedDecimal = (description: string) =>
  z
    .string('must be a decimal string such as "65000" or "-0.05"')
    .regex(
      /^-?(0|[1-9]\d{0,19})(\.\d{1,18})?$/,
      'must be a decimal string with at most 20 integer digits and 18 decimals',
    )
    .openapi({ example: '65000', description, maxLength: 40 });

export const ZAlertParams = z.strictObject({ id: z.uuid('must be a UUID') });

export const ZAlertCreate = z
  .strictObject({
    kind: z.enum(ALERT_KINDS),
    symbol: ZSymbol.nullable()
      .optional()
      .openapi({ description: 'The coin (price_above, price_below, pct_change; or risk_metric of a coin)' }),
    portfolio_id: z.uuid('must be a UUID').nullable().optional().openapi({
      description: 'One of the caller’s portfolios (limit_breach; or risk_metric of a portfolio)',
    }),
    metric: z
      .enum(ALERT_METRICS)
      .nullable()
      .optional()
      .openapi({ description: 'risk_metric: the metric watched' }),
    direction: z
      .enum(['above', 'below'])
      .default('above')
      .openapi({ description: 'risk_metric: fire at or above, or at or below' }),
    threshold: zSignedDecimal(
      'Price in USD (price_*), a fraction (pct_change: 0.05 = a 5 % rise, -0.05 a 5 % fall), the metric’s value (risk_metric); none for limit_breach',
    )
      .nullable()
      .optional(),
    window_hours: z
      .number()
      .int()
      .min(1)
      .max(720)
      .nullable()
      .optional()
      .openapi({ description: 'pct_change: the change over this many hours (default 24)' }),
    cooldown_seconds: z
      .number()
      .int()
      .min(0)
      .max(30 * 86_400)
      .default(3600),
    enabled: z.boolean().default(true),
  })
  .openapi('AlertCreate');

export const ZAlertPatch = z
  .strictObject({
    enabled: z.boolean().optional(),
    threshold: zSignedDecimal('A new threshold (the alert re-arms)').optional(),
    cooldown_seconds: z
      .number()
      .int()
      .min(0)
      .max(30 * 86_400)
      .optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, { message: 'give at least one field' })
  .openapi('AlertPatch', { minProperties: 1 });

export const ZAlert = z
  .object({
    id: z.uuid(),
    owner_id: z.uuid(),
    kind: z.enum(ALERT_KINDS),
    symbol: z.string().nullable(),
    portfolio_id: z.uuid().nullable(),
    metric: z.enum(ALERT_METRICS).nullable(),
    direction: z.enum(['above', 'below']),
    threshold: z.string().nullable(),
    window_hours: z.number().int().nullable(),
    cooldown_seconds: z.number().int(),
    enabled: z.boolean(),
    state: z
      .enum(['armed', 'triggered'])
      .openapi({ description: 'triggered: fired and waiting for the condition to stop holding' }),
    last_value: z.string().nullable(),
    last_evaluated_at: z.string().nullable().openapi({ format: 'date-time' }),
    last_fired_at: z.string().nullable().openapi({ format: 'date-time' }),
    created_at: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('Alert');
export const ZAlertList = z.object({ data: z.array(ZAlert) }).openapi('AlertList');

export const ZAlertEvent = z
  .object({
    id: z.string().openapi({ description: 'Increasing; the SSE event id' }),
    alert_id: z.uuid(),
    fired_at: z.string().openapi({ format: 'date-time' }),
    event: z
      .record(z.string(), z.unknown())
      .openapi({ description: 'What fired: the alert, the value seen, the time' }),
  })
  .openapi('AlertEvent');
export const ZAlertEventQuery = z.strictObject({
  limit: intParam(1, 200, 50),
  cursor: z
    .string()
    .regex(/^\d{1,18}$/, 'must be a next_cursor from a previous page')
    .optional()
    .openapi({ maxLength: 18 }),
});
export const ZAlertEventList = z
  .object({
    data: z.array(ZAlertEvent),
    pagination: z.object({ limit: z.number().int(), next_cursor: z.string().nullable() }),
  })
  .openapi('AlertEventList');
export const ZStreamQuery = z.strictObject({
  last_event_id: z
    .string()
    .regex(/^\d{1,18}$/, 'must be an event id')
    .optional()
    .openapi({
      maxLength: 18,
      description: 'Resume after this event (as the Last-Event-ID header does; the header wins)',
    }),
});
