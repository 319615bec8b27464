import { EntitySchema } from 'typeorm';

export type TPriceHistoryRow = {
  cryptocurrency_id: number;
  timestamp: Date;
  price: string;
  market_cap: string | null;
  total_volume: string | null;
};

// The primary key (cryptocurrency_id, timestamp) is the unique rule and the index every history read
// uses, so a symbol's range query is one index descent plus the rows it returns.
export const PriceHistoryEntity = new EntitySchema<TPriceHistoryRow>({
  name: 'PriceHistory',
  tableName: 'price_history',
  columns: {
    cryptocurrency_id: { type: 'integer', primary: true },
    timestamp: { type: 'timestamptz', primary: true },
    price: { type: 'numeric' },
    market_cap: { type: 'numeric', nullable: true },
    total_volume: { type: 'numeric', nullable: true },
  },
  relations: {
    cryptocurrency_id: {
      type: 'many-to-one',
      target: 'Cryptocurrency',
      joinColumn: { name: 'cryptocurrency_id' },
      onDelete: 'CASCADE',
    },
  },
});
