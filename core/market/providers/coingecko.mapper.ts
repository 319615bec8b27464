import type { TCoinUpsert } from '../coin.ts';
import type { TCoinGeckoMarket } from './coingecko.schemas.ts';

/** Maps one CoinGecko `/coins/markets` entry onto our model. */
export function coinFromCoinGecko(market: TCoinGeckoMarket): TCoinUpsert {
  return {
    symbol: market.symbol.toUpperCase(),
    name: market.name,
    slug: market.id,
    coingecko_id: market.id,
    market_cap_rank: market.market_cap_rank,
    current_price: market.current_price,
    market_cap: market.market_cap,
    fully_diluted_valuation: market.fully_diluted_valuation,
    total_volume: market.total_volume,
    high_24h: market.high_24h,
    low_24h: market.low_24h,
    price_change_24h: market.price_change_24h,
    price_change_percentage_1h: market.price_change_percentage_1h_in_currency,
    price_change_percentage_24h:
      market.price_change_percentage_24h_in_currency ?? market.price_change_percentage_24h,
    price_change_percentage_7d: market.price_change_percentage_7d_in_currency,
    price_change_percentage_30d: market.price_change_percentage_30d_in_currency,
    circulating_supply: market.circulating_supply,
    total_supply: market.total_supply,
    max_supply: market.max_supply,
    ath: market.ath,
    ath_date: market.ath_date,
    ath_change_percentage: market.ath_change_percentage,
    atl: market.atl,
    atl_date: market.atl_date,
    image_url: market.image,
    last_updated: market.last_updated,
  };
}
