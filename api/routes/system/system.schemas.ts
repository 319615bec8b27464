import { PROVIDER_NAMES } from '../../../core/market/index.ts';
import { z } from '../../openapi/zod.ts';

const ZCheck = z
  .object({
    status: z.enum(['up', 'down']),
    latency_ms: z.number().optional().openapi({ description: 'Operators only (jobs:admin) on /health' }),
    error: z
      .string()
      .optional()
      .openapi({ description: 'The dependency’s own message: operators only (jobs:admin), /health only' }),
  })
  .openapi('DependencyCheck');

export const ZMarketSource = z
  .object({
    provider: z.enum(PROVIDER_NAMES),
    description: z.string().openapi({
      example: 'replay of recorded CoinGecko closes 2015-01-01..2025-06-08, shifted by 631 days',
    }),
    status: z.enum(['live', 'replaying', 'exhausted', 'not_loaded', 'unknown']).openapi({
      description:
        'replaying: the offline recording is being replayed; exhausted: its last recorded day has passed',
    }),
    recorded_first: z.string().optional().openapi({ format: 'date' }),
    recorded_last: z.string().optional().openapi({ format: 'date' }),
    shift_days: z.number().int().optional().openapi({ description: 'Days added to every recorded date' }),
    recorded_day_now: z
      .string()
      .optional()
      .openapi({ format: 'date', description: 'Recorded day served today' }),
    replay_ends: z
      .string()
      .optional()
      .openapi({ format: 'date', description: 'Served date of the last recorded day' }),
    anchored_at: z.string().optional().openapi({ format: 'date-time' }),
  })
  .openapi('MarketDataSource');

export const ZHealth = z
  .object({
    status: z.enum(['ok', 'degraded', 'shutting_down']),
    version: z.string().optional().openapi({ description: 'Operators only (jobs:admin)' }),
    uptime_seconds: z.number().optional().openapi({ description: 'Operators only (jobs:admin)' }),
    checks: z.object({ database: ZCheck, redis: ZCheck }),
    market_data: ZMarketSource,
  })
  .openapi('Health');

export const ZProbe = z
  .object({
    status: z.enum(['ok', 'unavailable', 'starting', 'shutting_down']),
    checks: z.record(z.string(), ZCheck).optional(),
  })
  .openapi('Probe');

export const ZRoot = z
  .object({
    name: z.string(),
    version: z.string(),
    description: z.string(),
    links: z.object({
      docs: z.string(),
      openapi: z.string(),
      health: z.string(),
      cryptocurrencies: z.string(),
    }),
    attribution: z.string(),
    market_data: ZMarketSource,
  })
  .openapi('ApiRoot');
