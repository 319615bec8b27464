import { afterAll, beforeAll, beforeEach, expect, test } from '@jest/globals';
import { testConfig } from '../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../test/db.ts';
import { upsertCoins, upsertHistory } from './market.writer.ts';

let database: TTestDatabase;
beforeAll(async () => {
  database = await createTestDatabase(testConfig());
});
afterAll(() => database.drop());
beforeEach(() => database.truncate());

const coin = (symbol: string, extra: Record<string, unknown> = {}) => ({
  symbol,
  name: symbol,
  slug: symbol.toLowerCase(),
  ...extra,
});

test('When a provider renames a coin (same CoinGecko id, new symbol), then the row is renamed and keeps its history', async () => {
  const ids = await upsertCoins(database.db, [
    coin('MATIC', { coingecko_id: 'matic-network', current_price: 1 }),
  ]);
  const id = ids.get('MATIC')!;
  await upsertHistory(database.db, [
    {
      cryptocurrency_id: id,
      timestamp: new Date('2024-01-01T00:00:00Z'),
      price: 1,
      market_cap: null,
      total_volume: null,
    },
  ]);
  const renamed = await upsertCoins(database.db, [
    coin('POL', { coingecko_id: 'matic-network', current_price: 0.5 }),
  ]);
  expect(renamed.get('POL')).toBe(id);
  const rows = await database.db.query('SELECT symbol, current_price::float AS price FROM cryptocurrencies');
  expect(rows).toStrictEqual([{ symbol: 'POL', price: 0.5 }]);
  const [{ n }] = await database.db.query(
    'SELECT count(*)::int AS n FROM price_history WHERE cryptocurrency_id = $1',
    [id],
  );
  expect(n).toBe(1);
});

test('When a provider id is held by another row whose symbol is taken, then the sync still succeeds without moving it', async () => {
  await upsertCoins(database.db, [coin('AAA', { coingecko_id: 'a' }), coin('BBB', { coingecko_id: 'b' })]);
  await upsertCoins(database.db, [coin('BBB', { coingecko_id: 'a', current_price: 2 })]);
  const rows = await database.db.query(
    'SELECT symbol, coingecko_id, current_price::float AS price FROM cryptocurrencies ORDER BY symbol',
  );
  expect(rows).toStrictEqual([
    { symbol: 'AAA', coingecko_id: 'a', price: null },
    { symbol: 'BBB', coingecko_id: 'b', price: 2 },
  ]);
});

test('When two incoming coins share a symbol or a provider id, then the better-ranked one wins', async () => {
  const ids = await upsertCoins(database.db, [
    coin('ABC', { coingecko_id: 'abc-small', market_cap_rank: 900 }),
    coin('abc', { coingecko_id: 'abc-big', market_cap_rank: 10 }),
    coin('XYZ', { coingecko_id: 'abc-big', market_cap_rank: 50 }),
  ]);
  expect([...ids.keys()]).toStrictEqual(['ABC']);
  const [row] = await database.db.query('SELECT coingecko_id, market_cap_rank FROM cryptocurrencies');
  expect(row).toStrictEqual({ coingecko_id: 'abc-big', market_cap_rank: 10 });
});

test('When a provider omits a field, then the stored value stays; when it sends null, the value is cleared', async () => {
  await upsertCoins(database.db, [
    coin('ETH', { coingecko_id: 'ethereum', max_supply: 100, ath: 4878.26, image_url: 'https://x/eth.png' }),
  ]);
  await upsertCoins(database.db, [coin('ETH', { cmc_id: 1027, max_supply: null })]);
  const [row] = await database.db.query(
    'SELECT coingecko_id, cmc_id, max_supply, ath::float AS ath, image_url FROM cryptocurrencies',
  );
  expect(row).toStrictEqual({
    coingecko_id: 'ethereum',
    cmc_id: 1027,
    max_supply: null,
    ath: 4878.26,
    image_url: 'https://x/eth.png',
  });
});
