import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { withContext } from '../../../test/expect-context.ts';
import { seedBundledData, SORT_FIELDS, upsertHistory } from '../../../core/market/index.ts';
import { startTestApi, type TTestApi } from '../../../test/api-server.ts';
import { testConfig } from '../../../test/config.ts';
import { RECORDED_MARKET } from '../../../test/market.ts';
import { createTestDatabase, type TTestDatabase } from '../../../test/db.ts';
import { request } from '../../../test/openapi-conformance.ts';

const SYMBOLS = ['BTC', 'ETH', 'USDT', 'USDC', 'DOGE', 'SHIB', 'SOL', 'ADA', 'XRP', 'LINK'];
let database: TTestDatabase;
let api: TTestApi;
const get = (path: string) => request(api.url, path);

beforeAll(async () => {
  const config = testConfig({ RATE_LIMIT_PER_MINUTE: '100000' });
  database = await createTestDatabase(config);
  await seedBundledData(database.db, { symbols: SYMBOLS, ...RECORDED_MARKET });
  api = await startTestApi(config, database.db);
});
afterAll(async () => {
  await api.close();
  await database.drop();
});

describe('GET /api/v1/cryptocurrencies/', () => {
  test('When called without parameters, then it returns coins by market cap with pagination', async () => {
    const { status, body } = await get('/api/v1/cryptocurrencies/');
    expect(status).toBe(200);
    expect(body.pagination.total).toBe(SYMBOLS.length);
    expect(body.pagination).toStrictEqual({ total: SYMBOLS.length, limit: 100, offset: 0 });
    expect(body.data[0].symbol).toBe('BTC');
    const caps = body.data.map((coin: { market_cap: number }) => coin.market_cap);
    expect(caps).toStrictEqual([...caps].sort((a, b) => b - a));
    // Real recorded CoinGecko values of 2022-09-26 (data/market-data/coingecko-daily-2015-2022/BTC.csv).
    expect(body.data[0].current_price).toBe(18809.41143933244);
    expect(body.data[0].market_cap).toBe(360256894978.40894);
    expect(body.data[0].total_volume).toBe(21516374222.675316);
    expect(body.data[0].last_updated).toBe('2022-09-26T00:00:00.000Z');
  });

  test('When limit and offset are given, then they page through the same ordering', async () => {
    const all = await get('/api/v1/cryptocurrencies/?limit=10');
    const page = await get('/api/v1/cryptocurrencies/?limit=3&offset=2');
    expect(page.body.data.map((coin: { symbol: string }) => coin.symbol)).toStrictEqual(
      all.body.data.slice(2, 5).map((coin: { symbol: string }) => coin.symbol),
    );
    expect(page.body.pagination).toStrictEqual({ total: SYMBOLS.length, limit: 3, offset: 2 });
    const beyond = await get('/api/v1/cryptocurrencies/?offset=50');
    expect(beyond.body.data.length).toBe(0);
    expect(beyond.body.pagination.total).toBe(SYMBOLS.length);
  });

  test('When symbol_filter is a mixed-case comma list, then exactly those coins come back', async () => {
    const { body } = await get('/api/v1/cryptocurrencies/?symbol_filter=btc,Eth,%20doge');
    expect(body.data.map((coin: { symbol: string }) => coin.symbol).sort()).toStrictEqual([
      'BTC',
      'DOGE',
      'ETH',
    ]);
    const single = await get('/api/v1/cryptocurrencies/?symbol_filter=sol');
    expect(single.body.data.map((coin: { symbol: string }) => coin.symbol)).toStrictEqual(['SOL']);
  });

  test('When search is given, then names and symbols are matched as substrings, case-insensitively', async () => {
    const byName = await get('/api/v1/cryptocurrencies/?search=coin');
    expect(byName.body.data.map((coin: { symbol: string }) => coin.symbol).sort()).toStrictEqual([
      'BTC',
      'DOGE',
      'USDC',
    ]);
    const bySymbol = await get('/api/v1/cryptocurrencies/?search=ShI');
    expect(bySymbol.body.data.map((coin: { symbol: string }) => coin.symbol)).toStrictEqual(['SHIB']);
    const wildcard = await get('/api/v1/cryptocurrencies/?search=%25');
    expect(wildcard.body.data.length).toBe(0); // LIKE wildcards in the search are literal
  });

  test('When category is given, then only coins in that category are listed', async () => {
    const { body } = await get('/api/v1/cryptocurrencies/?category=stablecoins');
    expect(body.data.map((coin: { symbol: string }) => coin.symbol).sort()).toStrictEqual(['USDC', 'USDT']);
  });

  for (const field of SORT_FIELDS) {
    test(`When sort_by=${field}, then both orders are honoured`, async () => {
      for (const order of ['asc', 'desc'] as const) {
        const { status, body } = await get(`/api/v1/cryptocurrencies/?sort_by=${field}&order=${order}`);
        expect(status).toBe(200);
        const values = body.data.map((coin: Record<string, unknown>) =>
          field === 'name' ? String(coin.name).toLowerCase() : coin[field],
        );
        const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        expect(values).toStrictEqual(order === 'asc' ? sorted : sorted.reverse());
      }
    });
  }

  test('When order is omitted, then numbers sort descending and names, symbols and ranks ascending', async () => {
    const byVolume = await get('/api/v1/cryptocurrencies/?sort_by=total_volume');
    expect(byVolume.body.data[0].total_volume >= byVolume.body.data[1].total_volume).toBeTruthy();
    const byRank = await get('/api/v1/cryptocurrencies/?sort_by=market_cap_rank');
    expect(byRank.body.data[0].market_cap_rank).toBe(1);
    const bySymbol = await get('/api/v1/cryptocurrencies/?sort_by=symbol');
    expect(bySymbol.body.data[0].symbol).toBe('ADA');
  });

  const badQueries: [string, string][] = [
    ['limit=-1', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=251', 'limit'],
    ['limit=1.5', 'limit'],
    ['offset=-3', 'offset'],
    ['sort_by=drop%20table', 'sort_by'],
    ['order=sideways', 'order'],
    ['symbol_filter=BTC,%3Bdrop', 'symbol_filter'],
    ['category=Not%20A%20Slug', 'category'],
    ['search=', 'search'],
    ['limit=1&limit=2', 'limit'],
    ['unknown=1', 'unknown'],
  ];
  for (const [query, parameter] of badQueries) {
    test(`When the query is "${query}", then a 400 problem names ${parameter}`, async () => {
      const { status, headers, body } = await get(`/api/v1/cryptocurrencies/?${query}`);
      expect(status).toBe(400);
      expect(headers.get('content-type')!).toMatch(/^application\/problem\+json/);
      expect(body.status).toBe(400);
      expect(body.type).toBe('urn:trading-backend:problem:validation_failed');
      withContext(JSON.stringify(body.errors), () =>
        expect(body.errors.some((error: { name: string }) => error.name === parameter)).toBeTruthy(),
      );
      expect(body.instance).toBe(`/api/v1/cryptocurrencies/?${query}`);
    });
  }
});

describe('GET /api/v1/cryptocurrencies/{symbol}', () => {
  test('When the symbol exists (any case), then every field is returned', async () => {
    const { status, body } = await get('/api/v1/cryptocurrencies/eth');
    expect(status).toBe(200);
    expect(body.symbol).toBe('ETH');
    expect(body.coingecko_id).toBe('ethereum');
    // The highest and lowest recorded daily close up to that day, with their dates.
    expect(body.ath).toBe(4815.004634322234);
    expect(body.ath_date).toBe('2021-11-09T00:00:00.000Z');
    expect(body.atl).toBe(0.4329785990312485);
    expect(body.atl_date).toBe('2015-10-20T00:00:00.000Z');
    expect(body.categories).toStrictEqual(['layer-1']);
    for (const field of ['description', 'website_url', 'created_at', 'updated_at', 'max_supply'])
      withContext(field, () => expect(field in body).toBeTruthy());
  });

  test('When the symbol is unknown, then a 404 problem says so', async () => {
    const { status, headers, body } = await get('/api/v1/cryptocurrencies/NOPE');
    expect(status).toBe(404);
    expect(headers.get('content-type')!).toMatch(/application\/problem\+json/);
    expect(body.detail).toMatch(/NOPE/);
  });

  test('When the symbol is 10 kB long or has odd characters, then a 400 problem names symbol', async () => {
    for (const symbol of ['A'.repeat(10_240), 'bt%20c', '%3Cscript%3E']) {
      const { status, body } = await get(`/api/v1/cryptocurrencies/${symbol}`);
      expect(status).toBe(400);
      expect(body.errors[0].name).toBe('symbol');
      expect(body.errors[0].in).toBe('path');
    }
  });
});

describe('GET /api/v1/cryptocurrencies/{symbol}/history', () => {
  test('When called with defaults, then the newest stored points come first', async () => {
    const { status, body } = await get('/api/v1/cryptocurrencies/BTC/history?limit=3');
    expect(status).toBe(200);
    expect(body.symbol).toBe('BTC');
    expect(body.interval).toBe('raw');
    // The recorded closes up to "today" (data/market-data/coingecko-daily-2015-2022/BTC.csv).
    expect(body.data.map((point: { timestamp: string }) => point.timestamp)).toStrictEqual([
      '2022-09-26T00:00:00.000Z',
      '2022-09-25T00:00:00.000Z',
      '2022-09-24T00:00:00.000Z',
    ]);
    expect(body.data[0].price).toBe(18809.41143933244);
    expect(body.pagination.has_more).toBe(true);
  });

  test('When from/to and order=asc are given, then the range is returned oldest first', async () => {
    const { body } = await get(
      '/api/v1/cryptocurrencies/BTC/history?from=2015-01-01&to=2015-01-05&order=asc',
    );
    expect(body.data.map((point: { timestamp: string }) => point.timestamp.slice(0, 10))).toStrictEqual([
      '2015-01-01',
      '2015-01-02',
      '2015-01-03',
      '2015-01-04',
      '2015-01-05',
    ]);
    expect(body.data[0].price).toBe(313.9920000000001);
    expect(body.data[0].total_volume).toBe(46999364.08867299);
    expect(body.pagination.has_more).toBe(false);
  });

  test('When paging with next_cursor, then pages join without gaps or overlaps', async () => {
    const first = await get('/api/v1/cryptocurrencies/ETH/history?limit=4&to=2020-01-10');
    const second = await get(
      `/api/v1/cryptocurrencies/ETH/history?limit=4&to=${first.body.pagination.next_cursor}`,
    );
    const days = [...first.body.data, ...second.body.data].map((point: { timestamp: string }) =>
      point.timestamp.slice(0, 10),
    );
    expect(days).toStrictEqual([
      '2020-01-10',
      '2020-01-09',
      '2020-01-08',
      '2020-01-07',
      '2020-01-06',
      '2020-01-05',
      '2020-01-04',
      '2020-01-03',
    ]);
  });

  test('When interval is hourly or daily, then the last point of each UTC bucket is returned', async () => {
    const [{ id }] = await database.db.query(`SELECT id FROM cryptocurrencies WHERE symbol = 'LINK'`);
    const at = (iso: string, price: number) => ({
      cryptocurrency_id: id,
      timestamp: new Date(iso),
      price,
      market_cap: null,
      total_volume: null,
    });
    await upsertHistory(database.db, [
      at('2030-01-01T00:05:00Z', 1),
      at('2030-01-01T00:55:00Z', 2),
      at('2030-01-01T01:10:00Z', 3),
      at('2030-01-01T23:59:59Z', 4),
      at('2030-01-02T00:00:00Z', 5),
      at('2030-01-02T12:30:00Z', 6),
    ]);
    const daily = await get('/api/v1/cryptocurrencies/LINK/history?interval=daily&from=2030-01-01');
    expect(daily.body.data.map((p: { price: number }) => p.price)).toStrictEqual([6, 4]);
    expect(daily.body.data[1].timestamp).toBe('2030-01-01T23:59:59.000Z');
    const dailyAsc = await get(
      '/api/v1/cryptocurrencies/LINK/history?interval=daily&from=2030-01-01&order=asc',
    );
    expect(dailyAsc.body.data.map((p: { price: number }) => p.price)).toStrictEqual([4, 6]);
    const hourly = await get('/api/v1/cryptocurrencies/LINK/history?interval=hourly&from=2030-01-01');
    expect(hourly.body.data.map((p: { price: number }) => p.price)).toStrictEqual([6, 5, 4, 3, 2]);
    const paged = await get('/api/v1/cryptocurrencies/LINK/history?interval=daily&from=2030-01-01&limit=1');
    const next = await get(
      `/api/v1/cryptocurrencies/LINK/history?interval=daily&from=2030-01-01&limit=1&to=${paged.body.pagination.next_cursor}`,
    );
    expect(next.body.data.map((p: { price: number }) => p.price)).toStrictEqual([4]);
  });

  const badHistory: [string, string][] = [
    ['from=2024-02-01&to=2024-01-01', 'from'],
    ['from=yesterday', 'from'],
    ['to=2024-13-45', 'to'],
    ['to=2024-02-30', 'to'],
    ['limit=5001', 'limit'],
    ['limit=0', 'limit'],
    ['interval=weekly', 'interval'],
    ['order=up', 'order'],
  ];
  for (const [query, parameter] of badHistory) {
    test(`When the history query is "${query}", then a 400 problem names ${parameter}`, async () => {
      const { status, body } = await get(`/api/v1/cryptocurrencies/BTC/history?${query}`);
      expect(status).toBe(400);
      withContext(JSON.stringify(body.errors), () =>
        expect(body.errors.some((error: { name: string }) => error.name === parameter)).toBeTruthy(),
      );
    });
  }

  test('When the symbol is unknown, then history is a 404 problem', async () => {
    const { status } = await get('/api/v1/cryptocurrencies/NOPE/history');
    expect(status).toBe(404);
  });
});

describe('GET /api/v1/cryptocurrencies/top/{category}', () => {
  test('When asking for gainers and losers, then they are ordered by 24 h change', async () => {
    const gainers = await get('/api/v1/cryptocurrencies/top/gainers?limit=3');
    const losers = await get('/api/v1/cryptocurrencies/top/losers?limit=3');
    const change = (coin: { price_change_percentage_24h: number }) => coin.price_change_percentage_24h;
    expect(gainers.body.data.length).toBe(3);
    expect(change(gainers.body.data[0])).toBeGreaterThanOrEqual(change(gainers.body.data[1]));
    expect(change(losers.body.data[0])).toBeLessThanOrEqual(change(losers.body.data[1]));
    expect(change(gainers.body.data[0])).toBeGreaterThan(change(losers.body.data[0]));
  });

  test('When asking for volume, market_cap or a stored category, then the right coins come back', async () => {
    const volume = await get('/api/v1/cryptocurrencies/top/volume?limit=1');
    expect(volume.body.data[0].symbol).toBe('USDT');
    const cap = await get('/api/v1/cryptocurrencies/top/market_cap?limit=2');
    expect(cap.body.data.map((coin: { symbol: string }) => coin.symbol)).toStrictEqual(['BTC', 'ETH']);
    const meme = await get('/api/v1/cryptocurrencies/top/meme-token');
    expect(meme.body.category).toBe('meme-token');
    expect(meme.body.data.map((coin: { symbol: string }) => coin.symbol)).toStrictEqual(['DOGE', 'SHIB']);
  });

  test('When the category is unknown, then a 404 problem lists the valid ones', async () => {
    const { status, body } = await get('/api/v1/cryptocurrencies/top/nonsense');
    expect(status).toBe(404);
    expect(body.valid_categories.includes('gainers')).toBeTruthy();
    expect(body.valid_categories.includes('stablecoins')).toBeTruthy();
    expect(body.detail).toMatch(/nonsense/);
  });

  test('When limit is out of range, then a 400 problem names limit', async () => {
    const { status, body } = await get('/api/v1/cryptocurrencies/top/gainers?limit=0');
    expect(status).toBe(400);
    expect(body.errors[0].name).toBe('limit');
  });
});
