import type { DataSource } from 'typeorm';
import { deriveMarketFields, upsertCoins, upsertHistory, type THistoryInsert } from '../market.writer.ts';
import type { TProviderChain, TSkippedProvider } from '../provider-chain.ts';
import type { TProviderName } from '../providers/provider.types.ts';

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
 * transaction, then invalidates the API cache. `as_of` comes from the job (its trigger window), so
 * running the same job again writes the same rows.
 */
export async function syncMarkets(
  deps: { db: DataSource; providers: TProviderChain; invalidateCache: () => Promise<unknown> },
  input: TSyncInput,
): Promise<TSyncResult> {
  const started = performance.now();
  const asOf = new Date(input.as_of);
  const markets = await deps.providers.fetchMarkets(input.limit, asOf, input.provider);
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
