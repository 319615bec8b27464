import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { JOB_NAMES } from '../../core/features.ts';
import { seedBundledData } from '../../core/market/index.ts';
import { servedQueues } from '../create-workers.ts';
import { counterValue } from '../../test/api-server.ts';
import { testConfig } from '../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../test/db.ts';
import { startProviderServer, type TProviderServer } from '../../test/provider-server.ts';
import {
  startTestWorkers,
  waitForFailedAttempt,
  waitForJob,
  type TTestWorkers,
} from '../../test/worker-harness.ts';

let server: TProviderServer;
let database: TTestDatabase;
let harness: TTestWorkers;
let config: ReturnType<typeof testConfig>;

beforeAll(async () => {
  server = await startProviderServer();
  config = testConfig({
    MARKET_DATA_PROVIDER: 'coingecko',
    COINGECKO_BASE_URL: server.coingeckoUrl,
    COINMARKETCAP_BASE_URL: server.coinmarketcapUrl,
    PROVIDER_MAX_RETRIES: '0',
  });
  database = await createTestDatabase(config);
  harness = await startTestWorkers(config, database.db);
});
afterAll(async () => {
  await harness.close();
  await database.drop();
  await server.close();
});
beforeEach(async () => {
  server.reset();
  await database.truncate();
});

const tableSnapshot = async () => ({
  coins: await database.db.query(
    `SELECT symbol, current_price::text, market_cap::text, total_volume::text, market_cap_rank FROM cryptocurrencies ORDER BY symbol`,
  ),
  history: await database.db.query(
    `SELECT c.symbol, h."timestamp", h.price::text FROM price_history h JOIN cryptocurrencies c ON c.id = h.cryptocurrency_id ORDER BY 1, 2`,
  ),
});

describe('sync-markets', () => {
  test('When the same sync job runs twice, then the tables hold exactly the same rows', async () => {
    const first = await harness.queues.enqueue('sync-markets', {
      limit: 50,
      as_of: '2026-01-01T00:00:00.000Z',
    });
    expect((await waitForJob(harness.queues, first.job_id)).state).toBe('completed');
    const afterFirst = await tableSnapshot();
    expect(afterFirst.coins.length).toBe(50);
    expect(afterFirst.history.length).toBe(50); // one history point per coin
    await (await harness.queues.find(first.job_id))!.job.remove();
    const second = await harness.queues.enqueue('sync-markets', {
      limit: 50,
      as_of: '2026-01-01T00:00:00.000Z',
    });
    expect((await waitForJob(harness.queues, second.job_id)).state).toBe('completed');
    expect(await tableSnapshot()).toStrictEqual(afterFirst);
  });

  test('When the job completes, then its result summarises the work and the provider used', async () => {
    const { job_id } = await harness.queues.enqueue('sync-markets', { limit: 10 });
    const { job } = await waitForJob(harness.queues, job_id);
    expect(job.returnvalue.coins_upserted).toBe(10);
    expect(job.returnvalue.history_points).toBe(10);
    expect(job.returnvalue.provider).toBe('coingecko');
    expect(typeof job.returnvalue.duration_ms).toBe('number');
    expect(job.progress).toBe(100);
  });

  test('When five identical triggers arrive in one window, then one job runs', async () => {
    const now = Date.parse('2026-03-01T10:02:00Z');
    const triggers = await Promise.all(
      Array.from({ length: 5 }, () => harness.queues.enqueue('sync-markets', { limit: 5 }, now)),
    );
    expect(new Set(triggers.map((trigger) => trigger.job_id)).size).toBe(1);
    await waitForJob(harness.queues, triggers[0]!.job_id);
    expect(server.requests('/api/v3/coins/markets').length).toBe(1); // the provider was called once
    const later = await harness.queues.enqueue('sync-markets', { limit: 5 }, now + 5 * 60_000);
    expect(later.job_id).not.toBe(triggers[0]!.job_id); // the next window is a new job
  });

  test('When the database write fails after part of the work, then no partial rows are left', async () => {
    await seedBundledData(database.db, { symbols: ['BTC', 'ETH'], history: 'month' });
    const before = await tableSnapshot();
    // A real failure inside the transaction: coins are upserted, then the history insert is rejected.
    await database.db.query(`
      CREATE FUNCTION reject_history() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'history store unavailable'; END $$;
      CREATE TRIGGER reject_history BEFORE INSERT ON price_history FOR EACH ROW EXECUTE FUNCTION reject_history();`);
    try {
      server.script('/api/v3/coins/markets', { body: [{ ...(await recordedBtc()), current_price: 1 }] });
      const { job_id } = await harness.queues.enqueue('sync-markets', { limit: 1 });
      // The job has retries left (attempts: 3); its first failed attempt is enough to check the rollback.
      const failed = await waitForFailedAttempt(harness.queues, job_id);
      expect(failed.failedReason).toMatch(/history store unavailable/);
      expect(await tableSnapshot()).toStrictEqual(before); // the coin upsert was rolled back with the history insert
      await failed.remove().catch(() => undefined);
    } finally {
      await database.db.query('DROP TRIGGER reject_history ON price_history; DROP FUNCTION reject_history()');
    }
  });

  test('When CoinGecko is down, then the sync falls back to CoinMarketCap and completes', async () => {
    server.script('/api/v3/coins/markets', { status: 500, body: {} });
    const { job_id } = await harness.queues.enqueue('sync-markets', { limit: 5 });
    const { state, job } = await waitForJob(harness.queues, job_id);
    expect(state).toBe('completed');
    expect(job.returnvalue.provider).toBe('coinmarketcap');
    expect(job.returnvalue.fallback_from).toBe('coingecko');
    const [btc] = await database.db.query(`SELECT cmc_id FROM cryptocurrencies WHERE symbol = 'BTC'`);
    expect(btc.cmc_id).toBe(1);
  });
});

describe('backfill-history and cleanup-history', () => {
  test('When a symbol is backfilled twice, then history holds the snapped points once', async () => {
    await seedBundledData(database.db, { symbols: ['BTC'], history: 'month' });
    const first = await harness.queues.enqueue('backfill-history', { symbol: 'btc', days: 60 });
    expect((await waitForJob(harness.queues, first.job_id)).state).toBe('completed');
    const [{ n: afterFirst }] = await database.db.query('SELECT count(*)::int AS n FROM price_history');
    expect(afterFirst > 1400).toBeTruthy();
    const second = await harness.queues.enqueue(
      'backfill-history',
      { symbol: 'BTC', days: 60 },
      Date.now() + 3_600_000,
    );
    expect((await waitForJob(harness.queues, second.job_id)).state).toBe('completed');
    const [{ n: afterSecond, misaligned }] = await database.db.query(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE extract(epoch FROM "timestamp")::bigint % 3600 <> 0)::int AS misaligned FROM price_history`,
    );
    expect(afterSecond).toBe(afterFirst);
    expect(misaligned).toBe(0);
  });

  test('When cleanup runs, then history older than the retention goes, in batches, and recent history stays', async () => {
    await seedBundledData(database.db, { symbols: ['BTC', 'ETH'] });
    const [{ n: total }] = await database.db.query(`SELECT count(*)::int AS n FROM price_history`);
    const [{ n: recent }] = await database.db.query(
      `SELECT count(*)::int AS n FROM price_history WHERE "timestamp" >= '2025-06-08'::timestamptz - interval '365 days'`,
    );
    const { job_id } = await harness.queues.enqueue('cleanup-history', {
      retention_days: 365,
      batch_size: 500,
      as_of: '2025-06-08T00:00:00.000Z',
    });
    const { job } = await waitForJob(harness.queues, job_id);
    expect(job.returnvalue.deleted).toBe(total - recent);
    expect(job.returnvalue.batches > 1).toBeTruthy();
    const [{ n: left }] = await database.db.query(`SELECT count(*)::int AS n FROM price_history`);
    expect(left).toBe(recent);
  });

  test('When cleanup runs, then audit events past AUDIT_RETENTION_DAYS (365) go too, and newer ones stay', async () => {
    await database.db.query(
      `INSERT INTO audit_events (at, actor_type, action, outcome) VALUES
         ('2024-06-08T00:00:00Z', 'system', 'test.expired', 'success'),
         ('2024-06-10T00:00:00Z', 'system', 'test.kept', 'success')`,
    );
    const { job_id } = await harness.queues.enqueue(
      'cleanup-history',
      { retention_days: 365, as_of: '2025-06-09T00:00:00.000Z' },
      // Another trigger window than the other cleanups here: the same window is the same (deduplicated) job.
      Date.now() + 7 * 24 * 3600_000,
    );
    const { job } = await waitForJob(harness.queues, job_id);
    expect(job.returnvalue.audit).toEqual({ deleted: 1, cutoff: '2024-06-09T00:00:00.000Z' });
    const actions = await database.db.query(`SELECT action FROM audit_events WHERE action LIKE 'test.%'`);
    expect(actions).toEqual([{ action: 'test.kept' }]);
  });

  test('When jobs finish, then the worker metrics count them by queue and status', async () => {
    const { job_id } = await harness.queues.enqueue('cleanup-history', {
      retention_days: 10,
      as_of: '2026-01-01T00:00:00.000Z',
    });
    await waitForJob(harness.queues, job_id);
    expect(
      await counterValue([harness.metrics], 'worker_jobs_total', {
        queue: 'cleanup-history',
        status: 'completed',
      }),
    ).toBeGreaterThanOrEqual(1);
  });
});

async function recordedBtc() {
  const { loadSnapshot, MARKETS_SNAPSHOT } = await import('../../core/market/index.ts');
  return ((await loadSnapshot(MARKETS_SNAPSHOT)) as Record<string, unknown>[])[0]!;
}

describe('compute-risk', () => {
  test('When a sync is enqueued, then it runs as a flow: compute-risk for the synced coins stores default-window reports, then evaluate-alerts', async () => {
    // The whole recording on its recorded dates (to 2025-06-08), then recent daily closes
    await seedBundledData(database.db, {
      symbols: ['BTC', 'ETH'],
      timeline: { shift_days: 0 },
      now: new Date('2025-06-08T12:00:00Z'),
    });
    // Recent daily closes so that the default window (365 days to the sync day) has enough history.
    const asOf = new Date(Date.UTC(2026, 0, 31));
    await database.db.query(
      `INSERT INTO price_history (cryptocurrency_id, "timestamp", price)
       SELECT c.id, $1::timestamptz - make_interval(days => g), 100 + g % 7 + c.id
       FROM cryptocurrencies c CROSS JOIN generate_series(1, 60) AS g ON CONFLICT DO NOTHING`,
      [asOf],
    );
    const enqueued = await harness.queues.enqueue('sync-markets', { limit: 2, as_of: asOf.toISOString() });
    expect(enqueued.flow_id).toBe(`evaluate-alerts-after-${enqueued.job_id}`);
    const root = await waitForJob(harness.queues, enqueued.flow_id!);
    expect(root.state).toBe('completed');
    const flow = await harness.queues.flowOf(enqueued.job_id);
    expect(flow!.map((step) => step.name)).toEqual(['sync-markets', 'compute-risk', 'evaluate-alerts']);
    const risk = await waitForJob(harness.queues, flow![1]!.id);
    expect(risk.state).toBe('completed');
    expect(risk.job.data).toMatchObject({ top: 2, as_of: asOf.toISOString() });
    expect(risk.job.returnvalue.computed).toBe(2);
    expect(
      (await waitForJob(harness.queues, enqueued.job_id)).job.returnvalue.compute_risk_job,
    ).toBeUndefined();
    const rows = await database.db.query(
      `SELECT c.symbol, r.window_days, r.benchmark_symbol, to_char(r.window_end, 'YYYY-MM-DD') AS window_end, r.observations
       FROM risk_metrics r JOIN cryptocurrencies c ON c.id = r.cryptocurrency_id ORDER BY c.symbol`,
    );
    // Window of 365 returns, 2025-01-31 … 2026-01-31: 129 bundled closes (to 2025-06-08), 60 generated ones
    // and the sync's own point on 2026-01-31 = 190 closes, 189 returns.
    expect(rows).toStrictEqual([
      {
        symbol: 'BTC',
        window_days: 365,
        benchmark_symbol: 'BTC',
        window_end: '2026-01-31',
        observations: 189,
      },
      {
        symbol: 'ETH',
        window_days: 365,
        benchmark_symbol: 'BTC',
        window_end: '2026-01-31',
        observations: 189,
      },
    ]);
  });
});

describe('internal scheduler', () => {
  test('When SCHEDULER=internal starts, then BullMQ job schedulers match the CronJob cadence, idempotently', async () => {
    const { startInternalScheduler } = await import('../scheduler.ts');
    const { createLogger } = await import('../../core/platform/logging/logger.ts');
    const logger = createLogger({ level: 'silent', name: 'test' });
    await startInternalScheduler(harness.queues, logger);
    await startInternalScheduler(harness.queues, logger);
    const sync = await harness.queues.get('sync-markets').getJobSchedulers();
    expect(sync.map((scheduler) => [scheduler.key, scheduler.pattern]).sort()).toStrictEqual([
      ['sync-top-200', '7 * * * *'],
      ['sync-top-50', '*/5 * * * *'],
    ]);
    const cleanup = await harness.queues.get('cleanup-history').getJobSchedulers();
    expect(cleanup.map((scheduler) => [scheduler.key, scheduler.pattern])).toStrictEqual([
      ['cleanup-daily', '17 3 * * *'],
    ]);
    // The report schedules too, and their catch-up run is enqueued at start (a missed run made then).
    const reports = await harness.queues.get('run-report-schedules').getJobSchedulers();
    expect(reports.map((scheduler) => [scheduler.key, scheduler.pattern])).toStrictEqual([
      ['run-report-schedules-hourly', '41 * * * *'],
    ]);
    const started = await harness.queues
      .get('run-report-schedules')
      .getJobs(['waiting', 'active', 'completed']);
    expect(started.filter((job) => job.id?.startsWith('run-report-schedules-'))).toHaveLength(1);
    for (const [name, keys] of [
      ['sync-markets', ['sync-top-50', 'sync-top-200']],
      ['cleanup-history', ['cleanup-daily']],
      ['run-report-schedules', ['run-report-schedules-hourly']],
      ['cleanup-reports', ['cleanup-reports-daily']],
    ] as const) {
      for (const key of keys) await harness.queues.get(name).removeJobScheduler(key);
    }
  });
});

describe('rate-limited providers', () => {
  // Two workers on their own queue and key prefix (so that the cooldowns stay in this block).
  let workers: TTestWorkers[] = [];
  let limitedConfig: ReturnType<typeof testConfig>;
  const MARKETS = '/api/v3/coins/markets';
  const CMC = '/v1/cryptocurrency/listings/latest';

  beforeAll(async () => {
    limitedConfig = testConfig({
      MARKET_DATA_PROVIDER: 'coingecko',
      COINGECKO_BASE_URL: server.coingeckoUrl,
      COINMARKETCAP_BASE_URL: server.coinmarketcapUrl,
      PROVIDER_MAX_RETRIES: '3',
    });
    workers = [
      await startTestWorkers(limitedConfig, database.db),
      await startTestWorkers(limitedConfig, database.db),
    ];
  });
  afterAll(async () => {
    for (const worker of workers) await worker.close();
  });

  test('When CoinGecko answers every call with a plain 429, then syncs on both workers complete from CoinMarketCap at once, calling CoinGecko once', async () => {
    server.script(MARKETS, ...Array.from({ length: 10 }, () => ({ status: 429, text: 'error code: 1015' })));
    const started = Date.now();
    const first = await workers[0]!.queues.enqueue('sync-markets', { limit: 5 });
    const done = await waitForJob(workers[0]!.queues, first.job_id, 10_000);
    expect(done.state).toBe('completed');
    expect(Date.now() - started).toBeLessThan(10_000); // it used to stay active for minutes
    expect(done.job.returnvalue.provider).toBe('coinmarketcap');
    expect(done.job.returnvalue.skipped_providers).toHaveLength(1);
    expect(done.job.returnvalue.skipped_providers[0]).toMatchObject({ provider: 'coingecko' });
    expect(done.job.returnvalue.skipped_providers[0].reason).toMatch(
      /HTTP 429 error code: 1015; cooling down until/,
    );
    // More syncs, taken by either worker: the shared cooldown keeps both away from CoinGecko.
    for (const limit of [6, 7, 8]) {
      const next = await workers[1]!.queues.enqueue('sync-markets', { limit });
      const result = await waitForJob(workers[1]!.queues, next.job_id, 10_000);
      expect(result.state).toBe('completed');
      expect(result.job.returnvalue.provider).toBe('coinmarketcap');
      expect(result.job.returnvalue.skipped_providers[0].reason).toMatch(/^cooling down after a rate limit/);
    }
    expect(server.requests(MARKETS).length).toBe(1);
  });

  test('When no provider can answer, then the attempt fails at once with the reasons and is retried after the cooldown', async () => {
    server.script(CMC, {
      status: 200,
      body: { status: { error_code: 1008, error_message: 'minute rate limit', credit_count: 0 }, data: [] },
    });
    const started = Date.now();
    const { job_id } = await workers[0]!.queues.enqueue('sync-markets', { limit: 9 });
    const failed = await waitForFailedAttempt(workers[0]!.queues, job_id, 10_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(failed.failedReason).toMatch(
      /^providers: no provider could answer: coingecko \(cooling down .*\); coinmarketcap \(coinmarketcap: error 1008: minute rate limit; cooling down until/,
    );
    expect(await failed.getState()).toBe('delayed');
    // BullMQ's retry waits for the first cooldown to end (CoinGecko's, from the previous test, or CMC's minute).
    const retryAt = failed.processedOn! + failed.delay;
    const cooldownEnds = Math.min(
      ...(await Promise.all(
        ['coingecko', 'coinmarketcap'].map(async (provider) => {
          const value = await workers[0]!.queues
            .get('sync-markets')
            .client.then((client) =>
              client.get(`${limitedConfig.REDIS_KEY_PREFIX}provider:cooldown:${provider}`),
            );
          return Number(value!.split(' ')[0]);
        }),
      )),
    );
    expect(retryAt).toBeGreaterThanOrEqual(cooldownEnds - 1000);
    expect(failed.delay).toBeGreaterThan(5_000); // longer than the plain exponential backoff
    await failed.remove();
  });
});

describe('Worker pools', () => {
  test('When a worker is given WORKER_QUEUES or WORKER_SKIP_QUEUES, then it serves exactly those queues; an unknown name stops it', async () => {
    const webhooks = await startTestWorkers({ ...config, WORKER_QUEUES: ['deliver-webhook'] }, database.db);
    const others = await startTestWorkers(
      { ...config, WORKER_SKIP_QUEUES: ['deliver-webhook'] },
      database.db,
    );
    try {
      expect(webhooks.workers.map((worker) => worker.name)).toEqual(['deliver-webhook']);
      expect(others.workers.map((worker) => worker.name)).not.toContain('deliver-webhook');
      expect(others.workers).toHaveLength(JOB_NAMES.length - 1);
    } finally {
      await webhooks.close();
      await others.close();
    }
    expect(() =>
      servedQueues({ WORKER_QUEUES: ['deliver-webhooks'], WORKER_SKIP_QUEUES: [], QUEUE_CONCURRENCY: {} }),
    ).toThrow('unknown queue(s) deliver-webhooks');
    expect(() => servedQueues({ WORKER_SKIP_QUEUES: [], QUEUE_CONCURRENCY: { 'sync-market': 2 } })).toThrow(
      'unknown queue(s) sync-market',
    );
    const tuned = await startTestWorkers(
      { ...config, QUEUE_CONCURRENCY: { 'evaluate-alerts': 7 } },
      database.db,
    );
    try {
      expect(tuned.workers.find((worker) => worker.name === 'evaluate-alerts')!.concurrency).toBe(7);
      expect(tuned.workers.find((worker) => worker.name === 'deliver-webhook')!.concurrency).toBe(16);
    } finally {
      await tuned.close();
    }
  });
});
