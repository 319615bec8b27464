import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { seedBundledData } from '../../core/market-data/seed.ts';
import { SORT_FIELDS } from '../../core/market/market.types.ts';
import { upsertHistory } from '../../core/market/market.writer.ts';
import { startTestApi, type TTestApi } from '../../test/api-server.ts';
import { testConfig } from '../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../test/db.ts';
import { request } from '../../test/openapi-conformance.ts';

const SYMBOLS = ['BTC', 'ETH', 'USDT', 'USDC', 'DOGE', 'SHIB', 'SOL', 'ADA', 'XRP', 'LINK'];
let database: TTestDatabase;
let api: TTestApi;
const get = (path: string) => request(api.url, path);

before(async () => {
  const config = testConfig({ RATE_LIMIT_PER_MINUTE: '100000' });
  database = await createTestDatabase(config);
  await seedBundledData(database.db, { symbols: SYMBOLS });
  api = await startTestApi(config, database.db);
});
after(async () => {
  await api.close();
  await database.drop();
});

describe('GET /api/v1/cryptocurrencies/', () => {
  test('When called without parameters, then it returns coins by market cap with pagination', async () => {
    const { status, body } = await get('/api/v1/cryptocurrencies/');
    assert.equal(status, 200);
    assert.equal(body.pagination.total, SYMBOLS.length);
    assert.deepEqual(body.pagination, { total: SYMBOLS.length, limit: 100, offset: 0 });
    assert.equal(body.data[0].symbol, 'BTC');
    const caps = body.data.map((coin: { market_cap: number }) => coin.market_cap);
    assert.deepEqual(
      caps,
      [...caps].sort((a, b) => b - a),
    );
    // Real recorded CoinGecko values (2023-01-16 snapshot).
    assert.equal(body.data[0].current_price, 21109);
    assert.equal(body.data[0].market_cap, 407948005392);
  });

  test('When limit and offset are given, then they page through the same ordering', async () => {
    const all = await get('/api/v1/cryptocurrencies/?limit=10');
    const page = await get('/api/v1/cryptocurrencies/?limit=3&offset=2');
    assert.deepEqual(
      page.body.data.map((coin: { symbol: string }) => coin.symbol),
      all.body.data.slice(2, 5).map((coin: { symbol: string }) => coin.symbol),
    );
    assert.deepEqual(page.body.pagination, { total: SYMBOLS.length, limit: 3, offset: 2 });
    const beyond = await get('/api/v1/cryptocurrencies/?offset=50');
    assert.equal(beyond.body.data.length, 0);
    assert.equal(beyond.body.pagination.total, SYMBOLS.length);
  });

  test('When symbol_filter is a mixed-case comma list, then exactly those coins come back', async () => {
    const { body } = await get('/api/v1/cryptocurrencies/?symbol_filter=btc,Eth,%20doge');
    assert.deepEqual(body.data.map((coin: { symbol: string }) => coin.symbol).sort(), ['BTC', 'DOGE', 'ETH']);
    const single = await get('/api/v1/cryptocurrencies/?symbol_filter=sol');
    assert.deepEqual(
      single.body.data.map((coin: { symbol: string }) => coin.symbol),
      ['SOL'],
    );
  });

  test('When search is given, then names and symbols are matched as substrings, case-insensitively', async () => {
    const byName = await get('/api/v1/cryptocurrencies/?search=coin');
    assert.deepEqual(byName.body.data.map((coin: { symbol: string }) => coin.symbol).sort(), [
      'BTC',
      'DOGE',
      'USDC',
    ]);
    const bySymbol = await get('/api/v1/cryptocurrencies/?search=ShI');
    assert.deepEqual(
      bySymbol.body.data.map((coin: { symbol: string }) => coin.symbol),
      ['SHIB'],
    );
    const wildcard = await get('/api/v1/cryptocurrencies/?search=%25');
    assert.equal(wildcard.body.data.length, 0, 'LIKE wildcards in the search are literal');
  });

  test('When category is given, then only coins in that category are listed', async () => {
    const { body } = await get('/api/v1/cryptocurrencies/?category=stablecoins');
    assert.deepEqual(body.data.map((coin: { symbol: string }) => coin.symbol).sort(), ['USDC', 'USDT']);
  });

  for (const field of SORT_FIELDS) {
    test(`When sort_by=${field}, then both orders are honoured`, async () => {
      for (const order of ['asc', 'desc'] as const) {
        const { status, body } = await get(`/api/v1/cryptocurrencies/?sort_by=${field}&order=${order}`);
        assert.equal(status, 200);
        const values = body.data.map((coin: Record<string, unknown>) =>
          field === 'name' ? String(coin.name).toLowerCase() : coin[field],
        );
        const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        assert.deepEqual(values, order === 'asc' ? sorted : sorted.reverse());
      }
    });
  }

  test('When order is omitted, then numbers sort descending and names, symbols and ranks ascending', async () => {
    const byVolume = await get('/api/v1/cryptocurrencies/?sort_by=total_volume');
    assert.ok(byVolume.body.data[0].total_volume >= byVolume.body.data[1].total_volume);
    const byRank = await get('/api/v1/cryptocurrencies/?sort_by=market_cap_rank');
    assert.equal(byRank.body.data[0].market_cap_rank, 1);
    const bySymbol = await get('/api/v1/cryptocurrencies/?sort_by=symbol');
    assert.equal(bySymbol.body.data[0].symbol, 'ADA');
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
      assert.equal(status, 400);
      assert.match(headers.get('content-type')!, /^application\/problem\+json/);
      assert.equal(body.status, 400);
      assert.equal(body.type, 'urn:trading-backend:problem:validation_failed');
      assert.ok(
        body.errors.some((error: { name: string }) => error.name === parameter),
        JSON.stringify(body.errors),
      );
      assert.equal(body.instance, `/api/v1/cryptocurrencies/?${query}`);
    });
  }
});

describe('GET /api/v1/cryptocurrencies/{symbol}', () => {
  test('When the symbol exists (any case), then every field is returned', async () => {
    const { status, body } = await get('/api/v1/cryptocurrencies/eth');
    assert.equal(status, 200);
    assert.equal(body.symbol, 'ETH');
    assert.equal(body.coingecko_id, 'ethereum');
    assert.equal(body.ath, 4878.26);
    assert.equal(body.ath_date, '2021-11-10T14:24:19.604Z');
    assert.deepEqual(body.categories, ['layer-1']);
    for (const field of ['description', 'website_url', 'created_at', 'updated_at', 'max_supply'])
      assert.ok(field in body, field);
  });

  test('When the symbol is unknown, then a 404 problem says so', async () => {
    const { status, headers, body } = await get('/api/v1/cryptocurrencies/NOPE');
    assert.equal(status, 404);
    assert.match(headers.get('content-type')!, /application\/problem\+json/);
    assert.match(body.detail, /NOPE/);
  });

  test('When the symbol is 10 kB long or has odd characters, then a 400 problem names symbol', async () => {
    for (const symbol of ['A'.repeat(10_240), 'bt%20c', '%3Cscript%3E']) {
      const { status, body } = await get(`/api/v1/cryptocurrencies/${symbol}`);
      assert.equal(status, 400);
      assert.equal(body.errors[0].name, 'symbol');
      assert.equal(body.errors[0].in, 'path');
    }
  });
});

describe('GET /api/v1/cryptocurrencies/{symbol}/history', () => {
  test('When called with defaults, then the newest stored points come first', async () => {
    const { status, body } = await get('/api/v1/cryptocurrencies/BTC/history?limit=3');
    assert.equal(status, 200);
    assert.equal(body.symbol, 'BTC');
    assert.equal(body.interval, 'raw');
    // Last bundled CoinGecko daily closes (data/market-data/coingecko-daily-2023-2025/BTC.csv).
    assert.deepEqual(
      body.data.map((point: { timestamp: string }) => point.timestamp),
      ['2025-06-08T00:00:00.000Z', '2025-06-07T00:00:00.000Z', '2025-06-06T00:00:00.000Z'],
    );
    assert.equal(body.data[0].price, 105653.67710161491);
    assert.equal(body.pagination.has_more, true);
  });

  test('When from/to and order=asc are given, then the range is returned oldest first', async () => {
    const { body } = await get(
      '/api/v1/cryptocurrencies/BTC/history?from=2015-01-01&to=2015-01-05&order=asc',
    );
    assert.deepEqual(
      body.data.map((point: { timestamp: string }) => point.timestamp.slice(0, 10)),
      ['2015-01-01', '2015-01-02', '2015-01-03', '2015-01-04', '2015-01-05'],
    );
    assert.equal(body.data[0].price, 313.9920000000001);
    assert.equal(body.data[0].total_volume, 46999364.08867299);
    assert.equal(body.pagination.has_more, false);
  });

  test('When paging with next_cursor, then pages join without gaps or overlaps', async () => {
    const first = await get('/api/v1/cryptocurrencies/ETH/history?limit=4&to=2020-01-10');
    const second = await get(
      `/api/v1/cryptocurrencies/ETH/history?limit=4&to=${first.body.pagination.next_cursor}`,
    );
    const days = [...first.body.data, ...second.body.data].map((point: { timestamp: string }) =>
      point.timestamp.slice(0, 10),
    );
    assert.deepEqual(days, [
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
    assert.deepEqual(
      daily.body.data.map((p: { price: number }) => p.price),
      [6, 4],
    );
    assert.equal(daily.body.data[1].timestamp, '2030-01-01T23:59:59.000Z');
    const dailyAsc = await get(
      '/api/v1/cryptocurrencies/LINK/history?interval=daily&from=2030-01-01&order=asc',
    );
    assert.deepEqual(
      dailyAsc.body.data.map((p: { price: number }) => p.price),
      [4, 6],
    );
    const hourly = await get('/api/v1/cryptocurrencies/LINK/history?interval=hourly&from=2030-01-01');
    assert.deepEqual(
      hourly.body.data.map((p: { price: number }) => p.price),
      [6, 5, 4, 3, 2],
    );
    const paged = await get('/api/v1/cryptocurrencies/LINK/history?interval=daily&from=2030-01-01&limit=1');
    const next = await get(
      `/api/v1/cryptocurrencies/LINK/history?interval=daily&from=2030-01-01&limit=1&to=${paged.body.pagination.next_cursor}`,
    );
    assert.deepEqual(
      next.body.data.map((p: { price: number }) => p.price),
      [4],
    );
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
      assert.equal(status, 400);
      assert.ok(
        body.errors.some((error: { name: string }) => error.name === parameter),
        JSON.stringify(body.errors),
      );
    });
  }

  test('When the symbol is unknown, then history is a 404 problem', async () => {
    const { status } = await get('/api/v1/cryptocurrencies/NOPE/history');
    assert.equal(status, 404);
  });
});

describe('GET /api/v1/cryptocurrencies/top/{category}', () => {
  test('When asking for gainers and losers, then they are ordered by 24 h change', async () => {
    const gainers = await get('/api/v1/cryptocurrencies/top/gainers?limit=3');
    const losers = await get('/api/v1/cryptocurrencies/top/losers?limit=3');
    const change = (coin: { price_change_percentage_24h: number }) => coin.price_change_percentage_24h;
    assert.equal(gainers.body.data.length, 3);
    assert.ok(change(gainers.body.data[0]) >= change(gainers.body.data[1]));
    assert.ok(change(losers.body.data[0]) <= change(losers.body.data[1]));
    assert.ok(change(gainers.body.data[0]) > change(losers.body.data[0]));
  });

  test('When asking for volume, market_cap or a stored category, then the right coins come back', async () => {
    const volume = await get('/api/v1/cryptocurrencies/top/volume?limit=1');
    assert.equal(volume.body.data[0].symbol, 'USDT');
    const cap = await get('/api/v1/cryptocurrencies/top/market_cap?limit=2');
    assert.deepEqual(
      cap.body.data.map((coin: { symbol: string }) => coin.symbol),
      ['BTC', 'ETH'],
    );
    const meme = await get('/api/v1/cryptocurrencies/top/meme-token');
    assert.equal(meme.body.category, 'meme-token');
    assert.deepEqual(
      meme.body.data.map((coin: { symbol: string }) => coin.symbol),
      ['DOGE', 'SHIB'],
    );
  });

  test('When the category is unknown, then a 404 problem lists the valid ones', async () => {
    const { status, body } = await get('/api/v1/cryptocurrencies/top/nonsense');
    assert.equal(status, 404);
    assert.ok(body.valid_categories.includes('gainers'));
    assert.ok(body.valid_categories.includes('stablecoins'));
    assert.match(body.detail, /nonsense/);
  });

  test('When limit is out of range, then a 400 problem names limit', async () => {
    const { status, body } = await get('/api/v1/cryptocurrencies/top/gainers?limit=0');
    assert.equal(status, 400);
    assert.equal(body.errors[0].name, 'limit');
  });
});
