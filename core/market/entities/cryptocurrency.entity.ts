import { EntitySchema } from 'typeorm';

/** Row shape of `cryptocurrencies`; numeric columns arrive from pg as strings. */
export type TCryptocurrencyRow = {
  id: number;
  symbol: string;
  name: string;
  slug: string;
  coingecko_id: string | null;
  cmc_id: number | null;
  market_cap_rank: number | null;
  current_price: string | null;
  market_cap: string | null;
  fully_diluted_valuation: string | null;
  total_volume: string | null;
  high_24h: string | null;
  low_24h: string | null;
  price_change_24h: string | null;
  price_change_percentage_1h: string | null;
  price_change_percentage_24h: string | null;
  price_change_percentage_7d: string | null;
  price_change_percentage_30d: string | null;
  circulating_supply: string | null;
  total_supply: string | null;
  max_supply: string | null;
  ath: string | null;
  ath_date: Date | null;
  ath_change_percentage: string | null;
  atl: string | null;
  atl_date: Date | null;
  image_url: string | null;
  website_url: string | null;
  description: string | null;
  categories: string[];
  last_updated: Date | null;
  created_at: Date;
  updated_at: Date;
};

const numeric = { type: 'numeric', nullable: true } as const;

export const CryptocurrencyEntity = new EntitySchema<TCryptocurrencyRow>({
  name: 'Cryptocurrency',
  tableName: 'cryptocurrencies',
  columns: {
    id: { type: 'integer', primary: true, generated: 'increment' },
    symbol: { type: 'varchar', length: 20, unique: true },
    name: { type: 'text' },
    slug: { type: 'text' },
    coingecko_id: { type: 'text', nullable: true, unique: true },
    cmc_id: { type: 'integer', nullable: true, unique: true },
    market_cap_rank: { type: 'integer', nullable: true },
    current_price: numeric,
    market_cap: numeric,
    fully_diluted_valuation: numeric,
    total_volume: numeric,
    high_24h: numeric,
    low_24h: numeric,
    price_change_24h: numeric,
    price_change_percentage_1h: numeric,
    price_change_percentage_24h: numeric,
    price_change_percentage_7d: numeric,
    price_change_percentage_30d: numeric,
    circulating_supply: numeric,
    total_supply: numeric,
    max_supply: numeric,
    ath: numeric,
    ath_date: { type: 'timestamptz', nullable: true },
    ath_change_percentage: numeric,
    atl: numeric,
    atl_date: { type: 'timestamptz', nullable: true },
    image_url: { type: 'text', nullable: true },
    website_url: { type: 'text', nullable: true },
    description: { type: 'text', nullable: true },
    categories: { type: 'text', array: true, default: () => "'{}'" },
    last_updated: { type: 'timestamptz', nullable: true },
    created_at: { type: 'timestamptz', createDate: true },
    updated_at: { type: 'timestamptz', updateDate: true },
  },
});
