/** Market data as the services hand it out: snake_case like CoinGecko, numbers as JSON numbers. */
export type TCoin = {
  id: number;
  symbol: string;
  name: string;
  slug: string;
  coingecko_id: string | null;
  cmc_id: number | null;
  market_cap_rank: number | null;
  current_price: number | null;
  market_cap: number | null;
  fully_diluted_valuation: number | null;
  total_volume: number | null;
  high_24h: number | null;
  low_24h: number | null;
  price_change_24h: number | null;
  price_change_percentage_1h: number | null;
  price_change_percentage_24h: number | null;
  price_change_percentage_7d: number | null;
  price_change_percentage_30d: number | null;
  circulating_supply: number | null;
  total_supply: number | null;
  max_supply: number | null;
  ath: number | null;
  ath_date: string | null;
  ath_change_percentage: number | null;
  atl: number | null;
  atl_date: string | null;
  image_url: string | null;
  website_url: string | null;
  description: string | null;
  categories: string[];
  last_updated: string | null;
  created_at: string;
  updated_at: string;
};

/** The listing leaves out the long text fields; the detail endpoint has them. */
export type TCoinSummary = Omit<TCoin, 'description' | 'website_url' | 'created_at' | 'updated_at'>;

export type THistoryPoint = {
  timestamp: string;
  price: number;
  market_cap: number | null;
  total_volume: number | null;
};

export const SORT_FIELDS = [
  'market_cap',
  'current_price',
  'total_volume',
  'price_change_percentage_24h',
  'market_cap_rank',
  'name',
  'symbol',
] as const;
export type TSortField = (typeof SORT_FIELDS)[number];
export type TOrder = 'asc' | 'desc';

export const HISTORY_INTERVALS = ['raw', 'hourly', 'daily'] as const;
export type THistoryInterval = (typeof HISTORY_INTERVALS)[number];

export const TOP_LISTS = ['gainers', 'losers', 'volume', 'market_cap'] as const;
export type TTopList = (typeof TOP_LISTS)[number];

export type TListQuery = {
  limit: number;
  offset: number;
  symbols?: string[];
  search?: string;
  category?: string;
  sort_by: TSortField;
  order: TOrder;
};

export type THistoryQuery = {
  limit: number;
  from?: Date;
  to?: Date;
  interval: THistoryInterval;
  order: TOrder;
};

export type TCategory = { slug: string; name: string };
