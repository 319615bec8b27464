import { z } from 'zod';
import { bool } from './env-parts.ts';

/** The live market's settings: the worker's ticker and the API's market streams (SSE and WebSocket). */
export const LIVE_MARKET_SETTINGS = {
  TICKER_ENABLED: bool
    .default(true)
    .describe(
      'The worker publishes live ticks between syncs (offline: the Brownian bridge; live: price polls within the call budget)',
    ),
  TICK_INTERVAL_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(3600)
    .default(10)
    .describe("Seconds between two ticks of every listed coin (also the unit of a tick's seq)"),
  TICK_HISTORY_RESOLUTION_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(86_400)
    .default(60)
    .describe('One tick point per coin this often goes into price_history (kind tick); 0 = none'),
  TICK_HISTORY_RAW_DAYS: z.coerce
    .number()
    .int()
    .min(1)
    .max(3650)
    .default(7)
    .describe('Tick points are kept raw this long; the cleanup job then thins them to one per hour'),
  MARKET_TICK_REPLAY: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(60)
    .describe('Tick batches kept in Redis for SSE resumption with Last-Event-ID (60 × 10 s: ten minutes)'),
  MARKET_STREAMS_PER_CLIENT: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(10)
    .describe('Open market streams (SSE and WebSocket) per client (user, else IP) over every replica'),
  MARKET_STREAMS_PER_REPLICA: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(10_000)
    .describe('Open market streams one API process holds at most'),
  MARKET_STREAM_HEARTBEAT_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(300)
    .default(15)
    .describe('SSE comment / WebSocket ping interval; a WebSocket that misses a pong is closed'),
  MARKET_STREAM_IDLE_SECONDS: z.coerce
    .number()
    .int()
    .min(5)
    .max(86_400)
    .default(300)
    .describe('A WebSocket subscribed to no symbol for this long is closed (4000, "idle")'),
};
