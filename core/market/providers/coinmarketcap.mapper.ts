import type { TCoinUpsert } from '../coin.ts';
import type { TCmcListing } from './coinmarketcap.schemas.ts';

/** Maps one CoinMarketCap listing onto our model; the 24 h change in USD is derived from the percentage. */
export function coinFromCmc(listing: TCmcListing): TCoinUpsert {
  const usd = listing.quote.USD;
  return {
    symbol: listing.symbol.toUpperCase(),
    name: listing.name,
    slug: listing.slug,
    cmc_id: listing.id,
    market_cap_rank: listing.cmc_rank,
    current_price: usd.price,
    market_cap: usd.market_cap,
    fully_diluted_valuation: usd.fully_diluted_market_cap,
    total_volume: usd.volume_24h,
    price_change_percentage_1h: usd.percent_change_1h,
    price_change_percentage_24h: usd.percent_change_24h,
    price_change_percentage_7d: usd.percent_change_7d,
    price_change_percentage_30d: usd.percent_change_30d,
    price_change_24h:
      usd.price !== null && usd.percent_change_24h !== null
        ? usd.price - usd.price / (1 + usd.percent_change_24h / 100)
        : null,
    circulating_supply: listing.circulating_supply,
    total_supply: listing.total_supply,
    max_supply: listing.max_supply,
    last_updated: usd.last_updated ?? listing.last_updated,
  };
}
