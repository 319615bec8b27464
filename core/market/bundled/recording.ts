import type { TCoinUpsert } from '../coin.ts';
import { coinFromCoinGecko } from '../providers/coingecko.mapper.ts';
import { ZCoinGeckoMarkets } from '../providers/coingecko.schemas.ts';
import {
  listBundledCoins,
  loadCategories,
  loadDailyHistory,
  loadSnapshot,
  MARKETS_SNAPSHOT,
  type TDailyPoint,
} from './bundled.ts';
import { servedAt, type TTimeline } from './timeline.ts';

/** What the recording knows of a coin that does not change from day to day. */
export type TRecordedCoinInfo = {
  symbol: string;
  name: string;
  slug: string;
  coingecko_id: string;
  image_url: string | null;
  circulating_supply: number | null;
  total_supply: number | null;
  max_supply: number | null;
  categories: string[];
};

export type TRecordedCoin = TRecordedCoinInfo & {
  /** Recorded daily closes, oldest first (CoinGecko's 00:00 UTC snapshot of each date). */
  closes: TDailyPoint[];
  /** Index of the highest / lowest close among closes[0..i], for ATH/ATL as of any day. */
  highest: number[];
  lowest: number[];
};

export type TRecording = {
  coins: TRecordedCoin[];
  bySymbol: Map<string, TRecordedCoin>;
  first: string;
  last: string;
};

/** Recorded closes older than this before a day do not make a coin "trading" on that day. */
const MAX_GAP_DAYS = 7;
const DAY_MS = 86_400_000;

const titleCase = (id: string) => id.replace(/-/g, ' ').replace(/\b\w/g, (char) => char.toUpperCase());

let cached: Promise<TRecording> | undefined;

/**
 * The bundled real CoinGecko recording (data/SOURCE.md): every coin with daily closes, described by
 * the recorded /coins/markets snapshot of 2023-01-16 where it lists the coin (name, image, supply),
 * and by its CoinGecko id otherwise. Loaded once per process.
 */
export function loadRecording(): Promise<TRecording> {
  cached ??= load();
  return cached;
}

async function load(): Promise<TRecording> {
  const snapshot = new Map(
    ZCoinGeckoMarkets.parse(await loadSnapshot(MARKETS_SNAPSHOT)).map((market) => {
      const coin = coinFromCoinGecko(market);
      return [coin.symbol, coin];
    }),
  );
  const categories = await loadCategories();
  const coins: TRecordedCoin[] = [];
  for (const bundled of await listBundledCoins()) {
    const closes = await loadDailyHistory(bundled.symbol);
    if (!closes.length) continue;
    const described = snapshot.get(bundled.symbol);
    const highest: number[] = [];
    const lowest: number[] = [];
    closes.forEach((point, index) => {
      const high = index ? highest[index - 1]! : 0;
      const low = index ? lowest[index - 1]! : 0;
      highest.push(point.close > closes[high]!.close ? index : high);
      lowest.push(point.close < closes[low]!.close ? index : low);
    });
    coins.push({
      symbol: bundled.symbol,
      name: described?.name ?? titleCase(bundled.coingecko_id),
      slug: bundled.coingecko_id,
      coingecko_id: bundled.coingecko_id,
      image_url: described?.image_url ?? null,
      circulating_supply: described?.circulating_supply ?? null,
      total_supply: described?.total_supply ?? null,
      max_supply: described?.max_supply ?? null,
      categories: categories
        .filter((category) => category.symbols.includes(bundled.symbol))
        .map((c) => c.slug),
      closes,
      highest,
      lowest,
    });
  }
  const first = coins.reduce(
    (min, coin) => (coin.closes[0]!.date < min ? coin.closes[0]!.date : min),
    '9999',
  );
  const last = coins.reduce(
    (max, coin) => (coin.closes.at(-1)!.date > max ? coin.closes.at(-1)!.date : max),
    '',
  );
  return { coins, bySymbol: new Map(coins.map((coin) => [coin.symbol, coin])), first, last };
}

/** Index of the last close on or before `date`, or -1. */
export function indexOnOrBefore(coin: TRecordedCoin, date: string): number {
  let low = 0;
  let high = coin.closes.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (coin.closes[middle]!.date <= date) {
      found = middle;
      low = middle + 1;
    } else high = middle - 1;
  }
  return found;
}

/** The close in effect on `date` if the coin was trading then (a close at most a week old), else undefined. */
export function closeOn(coin: TRecordedCoin, date: string): TDailyPoint | undefined {
  const index = indexOnOrBefore(coin, date);
  if (index < 0) return undefined;
  const point = coin.closes[index]!;
  const ageDays = (Date.parse(`${date}T00:00:00Z`) - Date.parse(`${point.date}T00:00:00Z`)) / DAY_MS;
  return ageDays <= MAX_GAP_DAYS ? point : undefined;
}

/** Highest and lowest recorded close up to `date` (inclusive), with their recorded dates. */
export function extremesUntil(coin: TRecordedCoin, date: string) {
  const index = indexOnOrBefore(coin, date);
  if (index < 0) return null;
  const ath = coin.closes[coin.highest[index]!]!;
  const atl = coin.closes[coin.lowest[index]!]!;
  return { ath: ath.close, ath_date: ath.date, atl: atl.close, atl_date: atl.date };
}

/** The descriptive part of a coin and its ATH/ATL as of `recordedDay`, with served dates. */
export function recordedCoinUpsert(
  coin: TRecordedCoin,
  timeline: TTimeline,
  recordedDay: string,
): TCoinUpsert {
  const extremes = extremesUntil(coin, recordedDay);
  const served = (date: string) => servedAt(timeline, date).toISOString();
  return {
    symbol: coin.symbol,
    name: coin.name,
    slug: coin.slug,
    coingecko_id: coin.coingecko_id,
    image_url: coin.image_url,
    circulating_supply: coin.circulating_supply,
    total_supply: coin.total_supply,
    max_supply: coin.max_supply,
    categories: coin.categories,
    ...(extremes && {
      ath: extremes.ath,
      ath_date: served(extremes.ath_date),
      atl: extremes.atl,
      atl_date: served(extremes.atl_date),
    }),
  };
}
