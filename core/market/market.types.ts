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
