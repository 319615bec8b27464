import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { DATA_DIR, MARKETS_SNAPSHOT } from './bundled.ts';
import { coinFromCoinGecko } from '../providers/coingecko.mapper.ts';
import { ZCoinGeckoMarkets } from '../providers/coingecko.schemas.ts';
import { coinFromCmc } from '../providers/coinmarketcap.mapper.ts';
import { ZCmcListings } from '../providers/coinmarketcap.schemas.ts';

// Real recorded answers: CoinGecko's /coins/markets of 2023-01-16 (data/), CoinMarketCap's
// listings/latest of 2021-04-20 (worker/test/fixtures/).
const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));
const coingecko = ZCoinGeckoMarkets.parse(
  readJson(path.join(DATA_DIR, 'market-data', 'coingecko-snapshots', MARKETS_SNAPSHOT)),
);
const cmc = ZCmcListings.parse(
  readJson(
    path.join(
      import.meta.dirname,
      '../../../worker/test/fixtures/coinmarketcap/listings_latest_convert_usd_limit100_2021-04-20.json',
    ),
  ),
);

describe('CoinGecko /coins/markets -> coin', () => {
  test('When the recorded Bitcoin entry is mapped, then every field lands on its own column', () => {
    const btc = coinFromCoinGecko(coingecko[0]!);
    expect(btc).toMatchObject({
      symbol: 'BTC',
      name: 'Bitcoin',
      slug: 'bitcoin',
      coingecko_id: 'bitcoin',
      market_cap_rank: 1,
      current_price: 21109,
      market_cap: 407948005392,
      fully_diluted_valuation: 444720734665,
      total_volume: 25289480031,
      high_24h: 21446,
      low_24h: 20586,
      price_change_24h: 439.78,
      price_change_percentage_24h: 2.12776,
      circulating_supply: 19263568,
      max_supply: 21000000,
      ath: 69045,
      ath_date: '2021-11-10T14:24:11.849Z',
      atl: 67.81,
      atl_date: '2013-07-06T00:00:00.000Z',
      last_updated: '2023-01-16T03:29:01.058Z',
    });
  });

  test('When an entry carries the *_in_currency changes, then those win over the plain 24 h change', () => {
    const mapped = coinFromCoinGecko({
      ...coingecko[0]!,
      price_change_percentage_1h_in_currency: 0.1,
      price_change_percentage_24h_in_currency: 2.5,
      price_change_percentage_7d_in_currency: -3,
      price_change_percentage_30d_in_currency: 12,
    });
    expect(mapped.price_change_percentage_1h).toBe(0.1);
    expect(mapped.price_change_percentage_24h).toBe(2.5);
    expect(mapped.price_change_percentage_7d).toBe(-3);
    expect(mapped.price_change_percentage_30d).toBe(12);
  });

  test('When every recorded entry is mapped, then symbols are upper case and unique per CoinGecko id', () => {
    const coins = coingecko.map(coinFromCoinGecko);
    expect(coins).toHaveLength(100);
    for (const coin of coins) expect(coin.symbol).toBe(coin.symbol.toUpperCase());
    expect(new Set(coins.map((coin) => coin.coingecko_id)).size).toBe(100);
  });
});

describe('CoinMarketCap listings/latest -> coin', () => {
  test('When the recorded Bitcoin listing is mapped, then the USD quote fills the market fields', () => {
    const btc = coinFromCmc(cmc.data[0]!);
    expect(btc).toMatchObject({
      symbol: 'BTC',
      name: 'Bitcoin',
      slug: 'bitcoin',
      cmc_id: 1,
      market_cap_rank: 1,
      current_price: 56507.38254720854,
      market_cap: 1055965437224.7859,
      total_volume: 68130148004.21379,
      price_change_percentage_1h: -0.06933817,
      price_change_percentage_24h: 0.82913441,
      price_change_percentage_7d: -10.54801066,
      price_change_percentage_30d: -2.34317607,
      circulating_supply: 18687212,
      max_supply: 21000000,
      last_updated: '2021-04-20T23:29:02.000Z',
    });
  });

  test('When the 24 h change is a percentage only, then the USD change is derived from it', () => {
    const btc = coinFromCmc(cmc.data[0]!);
    // price / (1 + p) is yesterday's price; the change is the difference.
    const yesterday = 56507.38254720854 / (1 + 0.82913441 / 100);
    expect(btc.price_change_24h).toBeCloseTo(56507.38254720854 - yesterday, 9);
    const unknown = coinFromCmc({
      ...cmc.data[0]!,
      quote: { USD: { ...cmc.data[0]!.quote.USD, percent_change_24h: null } },
    });
    expect(unknown.price_change_24h).toBeNull();
  });
});
