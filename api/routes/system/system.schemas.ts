import { z } from '../../openapi/zod.ts';

const ZCheck = z
  .object({
    status: z.enum(['up', 'down']),
    latency_ms: z.number(),
    error: z.string().optional(),
  })
  .openapi('DependencyCheck');

export const ZHealth = z
  .object({
    status: z.enum(['ok', 'degraded', 'shutting_down']),
    version: z.string(),
    uptime_seconds: z.number(),
    checks: z.object({ database: ZCheck, redis: ZCheck }),
  })
  .openapi('Health');

export const ZProbe = z
  .object({
    status: z.enum(['ok', 'unavailable', 'shutting_down']),
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
  })
  .openapi('ApiRoot');
