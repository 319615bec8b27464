import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { TConfig } from '../../core/platform/config/env.ts';
import type { TCheck } from '../../core/platform/health/health.ts';
import type { TServices } from '../../core/services.ts';
import type { TEventStreams } from '../http/event-streams.ts';
import type { TStreamLeases } from '../http/stream-leases.ts';
import type { TLiveHub } from './market/live-hub.ts';

/** What route handlers are given: the domain services, and for the system routes the infrastructure. */
export type TRouteDeps = {
  config: TConfig;
  services: TServices;
  system: {
    db: DataSource;
    redis: Redis;
    metrics: Registry;
    version: string;
    openApiJson: string;
    isShuttingDown: () => boolean;
    isStarting: () => boolean;
    /** Whether the schema has every migration this code knows (readiness). */
    schemaCheck: () => Promise<TCheck>;
    /** Redis pub/sub for live streams (alerts over SSE). */
    streams: TEventStreams;
    /** The cap on open streams per user, over every replica. */
    streamLeases: TStreamLeases;
    /** The live market: ticks fanned out to SSE and WebSocket streams (api/routes/market/live-hub.ts). */
    live: TLiveHub;
  };
};
