import type { DataSource } from 'typeorm';
import { deriveMarketFields, upsertCoins, upsertHistory, type THistoryInsert } from '../market.writer.ts';
import type { TProviderChain, TSkippedProvider } from '../provider-chain.ts';
import type { TProviderName } from '../providers/provider.types.ts';
import { writeTickPrices } from '../ticks/ticker.ts';
import type { TTick } from '../ticks/ticks.ts';

export type TSyncInput = { limit: number; provider?: TProviderName; as_of: string };
export type TSyncResult = {
  coins_upserted: number;
  history_points: number;
  provider: TProviderName;
  fallback_from: TProviderName | null;
  /** Providers tried before the one that answered, and why each was skipped. */
  skipped_providers: TSkippedProvider[];
  credits_used: number | null;
  as_of: string;
  duration_ms: number;
};

/**
 * Upserts the top `limit` coins and appends one history point per coin at `as_of`, all in one
 * transaction (where the live ticker's latest ticks, when fresher than the sync's prices, are written
 * back over them), then invalidates the API cache. `as_of` comes from the job (its trigger window), so
 * running the same job again writes the same rows.
 */
export async function syncMarkets(
  deps: {
    db: DataSource;
    providers: TProviderChain;
    invalidateCache: () => Promise<unknown>;
    /** The live ticker's latest tick of each coin (its snapshot), re-applied over older sync prices. */
    latestTicks?: () => Promise<TTick[]>;
  },
  input: TSyncInput,
): Promise<TSyncResult> {
  const started = performance.now();
  const asOf = new Date(input.as_of);
  const markets = await deps.providers.fetchMarkets(input.limit, asOf, input.provider);
  const ticks = (await deps.latestTicks?.()) ?? [];
  const historyPoints = await deps.db.transaction(async (manager) => {
    const ids = await upsertCoins(manager, markets.coins);
    const points: THistoryInsert[] = [];
    for (const coin of markets.coins) {
      const id = ids.get(coin.symbol.toUpperCase());
      if (id === undefined || coin.current_price === null || coin.current_price === undefined) continue;
      points.push({
        cryptocurrency_id: id,
        timestamp: asOf,
        price: coin.current_price,
        market_cap: coin.market_cap ?? null,
        total_volume: coin.total_volume ?? null,
      });
    }
    const written = await upsertHistory(manager, points);
    if (markets.derived_from_history) await deriveMarketFields(manager, [...ids.values()], asOf);
    // A sync's price is as of its window (the replay: the day's close); a tick taken since is fresher:
    // the listing keeps it, so reads agree with the stream until the next tick (writeTickPrices takes
    // back only prices older than the tick).
    await writeTickPrices(
      manager,
      ticks.filter((tick) => ids.has(tick.symbol)),
    );
    return written;
  });
  await deps.invalidateCache();
  return {
    coins_upserted: markets.coins.length,
    history_points: historyPoints,
    provider: markets.provider,
    fallback_from: markets.fallback_from ?? null,
    skipped_providers: markets.skipped,
    credits_used: markets.credits ?? null,
    as_of: asOf.toISOString(),
    duration_ms: Math.round(performance.now() - started),
  };
}
