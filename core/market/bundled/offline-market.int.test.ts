import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { logIn, TEST_PASSWORD } from '../../../test/auth.ts';
import { testConfig } from '../../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../../test/db.ts';
import { withContext } from '../../../test/expect-context.ts';
import { request } from '../../../test/openapi-conformance.ts';
import { freePort, ROOT, waitForStatus } from '../../../test/processes.ts';

// The system started exactly as `npm run dev` starts it (scripts/dev.sh: services, seed --prepare, API
// and worker with the internal scheduler on the replay provider), on a private schema and key prefix.
// Expectations come from reading the bundled CSV files here, independently of the code under test.

const DAY = 86_400_000;
const DATA = path.join(ROOT, 'data', 'market-data');

/** symbol -> recorded closes by date (both bundled daily sets; the later set wins where they meet). */
function readRecording(): Map<string, Map<string, number>> {
  const coins = new Map<string, Map<string, number>>();
  for (const dir of ['coingecko-daily-2015-2022', 'coingecko-daily-2023-2025']) {
    for (const file of readdirSync(path.join(DATA, dir))) {
      const closes = coins.get(file.replace('.csv', '')) ?? new Map<string, number>();
      for (const line of readFileSync(path.join(DATA, dir, file), 'utf8')
        .trim()
        .split('\n')
        .slice(1)) {
        const cells = line.split(',');
        if (cells[4]) closes.set(cells[0]!, Number(cells[4]));
      }
      coins.set(file.replace('.csv', ''), closes);
    }
  }
  return coins;
}

const recording = readRecording();
const iso = (time: number) => new Date(time).toISOString().slice(0, 10);
const day = (date: string) => Date.parse(`${date}T00:00:00Z`);
const shiftDate = (date: string, days: number) => iso(day(date) + days * DAY);
const relative = (actual: number, expected: number) =>
  Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected));

let database: TTestDatabase;
let dev: ChildProcess;
let output = '';
let base = '';
let shift = 0;
let today = '';
let recordedToday = '';

beforeAll(async () => {
  const config = testConfig();
  database = await createTestDatabase(config);
  const [port, workerPort] = [await freePort(), await freePort()];
  dev = spawn('bash', ['scripts/dev.sh'], {
    cwd: ROOT,
    detached: true, // its own process group, so the test can stop the API and worker with it
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      DATABASE_URL: database.url,
      REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX,
      QUEUE_PREFIX: config.QUEUE_PREFIX,
      PORT: String(port),
      WORKER_PORT: String(workerPort),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '100000',
      BOOTSTRAP_ADMIN_EMAIL: 'ops@example.com',
      BOOTSTRAP_ADMIN_PASSWORD: TEST_PASSWORD,
      // This file checks the day-level replay (prices are the recorded closes); the live ticks between
      // closes are core/market/ticks' tests.
      TICKER_ENABLED: 'false',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  dev.stdout!.on('data', (chunk) => (output += chunk));
  dev.stderr!.on('data', (chunk) => (output += chunk));
  base = `http://127.0.0.1:${port}`;
  try {
    await waitForStatus(`${base}/readyz`, 200, 50_000);
    await waitForStatus(`http://127.0.0.1:${workerPort}/readyz`, 200, 10_000);
  } catch (error) {
    throw new Error(`npm run dev did not come up: ${(error as Error).message}\n${output}`);
  }
  const root = await request(base, '/');
  shift = root.body.market_data.shift_days;
  recordedToday = root.body.market_data.recorded_day_now;
  today = iso(Date.now());
}, 90_000);

afterAll(async () => {
  if (dev?.pid) {
    process.kill(-dev.pid, 'SIGTERM');
    await new Promise((resolve) => dev.once('exit', resolve));
  }
  await database?.drop();
});

describe('one timeline for the offline market', () => {
  test('When the system is up, then GET / and /health say which recording is replayed and how far it is shifted', async () => {
    const root = await request(base, '/');
    const health = await request(base, '/health');
    const source = root.body.market_data;
    expect(source.provider).toBe('replay');
    expect(source.status).toBe('replaying');
    expect(source.description).toBe(
      `replay of recorded CoinGecko closes 2015-01-01..2025-06-08, shifted by ${shift} days`,
    );
    // Today is a recorded day: everything up to it is history, the rest of the recording is still to come.
    expect(shiftDate(recordedToday, shift)).toBe(today);
    expect(recordedToday < '2025-06-08').toBe(true);
    expect(source.replay_ends).toBe(shiftDate('2025-06-08', shift));
    expect(health.body.market_data).toStrictEqual(source);
  });

  test('When BTC daily history is read, then it ends today and every day-over-day move is one of the recording', async () => {
    const { body } = await request(base, '/api/v1/cryptocurrencies/BTC/history?interval=daily&limit=1000');
    const points: { date: string; close: number }[] = body.data.map(
      (point: { timestamp: string; price: number }) => ({
        date: point.timestamp.slice(0, 10),
        close: point.price,
      }),
    );
    expect(points[0]!.date).toBe(today);
    // Shifted back, the served days are exactly the recorded days of that range, with their closes:
    // nothing spliced in or left out (the recording's own gap, 2022-09-27..2023-08-11, stays a gap).
    const oldest = shiftDate(points.at(-1)!.date, -shift);
    const recorded = [...recording.get('BTC')!]
      .filter(([date]) => date >= oldest && date <= recordedToday)
      .map(([date, close]) => ({ date: shiftDate(date, shift), close }))
      .reverse();
    expect(points).toStrictEqual(recorded);
    expect(points.length).toBe(1000);
  });

  test('When the listing is read, then each coin’s market fields agree with its stored history and the recording', async () => {
    const { body } = await request(base, '/api/v1/cryptocurrencies/?limit=250');
    const trading = body.data.filter((coin: { last_updated: string }) => coin.last_updated.startsWith(today));
    expect(trading.length).toBeGreaterThanOrEqual(40);
    for (const coin of trading) {
      const closes = recording.get(coin.symbol)!;
      const at = (back: number) => closes.get(shiftDate(recordedToday, -back));
      const history = await request(base, `/api/v1/cryptocurrencies/${coin.symbol}/history?limit=1`);
      withContext(`${coin.symbol} current_price is the newest history point`, () =>
        expect(coin.current_price).toBe(history.body.data[0].price),
      );
      expect(coin.current_price).toBe(at(0));
      for (const [field, back] of [
        ['price_change_percentage_24h', 1],
        ['price_change_percentage_7d', 7],
        ['price_change_percentage_30d', 30],
      ] as const) {
        const then = at(back);
        if (then === undefined) continue; // a recorded gap that day: not asserted here
        withContext(`${coin.symbol} ${field}: ${coin[field]}`, () =>
          expect(relative(coin[field], (at(0)! / then - 1) * 100)).toBe(true),
        );
      }
      if (at(1) !== undefined) {
        expect(coin.high_24h).toBe(Math.max(at(0)!, at(1)!));
        expect(coin.low_24h).toBe(Math.min(at(0)!, at(1)!));
      }
      const upToToday = [...closes].filter(([date]) => date <= recordedToday);
      const [athDate, ath] = upToToday.reduce((best, entry) => (entry[1] > best[1] ? entry : best));
      const [atlDate, atl] = upToToday.reduce((best, entry) => (entry[1] < best[1] ? entry : best));
      withContext(`${coin.symbol} ATH/ATL from the recording`, () =>
        expect([coin.ath, coin.ath_date, coin.atl, coin.atl_date]).toStrictEqual([
          ath,
          `${shiftDate(athDate, shift)}T00:00:00.000Z`,
          atl,
          `${shiftDate(atlDate, shift)}T00:00:00.000Z`,
        ]),
      );
    }
  });

  test('When a coin’s recording stopped before today, then only its last price and its time are shown', async () => {
    const { body } = await request(base, '/api/v1/cryptocurrencies/USDT');
    expect(body.last_updated).toBe(`${shiftDate('2022-09-26', shift)}T00:00:00.000Z`);
    expect(body.current_price).toBe(recording.get('USDT')!.get('2022-09-26'));
    for (const field of [
      'market_cap',
      'total_volume',
      'price_change_percentage_24h',
      'high_24h',
      'market_cap_rank',
    ])
      withContext(field, () => expect(body[field]).toBeNull());
  });
});

describe('every default answers', () => {
  const withHistory = () =>
    [...recording]
      .filter(([, closes]) => {
        const from = shiftDate(recordedToday, -364);
        return [...closes.keys()].filter((date) => date >= from && date <= recordedToday).length >= 31;
      })
      .map(([symbol]) => symbol)
      .sort();

  test('When the risk report of every coin with enough recorded history is asked with defaults, then it is 200', async () => {
    const symbols = withHistory();
    expect(symbols.length).toBeGreaterThanOrEqual(40);
    for (const symbol of symbols) {
      const { status, body } = await request(base, `/api/v1/risk/${symbol}`);
      withContext(`${symbol}: ${JSON.stringify(body).slice(0, 200)}`, () => expect(status).toBe(200));
      expect(body.to).toBe(today);
    }
  });

  test('When rankings and correlations are asked with defaults, then they list those coins', async () => {
    const rankings = await request(base, '/api/v1/risk/rankings?limit=250');
    expect(rankings.status).toBe(200);
    expect(rankings.body.data.map((row: { symbol: string }) => row.symbol).sort()).toStrictEqual(
      withHistory(),
    );
    const correlations = await request(base, '/api/v1/risk/correlations?symbols=BTC,ETH,SOL');
    expect(correlations.status).toBe(200);
    expect(correlations.body.symbols).toStrictEqual(['BTC', 'ETH', 'SOL']);
  });

  test('When a sync runs on the replay, then it writes today’s recorded close again and the market stays coherent', async () => {
    const { headers } = await logIn(base, 'ops@example.com');
    const accepted = await request(base, '/api/v1/cryptocurrencies/sync?limit=50', {
      method: 'POST',
      headers,
    });
    expect(accepted.status).toBe(202);
    let status = await request(base, accepted.body.status_url, { headers });
    for (let i = 0; i < 300 && !['completed', 'failed'].includes(status.body.state); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = await request(base, accepted.body.status_url, { headers });
    }
    withContext(String(status.body.failed_reason), () => expect(status.body.state).toBe('completed'));
    expect(status.body.result.provider).toBe('replay');
    // The point of this sync (the internal scheduler may have written a later one by now).
    const asOf = encodeURIComponent(status.body.result.as_of);
    const raw = await request(base, `/api/v1/cryptocurrencies/BTC/history?from=${asOf}&to=${asOf}`);
    expect(raw.body.data.map((point: { price: number }) => point.price)).toStrictEqual([
      recording.get('BTC')!.get(recordedToday),
    ]);
    const btc = await request(base, '/api/v1/cryptocurrencies/BTC');
    expect(btc.body.current_price).toBe(raw.body.data[0].price);
  });
});
