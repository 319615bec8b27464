import type { DataSource } from 'typeorm';
import {
  upsertCoins,
  upsertHistory,
  type TCoinUpsert,
  type THistoryInsert,
} from '../market/market.writer.ts';
import { coinFromCoinGecko } from '../providers/coingecko.mapper.ts';
import { ZCoinGeckoMarkets } from '../providers/coingecko.schemas.ts';
import {
  listBundledCoins,
  loadCategories,
  loadDailyHistory,
  loadSnapshot,
  MARKETS_SNAPSHOT,
} from './bundled.ts';

export type TSeedOptions = {
  /** Only these symbols (default: every bundled coin). */
  symbols?: string[];
  /** Skip the daily history (coins and categories only). */
  withHistory?: boolean;
};

export type TSeedResult = { coins: number; history_points: number; categories: number };

const titleCase = (id: string) => id.replace(/-/g, ' ').replace(/\b\w/g, (char) => char.toUpperCase());

/**
 * Loads the bundled real CoinGecko data: the recorded top-100 market snapshot, every coin that has
 * bundled daily history, the curated categories and the daily closes. Idempotent (upserts).
 */
export async function seedBundledData(db: DataSource, options: TSeedOptions = {}): Promise<TSeedResult> {
  const wanted = options.symbols ? new Set(options.symbols.map((symbol) => symbol.toUpperCase())) : null;
  const markets = ZCoinGeckoMarkets.parse(await loadSnapshot(MARKETS_SNAPSHOT));
  const categories = await loadCategories();
  const bundled = await listBundledCoins();

  const coins = new Map<string, TCoinUpsert>();
  for (const market of markets) coins.set(market.symbol.toUpperCase(), coinFromCoinGecko(market));
  const histories = new Map<string, Awaited<ReturnType<typeof loadDailyHistory>>>();
  for (const coin of bundled) {
    if (wanted && !wanted.has(coin.symbol)) continue;
    const points = await loadDailyHistory(coin.symbol);
    histories.set(coin.symbol, points);
    if (coins.has(coin.symbol)) continue;
    // A coin that is in the history sets but not in the Jan 2023 snapshot: describe it from its series.
    const last = points[points.length - 1];
    coins.set(coin.symbol, {
      symbol: coin.symbol,
      name: titleCase(coin.coingecko_id),
      slug: coin.coingecko_id,
      coingecko_id: coin.coingecko_id,
      current_price: last?.close ?? null,
      market_cap: last?.market_cap ?? null,
      total_volume: last?.volume ?? null,
      last_updated: last ? `${last.date}T00:00:00.000Z` : null,
    });
  }
  for (const category of categories) {
    for (const symbol of category.symbols) {
      const coin = coins.get(symbol);
      if (coin) coin.categories = [...(coin.categories ?? []), category.slug];
    }
  }
  const selected = [...coins.values()].filter((coin) => !wanted || wanted.has(coin.symbol));

  return db.transaction(async (manager) => {
    await manager.query(
      `INSERT INTO categories (slug, name) SELECT * FROM unnest($1::text[], $2::text[])
       ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, updated_at = now()`,
      [categories.map((c) => c.slug), categories.map((c) => c.name)],
    );
    const ids = await upsertCoins(manager, selected);
    const points: THistoryInsert[] = [];
    if (options.withHistory !== false) {
      for (const [symbol, series] of histories) {
        const id = ids.get(symbol);
        if (id === undefined) continue;
        for (const point of series) {
          points.push({
            cryptocurrency_id: id,
            timestamp: new Date(`${point.date}T00:00:00.000Z`),
            price: point.close,
            market_cap: point.market_cap,
            total_volume: point.volume,
          });
        }
      }
    }
    const written = await upsertHistory(manager, points);
    return { coins: ids.size, history_points: written, categories: categories.length };
  });
}
