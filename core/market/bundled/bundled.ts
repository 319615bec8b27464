import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Reads the real CoinGecko data bundled under data/ (see data/SOURCE.md). The same files back the
 * local seed, the offline replay provider and the tests.
 */
export type TDailyPoint = { date: string; close: number; volume: number | null; market_cap: number | null };
export type TBundledCoin = { symbol: string; coingecko_id: string; files: string[] };
export type TBundledCategory = { slug: string; name: string; symbols: string[] };

function findDataDir(): string {
  // Works from the sources (core/market-data) and from the build output (dist/core/market-data).
  let dir = import.meta.dirname;
  for (let depth = 0; depth < 5; depth += 1) {
    const candidate = path.join(dir, 'data', 'market-data');
    if (existsSync(candidate)) return path.join(dir, 'data');
    dir = path.dirname(dir);
  }
  throw new Error('bundled market data not found (expected a data/market-data folder above the code)');
}

export const DATA_DIR = findDataDir();
const MARKET_DIR = path.join(DATA_DIR, 'market-data');
const DAILY_DIRS = ['coingecko-daily-2015-2022', 'coingecko-daily-2023-2025'];

function parseCsv(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trim().split(/\r?\n/);
  const names = header!.split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(names.map((name, index) => [name, cells[index] ?? '']));
  });
}

const toNumber = (value: string | undefined): number | null => (value ? Number(value) : null);

/** Coins with bundled daily history, from the manifest (symbol, CoinGecko id, files). */
export async function listBundledCoins(): Promise<TBundledCoin[]> {
  const rows = parseCsv(await readFile(path.join(MARKET_DIR, 'manifest.csv'), 'utf8'));
  const coins = new Map<string, TBundledCoin>();
  for (const row of rows) {
    const symbol = row.symbol!;
    const coin = coins.get(symbol) ?? {
      symbol,
      coingecko_id: row.source_id!.replace(/^coingecko:/, ''),
      files: [],
    };
    coin.files.push(row.file!.replace(/^daily\//, 'coingecko-daily-2015-2022/'));
    coins.set(symbol, coin);
  }
  return [...coins.values()].sort((a, b) => a.symbol.localeCompare(b.symbol));
}

/** A coin's full bundled daily series, oldest first; where the two sets overlap, the later file wins. */
export async function loadDailyHistory(symbol: string): Promise<TDailyPoint[]> {
  const byDate = new Map<string, TDailyPoint>();
  for (const dir of DAILY_DIRS) {
    const file = path.join(MARKET_DIR, dir, `${symbol}.csv`);
    if (!existsSync(file)) continue;
    for (const row of parseCsv(await readFile(file, 'utf8'))) {
      const close = toNumber(row.close);
      if (close === null) continue;
      byDate.set(row.date!, {
        date: row.date!,
        close,
        volume: toNumber(row.volume),
        market_cap: toNumber(row.market_cap),
      });
    }
  }
  return [...byDate.values()].sort((a, b) => a.date.localeCompare(b.date));
}

export async function loadSnapshot(name: string): Promise<unknown> {
  return JSON.parse(await readFile(path.join(MARKET_DIR, 'coingecko-snapshots', name), 'utf8'));
}

export const MARKETS_SNAPSHOT = 'coins_markets_vs_usd_top100_2023-01-16.json';
export const MARKET_CHART_SNAPSHOT = 'coins_bitcoin_market_chart_vs_usd_days60_2023-01-19.json';

export async function loadCategories(): Promise<TBundledCategory[]> {
  return JSON.parse(await readFile(path.join(DATA_DIR, 'categories.json'), 'utf8'));
}
