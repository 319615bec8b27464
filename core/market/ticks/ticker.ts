import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { TQueryable } from '../../platform/db/tx.ts';
import type { TAnnounce } from '../../platform/jobs/index.ts';
import { loadRecording } from '../bundled/recording.ts';
import { readTimeline } from '../bundled/timeline.repository.ts';
import { isExhausted, type TTimeline } from '../bundled/timeline.ts';
import type { TProviderChain } from '../provider-chain.ts';
import { ProviderError } from '../providers/provider-error.ts';
import { liveTickCadence, type TBudgetConfig, type TSyncCadence } from './live-cadence.ts';
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

/** The latest tick of every coin the ticker published (the snapshot hash), newest state of each. */
export async function readLatestTicks(redis: Redis, keyPrefix: string): Promise<TTick[]> {
  const stored = await redis.hvals(tickKeys(keyPrefix).last);
  const ticks: TTick[] = [];
  for (const value of stored) {
    const parsed = ZTick.safeParse(JSON.parse(value));
    if (parsed.success) ticks.push(parsed.data);
  }
  return ticks;
}

/**
 * Writes ticks' prices, 24 h changes and times to the listing, each only over an older price: a tick
 * never takes back a fresher price (a later sync's), and a sync that re-applies the latest ticks
 * (syncMarkets) takes back only the prices older than them.
 */
export async function writeTickPrices(db: TQueryable, ticks: readonly TTick[]): Promise<void> {
  if (!ticks.length) return;
  await db.query(
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
}

/**
 * Tick points for price_history (kind 'tick'): one per coin per TICK_HISTORY_RESOLUTION_SECONDS, from
 * the first tick of each resolution bucket, so the point count does not depend on the tick interval. A
 * point never replaces a stored one at the same time (a sync's point there stays: the daily reads'
 * rows are kind 'market'). Returns how many were written.
 */
export async function writeTickPoints(
  db: TQueryable,
  ticks: readonly TTick[],
  intervalSeconds: number,
  resolutionSeconds: number,
): Promise<number> {
  if (!ticks.length || resolutionSeconds <= 0) return 0;
  const at = Date.parse(ticks[0]!.at) / 1000;
  const bucket = (seconds: number) => Math.floor(seconds / resolutionSeconds);
  if (bucket(at) === bucket(at - intervalSeconds)) return 0;
  const rows: unknown[] = await db.query(
    `INSERT INTO price_history (cryptocurrency_id, "timestamp", price, total_volume, kind)
     SELECT c.id, t.at, t.price, t.volume, 'tick'
     FROM unnest($1::text[], $2::numeric[], $3::numeric[], $4::timestamptz[]) AS t(symbol, price, volume, at)
     JOIN cryptocurrencies c ON c.symbol = t.symbol
     ON CONFLICT (cryptocurrency_id, "timestamp") DO NOTHING
     RETURNING 1`,
    [
      ticks.map((t) => t.symbol),
      ticks.map((t) => String(t.price)),
      ticks.map((t) => (t.volume_24h === null ? null : String(t.volume_24h))),
      ticks.map((t) => t.at),
    ],
  );
  return rows.length;
}

export type TTickerDeps = {
  db: TQueryable;
  /** The queue store: the slot lock, the channel, the snapshot and the replay list. */
  redis: Redis;
  /** Announces `market.ticked` (what follows is core/workflows.ts's: the cache version, alerts). */
  announce: TAnnounce;
  keyPrefix: string;
  /** TICK_INTERVAL_SECONDS: the replay's cadence (a live provider's is `live.cadence.seconds`). */
  intervalSeconds: number;
  /** TICK_HISTORY_RESOLUTION_SECONDS: one tick point per coin this often in price_history (0: none). */
  historyResolutionSeconds: number;
  replay: number;
  logger: Logger;
  /**
   * With a live provider (MARKET_DATA_PROVIDER coingecko or coinmarketcap): the syncs' provider chain
   * (its HTTP clients, call budgets and cooldowns), the budgets, and the recurring syncs (their share
   * of the budgets; also given to start()).
   */
  live?: { providers: () => TProviderChain; budgets: TBudgetConfig; syncs?: readonly TSyncCadence[] };
};

/**
 * The worker's ticker (issue #24): at every TICK_INTERVAL_SECONDS slot it takes every listed coin's
 * tick, writes each coin's current price and 24 h change to the listing, announces `market.ticked`
 * (core/workflows.ts: the data version, so cached reads and the stream agree; the coins' alerts), then, in one MULTI on the queue store, stores the snapshot and the
 * replay list and publishes the batch. A slot is published once over every worker replica (SET NX); the
 * path itself is deterministic, so a second publisher would send the same ticks anyway.
 *
 * Offline the ticks follow the replay's Brownian bridge. With a live provider the ticker polls its price
 * endpoint (CoinGecko /simple/price, CoinMarketCap listings/latest) through the syncs' provider chain,
 * at the cadence the call budgets allow after the syncs' share (live-cadence.ts), falling back as syncs
 * do; a slot no provider can answer (budget spent, cooling down, failing) publishes nothing.
 * Every TICK_HISTORY_RESOLUTION_SECONDS a tick point per coin goes into price_history (kind 'tick').
 */
export function createTicker(deps: TTickerDeps) {
  const keys = tickKeys(deps.keyPrefix);
  const live = deps.live;
  let syncs = live?.syncs ?? [];
  let cadence: ReturnType<typeof liveTickCadence> | undefined;
  /** The live cadence, worked out on first use (it builds the provider chain). */
  const liveCadence = () =>
    (cadence ??= liveTickCadence(live!.budgets, live!.providers().liveOrder(), syncs));
  const intervalSeconds = () => (live ? liveCadence().seconds : deps.intervalSeconds);
  let listing:
    | {
        at: number;
        timeline: TTimeline | null;
        coins: { id: number; symbol: string; coingecko_id: string | null }[];
      }
    | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = true;

  async function listed() {
    if (!listing || Date.now() - listing.at > LISTING_TTL_MS) {
      const [timeline, coins] = await Promise.all([
        readTimeline(deps.db),
        deps.db.query(
          `SELECT id, symbol, coingecko_id FROM cryptocurrencies WHERE current_price IS NOT NULL
           ORDER BY market_cap DESC NULLS LAST, id`,
        ) as Promise<{ id: number; symbol: string; coingecko_id: string | null }[]>,
      ]);
      listing = { at: Date.now(), timeline, coins };
    }
    return listing;
  }

  /** The replay's ticks of slot `seq` (the Brownian bridge), or null past the recording. */
  async function replayTicks(seq: number, at: Date): Promise<TTick[] | null> {
    const interval = deps.intervalSeconds;
    const { timeline, coins } = await listed();
    if (!timeline || isExhausted(timeline, at)) return null;
    const recording = await loadRecording();
    const ticks: TTick[] = [];
    for (const coin of coins) {
      const recorded = recording.bySymbol.get(coin.symbol);
      const next = recorded && replayTick(recorded, timeline, seq, interval);
      if (next) ticks.push(next);
    }
    return ticks;
  }

  /** A live provider's prices for slot `seq`, or null when no provider could answer. */
  async function liveTicks(seq: number, at: Date): Promise<TTick[] | null> {
    const { coins } = await listed();
    try {
      const { reserve, providers } = liveCadence();
      const answer = await live!.providers().fetchPrices(coins, reserve, providers);
      return answer.prices.map((price) => ({
        symbol: price.symbol,
        price: Number(price.price.toPrecision(12)),
        change_24h: price.change_24h === null ? null : Number(price.change_24h.toPrecision(10)),
        volume_24h: price.volume_24h === null ? null : Math.round(price.volume_24h),
        at: at.toISOString(),
        seq,
      }));
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      deps.logger.info({ err: error, seq }, 'no live tick this slot: no provider could answer');
      return null;
    }
  }

  /** Takes and publishes slot `seq`; null when another replica had it, or nothing is listed. */
  async function tick(seq: number): Promise<TTickBatch | null> {
    const interval = intervalSeconds();
    const { coins } = await listed();
    if (!coins.length || !Number.isFinite(interval)) return null;
    const at = new Date(seq * interval * 1000);
    if (!live) {
      const { timeline } = await listed();
      if (!timeline || isExhausted(timeline, at)) return null;
    }
    const taken = await deps.redis.set(keys.slot(seq), '1', 'PX', interval * 2000, 'NX');
    if (taken !== 'OK') return null;
    const ticks = live ? await liveTicks(seq, at) : await replayTicks(seq, at);
    if (!ticks?.length) return null;
    await writeTickPrices(deps.db, ticks);
    await writeTickPoints(deps.db, ticks, interval, deps.historyResolutionSeconds);
    // Before publishing: a client that reads after a tick sees the tick's price (the version retired the old answers).
    await deps.announce('market.ticked', { symbols: ticks.map((t) => t.symbol) });
    const batch: TTickBatch = { seq, at: at.toISOString(), ticks };
    await publishTicks(deps.redis, deps.keyPrefix, deps.replay, batch);
    return batch;
  }

  function schedule() {
    if (stopped) return;
    const interval = intervalSeconds();
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
    /** Seconds between two ticks: TICK_INTERVAL_SECONDS offline, the budget's cadence live. */
    intervalSeconds,
    /** The live cadence and what set it (undefined offline). */
    cadence: () => (live ? liveCadence() : undefined),
    /** Starts ticking; `syncs`: the recurring syncs whose share of a live budget the ticks leave them. */
    start(options: { syncs?: readonly TSyncCadence[] } = {}) {
      if (options.syncs && live && !cadence) syncs = options.syncs;
      if (!stopped || !Number.isFinite(intervalSeconds())) return;
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
