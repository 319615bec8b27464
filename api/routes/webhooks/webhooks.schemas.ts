import { WEBHOOK_EVENTS } from '../../../core/webhooks/index.ts';
import { z } from '../../openapi/zod.ts';
import { intParam, zKeysetCursor, zText } from '../common.schemas.ts';

const DELIVERY_ID = /^msg_[0-9a-f]{32}$/;

export const ZEndpointParams = z.strictObject({ id: z.uuid('must be a UUID') });
export const ZDeliveryParams = z.strictObject({
  id: z.uuid('must be a UUID'),
  deliveryId: z
    .string()
    .regex(DELIVERY_ID, 'must be a delivery id (msg_ and 32 hex digits)')
    .openapi({ maxLength: 36 }),
});

export const ZEndpointCreate = z
  .strictObject({
    url: z.string().min(1).max(2000).openapi({
      example: 'https://hooks.example.com/trading',
      description: 'https in production; no credentials',
    }),
    events: z
      .array(z.enum(WEBHOOK_EVENTS))
      .min(1, 'give at least one event type')
      .max(WEBHOOK_EVENTS.length * 2),
    description: zText(200).optional(),
  })
  .openapi('WebhookEndpointCreate');

const ENDPOINT_SHAPE = {
  id: z.uuid(),
  owner_id: z.uuid(),
  url: z.string(),
  description: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENTS)),
  status: z.enum(['enabled', 'disabled']),
  disabled_reason: z.string().nullable(),
  consecutive_failures: z.number().int(),
  previous_secret_until: z.string().nullable().openapi({
    format: 'date-time',
    description: 'Until when the previous secret also signs (after a rotation)',
  }),
  created_at: z.string().openapi({ format: 'date-time' }),
  updated_at: z.string().openapi({ format: 'date-time' }),
};
export const ZEndpoint = z.object(ENDPOINT_SHAPE).openapi('WebhookEndpoint');
export const ZEndpointWithSecret = z
  .object({
    ...ENDPOINT_SHAPE,
    secret: z
      .string()
      .openapi({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'Shown once' }),
  })
  .openapi('WebhookEndpointWithSecret');
export const ZEndpointList = z.object({ data: z.array(ZEndpoint) }).openapi('WebhookEndpointList');

const DELIVERY_STATUSES = ['pending', 'succeeded', 'retrying', 'dead'] as const;
export const ZDelivery = z
  .object({
    id: z.string().openapi({ description: 'The webhook-id header: the same on every attempt' }),
    endpoint_id: z.uuid(),
    event_type: z.string(),
    status: z
      .enum(DELIVERY_STATUSES)
      .openapi({ description: 'dead: every attempt failed (the dead letter)' }),
    attempts: z.number().int(),
    round: z.number().int().openapi({ description: 'Redeliveries so far' }),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    last_latency_ms: z.number().int().nullable(),
    next_attempt_at: z.string().nullable().openapi({ format: 'date-time' }),
    created_at: z.string().openapi({ format: 'date-time' }),
    updated_at: z.string().openapi({ format: 'date-time' }),
    delivered_at: z.string().nullable().openapi({ format: 'date-time' }),
  })
  .openapi('WebhookDelivery');
export const ZDeliveryQuery = z.strictObject({
  status: z.enum(DELIVERY_STATUSES).optional(),
  limit: intParam(1, 200, 50),
  cursor: zKeysetCursor('message').optional(),
});
export const ZDeliveryList = z
  .object({
    data: z.array(ZDelivery),
    pagination: z.object({ limit: z.number().int(), next_cursor: z.string().nullable() }),
  })
  .openapi('WebhookDeliveryList');
