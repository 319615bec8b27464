import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { Redis } from 'ioredis';
import pino from 'pino';
import { testConfig } from '../../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../../test/db.ts';
import { startProviderServer, type TProviderServer } from '../../../test/provider-server.ts';
import type { TAnnounce } from '../../platform/jobs/index.ts';
import { SYNC_CADENCES } from '../../schedules.ts';
import { createMarketIngestion, type TMarketIngestion } from '../ingestion/ingestion.service.ts';
import { createTicker, tickKeys } from './ticker.ts';
import { tickSlot } from './ticks.ts';

// The live ticker against a local CoinGecko/CoinMarketCap that replays recorded answers
// (test/provider-server.ts): CoinGecko primary, CoinMarketCap configured, so the fallback.
const SIMPLE_PRICE = '/api/v3/simple/price';
const MARKETS = '/api/v3/coins/markets';
const CMC = '/v1/cryptocurrency/listings/latest';

let server: TProviderServer;
let database: TTestDatabase;
let redis: Redis;
let config: ReturnType<typeof testConfig>;
let ingestion: TMarketIngestion;
const announced: string[] = [];
const announce = (async (event: string) => {
  announced.push(event);
}) as TAnnounce;

beforeAll(async () => {
  server = await startProviderServer();
  config = testConfig({
    MARKET_DATA_PROVIDER: 'coingecko',
    COINGECKO_BASE_URL: server.coingeckoUrl,
    COINMARKETCAP_BASE_URL: server.coinmarketcapUrl,
    // Small budgets, so that one minute of this test spends them: CoinGecko 4 calls (1 kept for syncs),
    // CMC 5 (2 kept: its top-200 sync costs 2 credits).
    COINGECKO_CALLS_PER_MINUTE: '4',
    COINMARKETCAP_CALLS_PER_MINUTE: '5',
    PROVIDER_TIMEOUT_MS: '2000',
    PROVIDER_MAX_RETRIES: '0',
  });
  database = await createTestDatabase(config);
  redis = new Redis(config.REDIS_URL);
});
afterAll(async () => {
  await database.drop();
  redis.disconnect();
  await server.close();
});

/** A worker process: its own provider chain (breakers; the budgets and cooldowns are shared in Redis). */
function worker() {
  const own = createMarketIngestion({
    config,
    db: database.db,
    redis,
    logger: pino({ level: 'silent' }),
    jobs: { announce },
  });
  const ticker = createTicker({
    db: database.db,
    redis,
    announce,
    keyPrefix: config.REDIS_KEY_PREFIX,
    intervalSeconds: config.TICK_INTERVAL_SECONDS,
    historyResolutionSeconds: 60,
    replay: 10,
    logger: pino({ level: 'silent' }),
    live: { providers: own.providers, budgets: config, syncs: SYNC_CADENCES },
  });
  return { ingestion: own, ticker };
}

/** A fresh start (no call in the budgets' minute, no cooldown), the listing synced from CoinGecko. */
async function freshWorker() {
  const prefix = config.REDIS_KEY_PREFIX;
  await redis.del(
    ...['coingecko', 'coinmarketcap'].flatMap((p) => [
      `${prefix}provider:budget:${p}`,
      `${prefix}provider:cooldown:${p}`,
    ]),
  );
  ingestion = createMarketIngestion({
    config,
    db: database.db,
    redis,
    logger: pino({ level: 'silent' }),
    jobs: { announce },
  });
  await ingestion.sync({ limit: 100, as_of: '2026-12-01T00:00:00.000Z' });
  server.reset();
  announced.length = 0;
  return createTicker({
    db: database.db,
    redis,
    announce,
    keyPrefix: config.REDIS_KEY_PREFIX,
    intervalSeconds: config.TICK_INTERVAL_SECONDS,
    historyResolutionSeconds: 60,
    replay: 10,
    logger: pino({ level: 'silent' }),
    live: { providers: ingestion.providers, budgets: config, syncs: SYNC_CADENCES },
  });
}

let seqBase = 0;
beforeEach(() => {
  announced.length = 0;
  seqBase += 1000;
});
const slot = (ticker: { intervalSeconds: () => number }) =>
  tickSlot(Date.now(), ticker.intervalSeconds()) + seqBase;

describe('live ticks from CoinGecko and CoinMarketCap', () => {
  test('When the ticker polls, then the ticks are CoinGecko /simple/price answers, written to the listing and published', async () => {
    const ticker = await freshWorker();
    // 4 calls a minute, one kept for syncs: at most 3 tick calls a minute, a tick every 20 s at most
    // (CMC's 5 less 2 kept afford that too: it may take the ticks when CoinGecko cannot).
    expect(ticker.intervalSeconds()).toBe(20);
    expect(ticker.cadence()!.providers).toEqual(['coingecko', 'coinmarketcap']);
    const seq = slot(ticker);
    const batch = (await ticker.tick(seq))!;
    expect(batch.ticks).toHaveLength(100);
    const btc = batch.ticks.find((tick) => tick.symbol === 'BTC')!;
    // The recorded quote: 21,109 USD, +2.12776 % over 24 h, 25,289,480,031 USD volume.
    expect(btc).toEqual({
      symbol: 'BTC',
      price: 21109,
      change_24h: 2.12776,
      volume_24h: 25289480031,
      at: new Date(seq * 20_000).toISOString(),
      seq,
    });
    const [request] = server.requests(SIMPLE_PRICE);
    expect(server.seen).toHaveLength(1); // one call for the 100 coins
    expect(request!.query.get('ids')!.split(',')).toHaveLength(100);
    expect(request!.query.get('ids')!.split(',').slice(0, 2)).toEqual(['bitcoin', 'ethereum']);
    expect(request!.query.get('vs_currencies')).toBe('usd');
    expect(request!.query.get('include_24hr_change')).toBe('true');
    expect(request!.query.get('include_24hr_vol')).toBe('true');
    const [row] = await database.db.query(
      `SELECT current_price::float8 AS price, last_updated FROM cryptocurrencies WHERE symbol = 'BTC'`,
    );
    expect(row).toEqual({ price: 21109, last_updated: new Date(batch.at) });
    expect(announced).toEqual(['market.ticked']);
    expect(JSON.parse((await redis.hget(tickKeys(config.REDIS_KEY_PREFIX).last, 'BTC'))!)).toEqual(btc);
  });

  test('When the budget of the minute is spent, then the ticks fall back to CoinMarketCap, then stop, and a sync still gets its call', async () => {
    const ticker = await freshWorker();
    // The sync in freshWorker took one CoinGecko call of this minute: 2 more for ticks, 1 kept.
    const seq = slot(ticker);
    const providers: (string | null)[] = [];
    for (let index = 0; index < 8; index += 1) {
      const batch = await ticker.tick(seq + index);
      const btc = batch?.ticks.find((tick) => tick.symbol === 'BTC');
      providers.push(btc ? (btc.price === 21109 ? 'coingecko' : `cmc ${btc.price}`) : null);
    }
    // CMC's recorded listing (2021-04-20): BTC at 56,507.38254720854 USD.
    expect(providers).toEqual([
      'coingecko',
      'coingecko',
      'cmc 56507.3825472',
      'cmc 56507.3825472',
      'cmc 56507.3825472',
      null,
      null,
      null,
    ]);
    // Over the run: 2 + 1 (the sync) of CoinGecko's 4, 3 of CMC's 5 (2 kept); spent slots call nobody.
    expect(server.requests(SIMPLE_PRICE)).toHaveLength(2);
    expect(server.requests(CMC)).toHaveLength(3);
    expect(server.requests(CMC).map((request) => request.query.get('limit'))).toEqual(['100', '100', '100']);
    // The call kept for syncs: 3 of CoinGecko's 4 taken, so a sync now has its call without waiting.
    const budget = `${config.REDIS_KEY_PREFIX}provider:budget:coingecko`;
    expect(await redis.zcard(budget)).toBe(3);
    const result = await ingestion.sync({ limit: 50, as_of: '2026-12-01T00:05:00.000Z' });
    expect(result.provider).toBe('coingecko');
    expect(await redis.zcard(budget)).toBe(4);
    expect(server.requests(MARKETS)).toHaveLength(1);
  });

  test('When two worker replicas tick and sync, then they take from one budget per provider (Redis)', async () => {
    await freshWorker(); // one CoinGecko call of this minute spent by its sync
    const [first, second] = [worker(), worker()];
    const seq = slot(first.ticker);
    const answered: (string | null)[] = [];
    for (let index = 0; index < 7; index += 1) {
      // The replicas take turns: each slot is another's (and each slot is published once).
      const { ticker } = index % 2 ? second : first;
      const batch = await ticker.tick(seq + index);
      const btc = batch?.ticks.find((tick) => tick.symbol === 'BTC');
      answered.push(btc ? (btc.price === 21109 ? 'coingecko' : 'cmc') : null);
    }
    // Together as one: CoinGecko 1 + 2 of 4 (one kept), CMC 3 of 5 (two kept); then nothing.
    expect(answered).toEqual(['coingecko', 'coingecko', 'cmc', 'cmc', 'cmc', null, null]);
    expect(server.requests(SIMPLE_PRICE)).toHaveLength(2);
    expect(server.requests(CMC)).toHaveLength(3);
    // The kept call serves a sync on either replica at once.
    await second.ingestion.sync({ limit: 50, as_of: '2026-12-01T00:25:00.000Z' });
    expect(server.requests(MARKETS)).toHaveLength(1);
    expect(await redis.zcard(`${config.REDIS_KEY_PREFIX}provider:budget:coingecko`)).toBe(4);
  });

  test("When CoinGecko fails or rate-limits, then the tick comes from CoinMarketCap and the cooldown is the syncs' one", async () => {
    const ticker = await freshWorker();
    const seq = slot(ticker);
    server.script(SIMPLE_PRICE, { status: 500, body: { error: 'boom' } });
    const failed = (await ticker.tick(seq))!;
    expect(failed.ticks.find((tick) => tick.symbol === 'ETH')!.price).toBe(2327.56107879);
    server.script(SIMPLE_PRICE, { status: 429, text: 'error code: 1015' });
    await ticker.tick(seq + 1);
    // CoinGecko now cools down for every worker, syncs included: the next sync goes to CMC without a call.
    const sync = await ingestion.sync({ limit: 50, as_of: '2026-12-01T00:10:00.000Z' });
    expect(sync.provider).toBe('coinmarketcap');
    expect(sync.skipped_providers[0]!.provider).toBe('coingecko');
    expect(server.requests(SIMPLE_PRICE)).toHaveLength(2);
    expect(server.requests(MARKETS)).toHaveLength(0);
  });

  test('When a sync writes prices older than the last tick, then the listing keeps the tick', async () => {
    const ticker = await freshWorker();
    const seq = slot(ticker);
    await ticker.tick(seq);
    expect(await btcAfterSync('2026-12-01T00:00:00.000Z', '2026-12-01T00:15:00.000Z')).toBe(21109);
    // A sync fresher than the tick wins (until the next tick).
    expect(await btcAfterSync('2030-01-01T00:00:00.000Z', '2026-12-01T00:20:00.000Z')).toBe(20000);
  });
});

/** BTC's listed price after a sync whose recorded quote says 20,000 as of `lastUpdated`. */
async function btcAfterSync(lastUpdated: string, asOf: string): Promise<number> {
  server.script(MARKETS, {
    body: [{ ...(await marketsOf('bitcoin')), current_price: 20000, last_updated: lastUpdated }],
  });
  await ingestion.sync({ limit: 1, as_of: asOf });
  const [row] = await database.db.query(
    `SELECT current_price::float8 AS price FROM cryptocurrencies WHERE symbol = 'BTC'`,
  );
  return row.price;
}

/** The recorded /coins/markets entry of `id`. */
async function marketsOf(id: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.coingeckoUrl}/coins/markets?per_page=250&page=1`);
  const markets = (await response.json()) as Record<string, unknown>[];
  return markets.find((market) => market.id === id)!;
}
