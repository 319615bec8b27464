import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { TQueryable } from '../../platform/db/tx.ts';
import type { TAnnounce } from '../../platform/jobs/index.ts';
import { loadRecording } from '../bundled/recording.ts';
import { readTimeline } from '../bundled/timeline.repository.ts';
import { isExhausted, type TTimeline } from '../bundled/timeline.ts';
import { replayTick, tickSlot, ZTick, type TTick } from './ticks.ts';

declare module '../../platform/jobs/events.ts' {
  interface TEvents {
    /**
     * The ticker wrote new current prices (one slot): core/workflows.ts bumps the market data version and
     * evaluates the alerts on those coins (at most once per tick interval).
     */
    'market.ticked': { symbols: string[] };
  }
}

/** One slot's ticks of every listed coin: what the ticker publishes, one message per slot. */
export const ZTickBatch = z.strictObject({ seq: z.number().int(), at: z.string(), ticks: z.array(ZTick) });
export type TTickBatch = z.infer<typeof ZTickBatch>;

/** The channel and keys of the live market, in the queue store (noeviction: the replay must stay). */
export const tickKeys = (prefix: string) => ({
  /** Pub/sub: one JSON TTickBatch per slot. */
  channel: `${prefix}market:ticks`,
  /** Hash symbol → the coin's latest tick (JSON): the snapshot a new stream starts with. */
  last: `${prefix}market:ticks:last`,
  /** List of the last MARKET_TICK_REPLAY batches (JSON), newest first: SSE resumption. */
  recent: `${prefix}market:ticks:recent`,
  /** One publisher per slot over every worker replica (SET NX). */
  slot: (seq: number) => `${prefix}market:ticks:slot:${seq}`,
});

const LISTING_TTL_MS = 60_000;

/** Stores the batch's ticks as the latest (the snapshot), keeps it in the replay list, and publishes it: one MULTI. */
export async function publishTicks(
  redis: Redis,
  keyPrefix: string,
  replay: number,
  batch: TTickBatch,
): Promise<void> {
  const keys = tickKeys(keyPrefix);
  const message = JSON.stringify(batch);
  await redis
    .multi()
    .hset(keys.last, Object.fromEntries(batch.ticks.map((t) => [t.symbol, JSON.stringify(t)])))
    .lpush(keys.recent, message)
    .ltrim(keys.recent, 0, replay - 1)
    .publish(keys.channel, message)
    .exec();
}

export type TTickerDeps = {
  db: TQueryable;
  /** The queue store: the slot lock, the channel, the snapshot and the replay list. */
  redis: Redis;
  /** Announces `market.ticked` (what follows is core/workflows.ts's: the cache version, alerts). */
  announce: TAnnounce;
  keyPrefix: string;
  intervalSeconds: number;
  replay: number;
  logger: Logger;
};

/**
 * The worker's ticker (issue #24): at every TICK_INTERVAL_SECONDS slot it takes every listed coin's
 * tick, writes each coin's current price and 24 h change to the listing, announces `market.ticked`
 * (core/workflows.ts: the data version, so cached reads and the stream agree; the coins' alerts), then, in one MULTI on the queue store, stores the snapshot and the
 * replay list and publishes the batch. A slot is published once over every worker replica (SET NX); the
 * path itself is deterministic, so a second publisher would send the same ticks anyway.
 *
 * Offline replay only, for now: with a live provider it stays idle (polling the providers' price
 * endpoints within the call budget is not built yet).
 */
export function createTicker(deps: TTickerDeps) {
  const keys = tickKeys(deps.keyPrefix);
  const interval = deps.intervalSeconds;
  let listing:
    { at: number; timeline: TTimeline | null; coins: { id: number; symbol: string }[] } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = true;

  async function listed() {
    if (!listing || Date.now() - listing.at > LISTING_TTL_MS) {
      const [timeline, coins] = await Promise.all([
        readTimeline(deps.db),
        deps.db.query(
          `SELECT id, symbol FROM cryptocurrencies WHERE current_price IS NOT NULL ORDER BY id`,
        ) as Promise<{ id: number; symbol: string }[]>,
      ]);
      listing = { at: Date.now(), timeline, coins };
    }
    return listing;
  }

  /** Takes and publishes slot `seq`; null when another replica had it, or nothing is listed. */
  async function tick(seq: number): Promise<TTickBatch | null> {
    const { timeline, coins } = await listed();
    if (!timeline || !coins.length) return null;
    const at = new Date(seq * interval * 1000);
    if (isExhausted(timeline, at)) return null;
    const taken = await deps.redis.set(keys.slot(seq), '1', 'PX', interval * 2000, 'NX');
    if (taken !== 'OK') return null;
    const recording = await loadRecording();
    const ticks: TTick[] = [];
    for (const coin of coins) {
      const recorded = recording.bySymbol.get(coin.symbol);
      const next = recorded && replayTick(recorded, timeline, seq, interval);
      if (next) ticks.push(next);
    }
    if (!ticks.length) return null;
    await deps.db.query(
      `UPDATE cryptocurrencies c SET current_price = t.price, price_change_percentage_24h = t.change,
         last_updated = t.at, updated_at = now()
       FROM unnest($1::text[], $2::numeric[], $3::numeric[], $4::timestamptz[]) AS t(symbol, price, change, at)
       WHERE c.symbol = t.symbol AND (c.last_updated IS NULL OR c.last_updated <= t.at)`,
      [
        ticks.map((t) => t.symbol),
        ticks.map((t) => String(t.price)),
        ticks.map((t) => (t.change_24h === null ? null : String(t.change_24h))),
        ticks.map((t) => t.at),
      ],
    );
    // Before publishing: a client that reads after a tick sees the tick's price (the version retired the old answers).
    await deps.announce('market.ticked', { symbols: ticks.map((t) => t.symbol) });
    const batch: TTickBatch = { seq, at: at.toISOString(), ticks };
    await publishTicks(deps.redis, deps.keyPrefix, deps.replay, batch);
    return batch;
  }

  function schedule() {
    if (stopped) return;
    const now = Date.now();
    const next = (tickSlot(now, interval) + 1) * interval * 1000;
    timer = setTimeout(() => {
      running = tick(tickSlot(Date.now(), interval))
        .catch((error: unknown) => deps.logger.warn({ err: error }, 'tick failed'))
        .finally(() => {
          running = undefined;
          schedule();
        });
    }, next - now);
    timer.unref();
  }

  return {
    tick,
    start() {
      if (!stopped) return;
      stopped = false;
      schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
export type TTicker = ReturnType<typeof createTicker>;
