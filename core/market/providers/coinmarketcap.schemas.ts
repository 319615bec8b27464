import { z } from 'zod';

// The parts of CoinMarketCap's /v1/cryptocurrency/listings/latest answer that the platform reads.
const num = z.number().nullable().optional().default(null);

export const ZCmcStatus = z.object({
  error_code: z.number(),
  error_message: z.string().nullable().optional(),
  credit_count: z.number().optional(),
});

export const ZCmcListing = z.object({
  id: z.number().int(),
  name: z.string().min(1),
  symbol: z.string().min(1).max(20),
  slug: z.string().min(1),
  cmc_rank: z.number().int().nullable().optional().default(null),
  circulating_supply: num,
  total_supply: num,
  max_supply: num,
  last_updated: z.string().nullable().optional().default(null),
  quote: z.object({
    USD: z.object({
      price: z.number().nullable(),
      volume_24h: num,
      percent_change_1h: num,
      percent_change_24h: num,
      percent_change_7d: num,
      percent_change_30d: num,
      market_cap: num,
      fully_diluted_market_cap: num,
      last_updated: z.string().nullable().optional().default(null),
    }),
  }),
});

export const ZCmcListings = z.object({ status: ZCmcStatus, data: z.array(ZCmcListing) });

export type TCmcListing = z.infer<typeof ZCmcListing>;
