// npm run bench: every figure of docs/benchmarks.md, each against a baseline measured in the same run.
//   npm run bench                 all sections, writes docs/benchmarks.md
//   npm run bench -- --quick      shorter runs (for a look, not for the document)
//   npm run bench -- --section read [--out FILE]   only some sections (read, compression, scale, write, risk, portfolio, live,
//                                                 tracing),
//                                                 printed or to FILE
//   npm run bench -- --compare 9f448d3   this checkout's API against an earlier commit's (same schema),
//                                        cached listing in turns with the bare server, and the pre-trade
//                                        check against each API's cached holdings read; prints tables
//   npm run bench -- --section risk --rankings-before 29f88c4   the commit whose rankings are the "before" row
//   npm run bench -- --stages 7d1e3b8    where the cached listing's microseconds go, that commit and this checkout
//                                        (perf samples of the API's main thread; scripts/bench/read-stages.ts)
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtemp, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { from as copyFrom } from 'pg-copy-streams';
import type { PoolClient } from 'pg';
import {
  invalidateMarketCache,
  syncMarkets,
  seedBundledData,
  upsertHistory,
  type THistoryInsert,
  createProviderChain,
} from '../../core/market/index.ts';
import { createCacheRedis } from '../../core/platform/redis/redis.ts';
import { createLogger } from '../../core/platform/logging/logger.ts';
import { createRiskRepository, createRiskService } from '../../core/risk/index.ts';
import { testConfig } from '../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../test/db.ts';
import { freePort, startProcess, waitForStatus, type TChild } from '../../test/processes.ts';
import { startProviderServer } from '../../test/provider-server.ts';
import { measure, measureWrk, type TMeasure } from './http-bench.ts';
import { Redis } from 'ioredis';
import { liveSection } from './live.ts';
import { profileStages, stagesTable } from './read-stages.ts';
import { portfolioSection, preTradeFixture } from './portfolio.ts';
import { tracingSection } from './tracing.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    section: { type: 'string', multiple: true },
    compare: { type: 'string' },
    stages: { type: 'string' },
    // The last commit that ranked coin by coin (a report, and a write, per coin per request).
    'rankings-before': { type: 'string', default: '29f88c4' },
  },
});
const SECTIONS = new Set(
  values.section ??
    (values.compare || values.stages
      ? []
      : ['read', 'compression', 'scale', 'write', 'risk', 'portfolio', 'live', 'tracing']),
);
const SECONDS = values.quick ? 3 : 8;
/** Alternating baseline/listing rounds of the headline pair, summarised by their medians. */
const PAIR_ROUNDS = values.quick ? 3 : 5;
const PAIR_SECONDS = values.quick ? 3 : 5;
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const config = testConfig({ LOG_LEVEL: 'silent', DATABASE_STATEMENT_TIMEOUT_MS: '600000' });
// One key for every API of this run (production refuses the ones published in this repository).
const BENCH_SECRET_KEY = randomBytes(32).toString('hex');
const lines: string[] = [];
const children: TChild[] = [];
const log = (text: string) => process.stdout.write(`${text}\n`);

const fmt = (value: number, digits = 1) => value.toFixed(digits);
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
/** Field by field median of repeated measurements; errors are summed. */
const medianOf = (list: TMeasure[]): TMeasure => ({
  rps: median(list.map((m) => m.rps)),
  mean: median(list.map((m) => m.mean)),
  p50: median(list.map((m) => m.p50)),
  p99: median(list.map((m) => m.p99)),
  errors: list.reduce((sum, m) => sum + m.errors, 0),
  non2xx: list.reduce((sum, m) => sum + m.non2xx, 0),
});
const row = (name: string, m: TMeasure, base?: TMeasure) =>
  `| ${name} | ${fmt(m.rps, 0)} | ${fmt(m.p50, 2)} | ${fmt(m.p99, 2)} | ${base ? `${fmt((m.rps / base.rps) * 100, 0)}%` : '—'} | ${base ? `${fmt(m.p99 / Math.max(base.p99, 0.01), 2)}×` : '—'} | ${m.errors + m.non2xx} |`;

async function startApi(
  database: TTestDatabase,
  extra: Record<string, string> = {},
  entry = 'api/main.ts',
  nodeArgs: string[] = [],
): Promise<string> {
  const port = await freePort();
  const child = startProcess(
    entry,
    {
      NODE_ENV: 'production',
      SECRET_KEY: BENCH_SECRET_KEY,
      DATABASE_URL: database.url,
      REDIS_URL: config.REDIS_URL,
      CACHE_REDIS_URL: config.CACHE_REDIS_URL ?? config.REDIS_URL,
      REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX,
      QUEUE_PREFIX: config.QUEUE_PREFIX,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info', // the full stack, access log included
      RATE_LIMIT_PER_MINUTE: '100000000',
      ...extra,
    },
    [],
    // Logs go to a file as a container runtime would take them, not through this process, which runs autocannon.
    { logFile: path.join(os.tmpdir(), `bench-api-${port}.log`), nodeArgs },
  );
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  await waitForStatus(`${url}/readyz`);
  return url;
}

const LISTING = '/api/v1/cryptocurrencies/?limit=100';
/** The read path's wrk ratios to the bare server, for the summary at the top of the document. */
const headline = { identity: NaN, br: NaN };
const COMPARE_ROUNDS = 7;

/**
 * Measures `urls` in turns, `rounds` times, so drift on a shared machine hits all of them; each
 * figure is the median of its rounds (single rounds on this machine swing by ±15%).
 */
async function inTurns(
  targets: (string | { url: string; headers: Record<string, string> })[],
  rounds: number,
  connections = 20,
): Promise<TMeasure[]> {
  const runs: TMeasure[][] = targets.map(() => []);
  for (let round = 0; round < rounds; round += 1) {
    for (const [index, target] of targets.entries()) {
      const { url, headers } = typeof target === 'string' ? { url: target, headers: {} } : target;
      runs[index]!.push(await measure(url, { seconds: PAIR_SECONDS, connections, headers }));
    }
  }
  return runs.map(medianOf);
}

/** A bare node:http server answering every request with `body` (labelled with `encoding`, if any). */
async function startBareServerWith(body: Buffer, encoding?: string): Promise<number> {
  const bodyFile = path.join(os.tmpdir(), `bench-listing.${encoding ?? 'json'}`);
  await writeFile(bodyFile, body);
  const barePort = await freePort();
  children.push(
    startProcess('scripts/bench/bare-server.ts', {
      PORT: String(barePort),
      BENCH_BODY_FILE: bodyFile,
      ...(encoding ? { BENCH_ENCODING: encoding } : {}),
    }),
  );
  await waitForStatus(`http://127.0.0.1:${barePort}/`);
  return barePort;
}

/** The baseline: a bare node:http server answering every request with the bytes `url` answers now. */
async function startBareServer(url: string): Promise<{ body: Buffer; barePort: number }> {
  const body = Buffer.from(
    await (await fetch(url, { headers: { 'Accept-Encoding': 'identity' } })).arrayBuffer(),
  );
  return { body, barePort: await startBareServerWith(body) };
}

/** The bytes on the wire for one Accept-Encoding, undecoded (fetch would decode them). */
function rawGet(url: string, acceptEncoding?: string): Promise<{ encoding: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: acceptEncoding ? { 'Accept-Encoding': acceptEncoding } : {} }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            encoding: String(response.headers['content-encoding'] ?? 'identity'),
            body: Buffer.concat(chunks),
          }),
        );
      })
      .on('error', reject);
  });
}

/** Runs `work` with `revision` checked out in a temporary git worktree sharing node_modules. */
async function atRevision<T>(revision: string, work: (entry: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-revision-'));
  execFileSync('git', ['worktree', 'add', '--detach', dir, revision], { cwd: ROOT, stdio: 'ignore' });
  try {
    await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    return await work(path.relative(ROOT, path.join(dir, 'api', 'main.ts')));
  } finally {
    const stopping = children.splice(0);
    for (const child of stopping) child.process.kill('SIGTERM');
    await Promise.all(stopping.map((child) => child.exited));
    execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: ROOT, stdio: 'ignore' });
  }
}

/** Medians of `rounds` wrk runs of each target, taken in turns. */
function wrkInTurns(
  targets: { url: string; headers?: Record<string, string> }[],
  rounds: number,
): TMeasure[] {
  const runs: TMeasure[][] = targets.map(() => []);
  for (let round = 0; round < rounds; round += 1) {
    for (const [index, { url, headers }] of targets.entries()) {
      runs[index]!.push(measureWrk(url, { seconds: PAIR_SECONDS, connections: 20, headers: headers ?? {} }));
    }
  }
  return runs.map(medianOf);
}

const BROTLI = { 'Accept-Encoding': 'br, gzip' };

/**
 * This checkout's API against the API of an earlier commit (checked out into a temporary git worktree,
 * sharing node_modules, database and Redis): the cached listing with wrk, identity and brotli, in turns
 * with bare servers sending the same bytes; each API as a share of the bare server, and the ratio of
 * those ratios, so that a slowdown shows whatever the machine's speed that day.
 */
async function compareWith(database: TTestDatabase, revision: string): Promise<void> {
  log(`compare with ${revision} …`);
  await atRevision(revision, async (entry) => {
    const current = await startApi(database, TRADER_QUOTAS);
    const earlier = await startApi(database, TRADER_QUOTAS, entry);
    const identity = await rawGet(`${current}${LISTING}`);
    const br = await rawGet(`${current}${LISTING}`, BROTLI['Accept-Encoding']);
    const bareIdentity = `http://127.0.0.1:${await startBareServerWith(identity.body)}/`;
    const bareBr = `http://127.0.0.1:${await startBareServerWith(br.body, 'br')}/`;
    const rows: string[] = [];
    for (const [label, bare, headers] of [
      ['identity', bareIdentity, {}],
      ['brotli', bareBr, BROTLI],
    ] as const) {
      const [base, before, after] = wrkInTurns(
        [
          { url: bare, headers },
          { url: `${earlier}${LISTING}`, headers },
          { url: `${current}${LISTING}`, headers },
        ],
        COMPARE_ROUNDS,
      ) as [TMeasure, TMeasure, TMeasure];
      const share = (m: TMeasure) => m.rps / base.rps;
      rows.push(
        `| ${label} | ${fmt(base.rps, 0)} | ${fmt(before.rps, 0)} (${fmt(share(before), 2)}×) | ${fmt(after.rps, 0)} (${fmt(share(after), 2)}×) | **${fmt(share(after) / share(before), 2)}** |`,
      );
    }
    log(
      [
        `Cached listing \`?limit=100\`, wrk, 20 connections, medians of ${COMPARE_ROUNDS} rounds of ${PAIR_SECONDS} s taken in turns:`,
        '',
        `| body | bare node:http req/s | ${revision} req/s (× bare) | this checkout req/s (× bare) | ratio of ratios (this / ${revision}) |`,
        '|---|---|---|---|---|',
        ...rows,
        '',
        'A ratio of ratios below 1 is a slowdown of this checkout against the earlier commit.',
      ].join('\n'),
    );
    await comparePreTrade(database, revision, earlier, current);
  });
}

/** Where the cached listing's microseconds go at `revision` and in this checkout (read-stages.ts). */
async function stagesWith(database: TTestDatabase, revision: string): Promise<void> {
  log(`stages: ${revision} and this checkout …`);
  const perf = { NODE_OPTIONS: '--perf-basic-prof-only-functions' };
  await atRevision(revision, async (entry) => {
    const current = await startApi(database, perf);
    const currentPid = children.at(-1)!.process.pid!;
    const earlier = await startApi(database, perf, entry);
    const earlierPid = children.at(-1)!.process.pid!;
    const identity = await rawGet(`${current}${LISTING}`);
    const br = await rawGet(`${current}${LISTING}`, BROTLI['Accept-Encoding']);
    const bares = [await startBareServerWith(identity.body), await startBareServerWith(br.body, 'br')];
    const barePids = children.slice(-2).map((child) => child.process.pid!);
    for (const [index, [label, headers]] of (
      [
        ['identity', {}],
        ['brotli', BROTLI],
      ] as const
    ).entries()) {
      const options = { seconds: SECONDS, headers };
      const bare = await profileStages(`http://127.0.0.1:${bares[index]}/`, barePids[index]!, options);
      const before = await profileStages(`${earlier}${LISTING}`, earlierPid, options);
      const after = await profileStages(`${current}${LISTING}`, currentPid, options);
      log(
        [
          `Cached listing \`?limit=100\`, ${label}:`,
          '',
          ...stagesTable([
            ['bare node:http', bare],
            [`before (${revision})`, before],
            ['after (this checkout)', after],
          ]),
          '',
        ].join('\n'),
      );
    }
  });
}

/** The trader's request quota raised out of the way (the portfolio rows sign in as a trader). */
const TRADER_QUOTAS = {
  RATE_LIMIT_ROLE_QUOTAS: 'admin=100000000,trader=100000000,analyst=100000000,service=100000000',
};

/**
 * --compare: the pre-trade check of the portfolio benchmark at both revisions, each against the cached
 * holdings read of its own API, all four measured in turns (one request at a time); the ratio of the two
 * ratios shows a slowdown of the check that a slower machine or run would not.
 */
async function comparePreTrade(database: TTestDatabase, revision: string, earlier: string, current: string) {
  log('compare the pre-trade check …');
  const fixture = await preTradeFixture(database.db, current);
  const post = { ...fixture.headers, 'content-type': 'application/json' };
  const rounds = values.quick ? 2 : COMPARE_ROUNDS;
  const runs: TMeasure[][] = [[], [], [], []];
  for (let round = 0; round < rounds; round += 1) {
    for (const [index, base] of [earlier, current].entries()) {
      const one = { seconds: PAIR_SECONDS, connections: 1 };
      runs[index * 2]!.push(
        await measure(`${base}${fixture.holdings}`, { ...one, headers: fixture.headers }),
      );
      runs[index * 2 + 1]!.push(
        await measure(`${base}${fixture.preTrade}`, {
          ...one,
          headers: post,
          method: 'POST',
          body: fixture.order,
        }),
      );
    }
  }
  const [holdingsBefore, checkBefore, holdingsAfter, checkAfter] = runs.map(medianOf) as [
    TMeasure,
    TMeasure,
    TMeasure,
    TMeasure,
  ];
  const ratioBefore = checkBefore.mean / holdingsBefore.mean;
  const ratioAfter = checkAfter.mean / holdingsAfter.mean;
  const fmtRow = (name: string, holdings: TMeasure, check: TMeasure) =>
    `| ${name} | ${fmt(holdings.mean, 2)} | ${fmt(check.mean, 2)} | ${fmt(check.p50, 1)} | ${fmt(check.p99, 1)} | ${fmt(check.mean / holdings.mean, 2)}× | ${holdings.errors + holdings.non2xx + check.errors + check.non2xx} |`;
  log(
    [
      '',
      `Pre-trade check (50 coins, 10,000 transactions, four limits), one request at a time, against the cached holdings`,
      `read of the same API; medians of ${rounds} rounds of ${PAIR_SECONDS} s taken in turns:`,
      '',
      '| API | holdings mean ms | pre-trade mean ms | p50 ms | p99 ms | pre-trade / holdings | errors |',
      '|---|---|---|---|---|---|---|',
      fmtRow(`at ${revision}`, holdingsBefore, checkBefore),
      fmtRow('this checkout', holdingsAfter, checkAfter),
      '',
      `ratio of ratios, this checkout / ${revision}: ${fmt(ratioAfter / ratioBefore, 2)} (above 1: the check got slower)`,
    ].join('\n'),
  );
}

async function readPath(database: TTestDatabase): Promise<void> {
  log('read path …');
  const api = await startApi(database);
  const uncached = await startApi(database, {
    REDIS_URL: 'redis://127.0.0.1:1',
    CACHE_REDIS_URL: 'redis://127.0.0.1:1',
  });
  const { body, barePort } = await startBareServer(`${api}${LISTING}`);
  const br = await rawGet(`${api}${LISTING}`, BROTLI['Accept-Encoding']);
  const bareBr = `http://127.0.0.1:${await startBareServerWith(br.body, 'br')}/`;
  // The headline, with wrk: it costs less per request than any server here, so the ratio is the servers'.
  const [wrkBase, wrkCached, wrkBaseBr, wrkCachedBr] = wrkInTurns(
    [
      { url: `http://127.0.0.1:${barePort}/` },
      { url: `${api}${LISTING}` },
      { url: bareBr, headers: BROTLI },
      { url: `${api}${LISTING}`, headers: BROTLI },
    ],
    PAIR_ROUNDS,
  ) as [TMeasure, TMeasure, TMeasure, TMeasure];
  headline.identity = wrkCached.rps / wrkBase.rps;
  headline.br = wrkCachedBr.rps / wrkBaseBr.rps;

  const pair = [`http://127.0.0.1:${barePort}/`, `${api}${LISTING}`];
  const [baseline, cached] = (await inTurns(pair, PAIR_ROUNDS, 20)) as [TMeasure, TMeasure];
  const [baseline50, cached50] = (await inTurns(pair, PAIR_ROUNDS, 50)) as [TMeasure, TMeasure];
  const [{ id }] = await database.db.query(`SELECT id FROM cryptocurrencies WHERE symbol = 'BTC'`);
  const [{ n: btcPoints }] = await database.db.query(
    'SELECT count(*)::int AS n FROM price_history WHERE cryptocurrency_id = $1',
    [id],
  );
  const results: [string, TMeasure][] = [
    [`bare node:http, same ${body.length} bytes (baseline)`, baseline],
    ['cached listing `?limit=100`, full middleware stack', cached],
    [
      'uncached listing `?limit=100` (Redis away: each answer computed from PostgreSQL)',
      await measure(`${uncached}${LISTING}`, { seconds: SECONDS }),
    ],
    ['cached detail `/BTC`', await measure(`${api}/api/v1/cryptocurrencies/BTC`, { seconds: SECONDS })],
    [
      'cached history, 1,000 points',
      await measure(`${api}/api/v1/cryptocurrencies/BTC/history?limit=1000`, { seconds: SECONDS }),
    ],
    [
      'uncached history, 1,000 points',
      await measure(`${uncached}/api/v1/cryptocurrencies/BTC/history?limit=1000`, { seconds: SECONDS }),
    ],
    [
      'uncached history, 365 daily closes',
      await measure(`${uncached}/api/v1/cryptocurrencies/BTC/history?interval=daily&limit=365`, {
        seconds: SECONDS,
      }),
    ],
    [
      'cached top gainers',
      await measure(`${api}/api/v1/cryptocurrencies/top/gainers?limit=10`, { seconds: SECONDS }),
    ],
    [
      'uncached top gainers',
      await measure(`${uncached}/api/v1/cryptocurrencies/top/gainers?limit=10`, { seconds: SECONDS }),
    ],
  ];
  lines.push(
    '## Read path',
    '',
    `The headline: the cached listing \`?limit=100\` with every middleware on (security headers, request ids, the access log`,
    `to a file, metrics, the shared rate limiter, the cache) against a bare node:http server sending the same bytes, measured`,
    `with wrk (one thread, 20 connections), medians of ${PAIR_ROUNDS} rounds of ${PAIR_SECONDS} s taken in turns:`,
    '',
    '| what | req/s | p50 ms | p99 ms | % of baseline req/s | p99 vs baseline | errors |',
    '|---|---|---|---|---|---|---|',
    row(`bare node:http, the same ${body.length} bytes (baseline)`, wrkBase, wrkBase),
    row('cached listing, identity', wrkCached, wrkBase),
    row(`bare node:http, the same ${br.body.length} brotli bytes (baseline)`, wrkBaseBr, wrkBaseBr),
    row('cached listing, `Accept-Encoding: br, gzip`', wrkCachedBr, wrkBaseBr),
    '',
    `**${fmt(headline.identity, 2)}×** the bare server's throughput (identity) and **${fmt(headline.br, 2)}×** (brotli), goal ≥ 0.5×.`,
    'Where the microseconds go, before and after the work on this path: "Read-path stages" below.',
    '',
    'The rows that follow are the earlier autocannon measurements, kept for continuity: autocannon is itself the',
    'bottleneck near these rates, which flatters every server against the bare one.',
    '',
    `${SECONDS} s per row after a 2 s warm-up, 20 connections, autocannon in the benchmark process and each server in its own;`,
    'the API in production mode with helmet, CORS, request ids, the JSON access log (to a file), metrics, the Redis rate',
    'limiter (limit raised so nothing is rejected) and the cache. The baseline and cached-listing rows are medians of',
    `${PAIR_ROUNDS} alternating ${PAIR_SECONDS}-second rounds. BTC has ${btcPoints} stored points. "% of baseline" is throughput relative to`,
    'the bare server measured in this run. "Uncached" rows run against a second API whose Redis is away: nothing is',
    'cached and each answer is computed from PostgreSQL, concurrent identical requests sharing one query (single-flight).',
    '',
    '| what | req/s | p50 ms | p99 ms | % of baseline req/s | p99 vs baseline | errors |',
    '|---|---|---|---|---|---|---|',
    ...results.map(([name, m]) => row(name, m, baseline)),
    '',
    'The same pair at 50 connections (more requests in flight, so each rate-limiter round trip to Redis carries more of them):',
    '',
    '| what | req/s | p50 ms | p99 ms | % of baseline req/s | p99 vs baseline | errors |',
    '|---|---|---|---|---|---|---|',
    row('bare node:http (baseline), 50 connections', baseline50, baseline50),
    row('cached listing, 50 connections', cached50, baseline50),
    '',
    `Cached listing keeps **${fmt((cached.rps / baseline.rps) * 100, 0)}%** of the bare node:http throughput at 20 connections and`,
    `**${fmt((cached50.rps / baseline50.rps) * 100, 0)}%** at 50 (target ≥ 50%).`,
    '',
  );
}

async function compressionSection(database: TTestDatabase): Promise<void> {
  log('compression …');
  const api = await startApi(database);
  const wire = await Promise.all(
    [undefined, 'gzip', 'br'].map((accept) => rawGet(`${api}${LISTING}`, accept)),
  );
  const [identity, gzip, br] = wire as [(typeof wire)[0], (typeof wire)[0], (typeof wire)[0]];
  if (br.encoding !== 'br' || gzip.encoding !== 'gzip')
    throw new Error('the API did not compress the listing');
  const bareIdentity = await startBareServerWith(identity.body);
  const bareBr = await startBareServerWith(br.body, 'br');
  const accept = { 'Accept-Encoding': 'br, gzip' };
  // In turns, medians of the rounds; wrk rather than autocannon, which would be the bottleneck on binary bodies.
  const targets: [string, Record<string, string>][] = [
    [`http://127.0.0.1:${bareIdentity}/`, {}],
    [`${api}${LISTING}`, {}],
    [`http://127.0.0.1:${bareBr}/`, accept],
    [`${api}${LISTING}`, accept],
  ];
  const runs: TMeasure[][] = targets.map(() => []);
  const cannonRuns: TMeasure[][] = targets.map(() => []);
  for (let round = 0; round < PAIR_ROUNDS; round += 1) {
    for (const [index, [url, headers]] of targets.entries()) {
      runs[index]!.push(measureWrk(url, { seconds: PAIR_SECONDS, connections: 20, headers }));
      cannonRuns[index]!.push(await measure(url, { seconds: PAIR_SECONDS, connections: 20, headers }));
    }
  }
  const [baseIdentity, apiIdentity, baseBr, apiBr] = runs.map(medianOf) as [
    TMeasure,
    TMeasure,
    TMeasure,
    TMeasure,
  ];
  const [cannonBaseIdentity, cannonIdentity, cannonBaseBr, cannonBr] = cannonRuns.map(medianOf) as [
    TMeasure,
    TMeasure,
    TMeasure,
    TMeasure,
  ];
  const kb = (bytes: number) => `${fmt(bytes / 1024, 1)} KiB`;
  const pct = (bytes: number) => `${fmt((bytes / identity.body.length) * 100, 0)}%`;
  lines.push(
    '## Compression',
    '',
    `The cached listing \`?limit=100\` (${wire.length} forms of the same JSON, each compressed once when the entry is cached:`,
    'brotli quality 5, gzip level 6; a hit sends the stored bytes):',
    '',
    '| Accept-Encoding | Content-Encoding | bytes on the wire | of identity |',
    '|---|---|---|---|',
    `| (none) | identity | ${identity.body.length.toLocaleString('en')} (${kb(identity.body.length)}) | 100% |`,
    `| \`gzip\` | gzip | ${gzip.body.length.toLocaleString('en')} (${kb(gzip.body.length)}) | ${pct(gzip.body.length)} |`,
    `| \`br, gzip\` | br | ${br.body.length.toLocaleString('en')} (${kb(br.body.length)}) | ${pct(br.body.length)} |`,
    '',
    `Throughput at 20 connections with wrk (one thread), medians of ${PAIR_ROUNDS} rounds of ${PAIR_SECONDS} s taken in turns; each`,
    'baseline is a bare node:http server sending the same bytes (for brotli with the same `Content-Encoding` and `Vary`).',
    'wrk drives this table: autocannon decodes every body chunk into a string, so on compressed bytes it is itself the',
    'bottleneck (about 6,500 req/s for any server); its figures follow for comparison with the read path above.',
    '',
    '| what | req/s | p50 ms | p99 ms | % of baseline req/s | p99 vs baseline | errors |',
    '|---|---|---|---|---|---|---|',
    row('bare node:http, identity bytes (baseline)', baseIdentity, baseIdentity),
    row('cached listing, identity', apiIdentity, baseIdentity),
    row('bare node:http, the same brotli bytes (baseline)', baseBr, baseBr),
    row('cached listing, `Accept-Encoding: br, gzip`', apiBr, baseBr),
    '',
    "The same four servers with autocannon (the read path's client), in the same rounds:",
    '',
    '| what | req/s | p50 ms | p99 ms | % of baseline req/s | p99 vs baseline | errors |',
    '|---|---|---|---|---|---|---|',
    row('bare node:http, identity bytes (baseline)', cannonBaseIdentity, cannonBaseIdentity),
    row('cached listing, identity', cannonIdentity, cannonBaseIdentity),
    row('bare node:http, the same brotli bytes (baseline)', cannonBaseBr, cannonBaseBr),
    row('cached listing, `Accept-Encoding: br, gzip`', cannonBr, cannonBaseBr),
    '',
    `Compressed cached listing against the bare server sending the same brotli bytes: **${fmt(apiBr.rps / baseBr.rps, 2)}×** with wrk,`,
    `${fmt(cannonBr.rps / cannonBaseBr.rps, 2)}× with autocannon (goal ≥ 0.6×). Identity: **${fmt(apiIdentity.rps / baseIdentity.rps, 2)}×** with wrk,`,
    `${fmt(cannonIdentity.rps / cannonBaseIdentity.rps, 2)}× with autocannon (0.53× in the last full run before compression, autocannon).`,
    'The autocannon ratios flatter the API: there the bare server is held back by the client (it decodes binary bodies);',
    'wrk shows what each server costs. On this 2-core machine wrk takes one core, and the API shares the other with Redis.',
    '',
  );
}

const MEASURED_POINTS = 2000;

/**
 * Fills price_history to `rows` hourly points: BTC (the coin the history rows measure) always gets
 * MEASURED_POINTS, the other coins share the rest, so only the table size changes between sizes.
 */
async function fillHistory(database: TTestDatabase, rows: number): Promise<void> {
  await database.db.query('TRUNCATE price_history');
  const [{ n: others }] = await database.db.query(
    `SELECT count(*)::int AS n FROM cryptocurrencies WHERE symbol <> 'BTC'`,
  );
  const perCoin = Math.ceil((rows - MEASURED_POINTS) / others);
  await database.db.query(
    `INSERT INTO price_history (cryptocurrency_id, "timestamp", price, market_cap, total_volume)
     SELECT c.id, timestamp '2025-06-08' - make_interval(hours => g), COALESCE(c.current_price, 1) * (1 + 0.05 * sin(g / 24.0)), c.market_cap, c.total_volume
     FROM cryptocurrencies c CROSS JOIN LATERAL generate_series(0, CASE WHEN c.symbol = 'BTC' THEN $2::int ELSE $1::int END - 1) AS g`,
    [perCoin, MEASURED_POINTS],
  );
  await database.db.query('ANALYZE price_history');
}

async function scale(database: TTestDatabase): Promise<void> {
  log('scale …');
  const uncached = await startApi(database, {
    REDIS_URL: 'redis://127.0.0.1:1',
    CACHE_REDIS_URL: 'redis://127.0.0.1:1',
  });
  const out: string[] = [];
  let base: Record<string, TMeasure> | undefined;
  for (const rows of [10_000, 100_000, 1_000_000]) {
    await fillHistory(database, rows);
    const [{ n }] = await database.db.query('SELECT count(*)::int AS n FROM price_history');
    const results: Record<string, TMeasure> = {
      listing: await measure(`${uncached}/api/v1/cryptocurrencies/?limit=100`, { seconds: SECONDS }),
      history100: await measure(`${uncached}/api/v1/cryptocurrencies/BTC/history?limit=100`, {
        seconds: SECONDS,
      }),
      history1000: await measure(`${uncached}/api/v1/cryptocurrencies/BTC/history?limit=1000`, {
        seconds: SECONDS,
      }),
    };
    base ??= results;
    const rel = (key: string) => fmt(results[key]!.mean / base![key]!.mean, 2);
    out.push(
      `| ${n.toLocaleString('en')} | ${fmt(results.listing!.mean, 2)} (${rel('listing')}×) | ${fmt(results.history100!.mean, 2)} (${rel('history100')}×) | ${fmt(results.history1000!.mean, 2)} (${rel('history1000')}×) |`,
    );
  }
  const plan = execFileSync(
    'psql',
    [
      database.url.replace(/\?.*$/, ''),
      '-Atc',
      `SET search_path=${database.schema}; EXPLAIN SELECT "timestamp", price FROM price_history WHERE cryptocurrency_id = 1 ORDER BY "timestamp" DESC LIMIT 1000`,
    ],
    { encoding: 'utf8' },
  )
    .replace(/^SET\n/, '') // psql echoes the SET command's tag before the plan
    .trim();
  lines.push(
    '## Scale: latency against the size of `price_history`',
    '',
    'Uncached requests (Redis away, so answers come from PostgreSQL; concurrent identical requests share one query).',
    'The table is filled with hourly points:',
    `BTC, the coin measured, always has ${MEASURED_POINTS} points; the other seeded coins share the rest (generated values:`,
    'they do not matter here, the row counts do). Mean latency in ms at 20 connections, and in brackets relative to the',
    '10k-row table. The listing does not read `price_history` at all; a history page reads only its own rows.',
    '',
    '| price_history rows | listing `?limit=100` | history `limit=100` | history `limit=1000` |',
    '|---|---|---|---|',
    ...out,
    '',
    'The history query plan (one index range scan, read in order, stopped by LIMIT):',
    '',
    '```',
    plan,
    '```',
    '',
  );
}

async function riskEngine(database: TTestDatabase): Promise<void> {
  log('risk …');
  // Every seeded coin gets 400 daily closes ending 2025-06-08 on top of its bundled history (generated
  // values for the coins without bundled data there), so each has a full 365-day window.
  await database.db.query('TRUNCATE price_history, market_timeline');
  await seedBundledData(database.db, { timeline: { shift_days: 0 }, now: new Date('2025-06-08T12:00:00Z') });
  await database.db.query(
    `INSERT INTO price_history (cryptocurrency_id, "timestamp", price)
     SELECT c.id, timestamp '2025-06-08' - make_interval(days => g), COALESCE(c.current_price, 1) * (1 + 0.05 * sin(g / 7.0))
     FROM cryptocurrencies c CROSS JOIN generate_series(0, 399) AS g
     ON CONFLICT DO NOTHING`,
  );
  const [{ n: coins }] = await database.db.query('SELECT count(*)::int AS n FROM cryptocurrencies');
  const service = createRiskService({ risk: createRiskRepository(database.db) });
  const asOf = new Date('2025-06-08T12:00:00Z');
  const precomputeStarted = performance.now();
  const result = await service.precompute({}, asOf);
  const precomputeMs = performance.now() - precomputeStarted;

  const uncached = await startApi(database, {
    REDIS_URL: 'redis://127.0.0.1:1',
    CACHE_REDIS_URL: 'redis://127.0.0.1:1',
  });
  const oneYear = await measure(`${uncached}/api/v1/risk/BTC?to=2022-09-26&window=365&benchmark=ETH`, {
    seconds: SECONDS,
  });
  const fiveYears = await measure(`${uncached}/api/v1/risk/BTC?to=2022-09-26&window=1825&benchmark=ETH`, {
    seconds: SECONDS,
  });
  const lookup = await measure(`${uncached}/api/v1/risk/ETH?to=2025-06-08`, { seconds: SECONDS });
  lines.push(
    '## Risk engine',
    '',
    `Precomputing the default window (365 days, benchmark BTC) for all ${coins} coins, as the compute-risk job does after a`,
    `sync: **${fmt(precomputeMs, 0)} ms** in total, ${fmt(precomputeMs / coins, 1)} ms per coin (${result.computed} computed, ${result.skipped.length} skipped for`,
    'short history); the closes of every coin come from one query, then each coin is the metrics and one upsert. The top 200 would take about',
    `${fmt((precomputeMs / coins) * 200, 0)} ms at the same rate. Every coin has 400 daily closes ending 2025-06-08 for this (generated`,
    'where the bundled data has none).',
    '',
    'On-demand reports through the API (uncached: Redis away), 20 connections; baseline = the same request over one year:',
    '',
    '| what | req/s | mean ms | p99 ms | mean vs 1-year |',
    '|---|---|---|---|---|',
    `| BTC vs ETH, 365-day window (baseline) | ${fmt(oneYear.rps, 0)} | ${fmt(oneYear.mean, 2)} | ${fmt(oneYear.p99, 2)} | 1.00× |`,
    `| BTC vs ETH, 1825-day window (5 years of bundled closes) | ${fmt(fiveYears.rps, 0)} | ${fmt(fiveYears.mean, 2)} | ${fmt(fiveYears.p99, 2)} | ${fmt(fiveYears.mean / oneYear.mean, 2)}× |`,
    `| ETH default window, precomputed lookup | ${fmt(lookup.rps, 0)} | ${fmt(lookup.mean, 2)} | ${fmt(lookup.p99, 2)} | ${fmt(lookup.mean / oneYear.mean, 2)}× |`,
    '',
    ...(await rankingsRows(database, coins)),
  );
}

/** An API process of an earlier commit (a temporary git worktree sharing node_modules), on the same database. */
async function startApiAt(database: TTestDatabase, revision: string) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-before-'));
  execFileSync('git', ['worktree', 'add', '--detach', dir, revision], { cwd: ROOT, stdio: 'ignore' });
  await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  const url = await startApi(database, {}, path.relative(ROOT, path.join(dir, 'api', 'main.ts')));
  const child = children.at(-1)!;
  return {
    url,
    stop: async () => {
      children.splice(children.indexOf(child), 1);
      child.process.kill('SIGTERM');
      await child.exited;
      execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: ROOT, stdio: 'ignore' });
    },
  };
}

/** Milliseconds per request of `paths`, one at a time (each a new day: no cache can answer it). */
async function msPerRequest(base: string, paths: string[]): Promise<{ mean: number; max: number }> {
  const times: number[] = [];
  for (const requestPath of paths) {
    const started = performance.now();
    const response = await fetch(`${base}${requestPath}`);
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${requestPath}: ${response.status}`);
    times.push(performance.now() - started);
  }
  return { mean: times.reduce((sum, time) => sum + time, 0) / times.length, max: Math.max(...times) };
}

/** GET /risk/rankings for a day other than today: per coin (before) against one query per day (this checkout). */
async function rankingsRows(database: TTestDatabase, coins: number): Promise<string[]> {
  const revision = values['rankings-before']!;
  const days = (count: number, offset: number) =>
    Array.from({ length: count }, (_, index) =>
      new Date(Date.UTC(2025, 4, 31) - (offset + index) * 86_400_000).toISOString().slice(0, 10),
    );
  const ranking = (day: string, sort = 'risk_score') => `/api/v1/risk/rankings?to=${day}&sort_by=${sort}`;
  const before = await startApiAt(database, revision);
  let perCoin: { mean: number; max: number };
  try {
    perCoin = await msPerRequest(
      before.url,
      days(values.quick ? 3 : 10, 0).map((day) => ranking(day)),
    );
  } finally {
    await before.stop();
  }
  const after = await startApi(database);
  const fresh = days(values.quick ? 10 : 30, 100);
  const batched = await msPerRequest(
    after,
    fresh.map((day) => ranking(day)),
  );
  // The same days sorted another way: another URL (a response-cache miss), the day's figures already kept.
  const kept = await msPerRequest(
    after,
    fresh.map((day) => ranking(day, 'volatility_annualized')),
  );
  return [
    `Rankings for a day other than today (\`GET /api/v1/risk/rankings?to=…\`, ${coins} coins, each request a new day so`,
    'no cache can answer it), one request at a time through the API. Before: the API at',
    `${revision}, which computed each coin's report (a few queries each) and wrote it over the coin's precomputed row.`,
    'After: one query of every coin’s closes for the day, the figures computed once and kept in the cache store.',
    '',
    '| rankings request | ms per request (mean) | max ms | vs before |',
    '|---|---|---|---|',
    `| before: every coin's report, per request (${revision}) | ${fmt(perCoin.mean, 0)} | ${fmt(perCoin.max, 0)} | 1.00× |`,
    `| after: a new day (one query, the figures computed) | ${fmt(batched.mean, 1)} | ${fmt(batched.max, 0)} | ${fmt(batched.mean / perCoin.mean, 3)}× |`,
    `| after: a day already computed, another sort order | ${fmt(kept.mean, 1)} | ${fmt(kept.max, 0)} | ${fmt(kept.mean / perCoin.mean, 3)}× |`,
    '',
  ];
}

async function writePath(database: TTestDatabase): Promise<void> {
  log('write path …');
  await database.db.query('TRUNCATE price_history');
  const coins: { id: number }[] = await database.db.query(
    'SELECT id FROM cryptocurrencies ORDER BY id LIMIT 100',
  );
  const rows = values.quick ? 50_000 : 200_000;
  const points: THistoryInsert[] = [];
  for (let i = 0; points.length < rows; i += 1) {
    for (const coin of coins) {
      points.push({
        cryptocurrency_id: coin.id,
        timestamp: new Date(Date.UTC(2020, 0, 1) + i * 3_600_000),
        price: 100 + (i % 97),
        market_cap: 1e9 + i,
        total_volume: 1e7 + i,
      });
      if (points.length === rows) break;
    }
  }
  const timeIt = async (work: () => Promise<unknown>) => {
    await database.db.query('TRUNCATE price_history');
    const started = performance.now();
    await work();
    return (performance.now() - started) / 1000;
  };
  const copy = async () => {
    const runner = database.db.createQueryRunner();
    await runner.connect();
    const client = (await runner.connect()) as PoolClient;
    try {
      const text = points
        .map(
          (p) =>
            `${p.cryptocurrency_id}\t${p.timestamp.toISOString()}\t${p.price}\t${p.market_cap}\t${p.total_volume}\n`,
        )
        .join('');
      await pipeline(
        Readable.from([text]),
        client.query(
          copyFrom(
            'COPY price_history (cryptocurrency_id, "timestamp", price, market_cap, total_volume) FROM STDIN',
          ),
        ),
      );
    } finally {
      await runner.release();
    }
  };
  const copySeconds = await timeIt(copy);
  const upsertSeconds = await timeIt(() => upsertHistory(database.db, points));
  const rerunStarted = performance.now();
  await upsertHistory(database.db, points); // every row conflicts: the idempotent re-run path
  const rerunSeconds = (performance.now() - rerunStarted) / 1000;

  // One full top-250 sync through the CoinGecko adapter against the local replaying server.
  const server = await startProviderServer();
  const recorded = (await (
    await fetch(`${server.coingeckoUrl}/coins/markets?per_page=100&page=1`)
  ).json()) as Record<string, unknown>[];
  const top250 = Array.from({ length: 250 }, (_, index) => {
    const coin = recorded[index % 100]!;
    const copyNumber = Math.floor(index / 100);
    return copyNumber
      ? {
          ...coin,
          id: `${coin.id}-copy${copyNumber}`,
          symbol: `${coin.symbol}${copyNumber}`,
          market_cap_rank: index + 1,
        }
      : coin;
  });
  const syncConfig = testConfig({
    MARKET_DATA_PROVIDER: 'coingecko',
    COINGECKO_BASE_URL: server.coingeckoUrl,
    LOG_LEVEL: 'silent',
  });
  const redis = createCacheRedis(syncConfig.CACHE_REDIS);
  const providers = createProviderChain({
    config: syncConfig,
    logger: createLogger({ level: 'silent', name: 'bench' }),
  });
  const syncTimes: number[] = [];
  for (let run = 0; run < 5; run += 1) {
    server.script('/api/v3/coins/markets', { body: top250 });
    const started = performance.now();
    const result = await syncMarkets(
      {
        db: database.db,
        providers,
        invalidateCache: () => invalidateMarketCache(redis, syncConfig.REDIS_KEY_PREFIX),
      },
      { limit: 250, as_of: new Date(Date.UTC(2026, 0, 1, 0, run * 5)).toISOString() },
    );
    syncTimes.push(performance.now() - started);
    if (result.coins_upserted !== 250) throw new Error(`sync upserted ${result.coins_upserted}`);
  }
  redis.disconnect();
  await server.close();
  syncTimes.sort((a, b) => a - b);

  lines.push(
    '## Write path',
    '',
    `${rows.toLocaleString('en')} history rows (100 coins), into an empty \`price_history\` each time.`,
    '',
    '| path | seconds | rows/s | relative to COPY |',
    '|---|---|---|---|',
    `| \`COPY … FROM STDIN\` (baseline) | ${fmt(copySeconds, 2)} | ${fmt(rows / copySeconds, 0)} | 1.00× |`,
    `| \`upsertHistory\` (INSERT … SELECT unnest(arrays) ON CONFLICT, 5,000-row chunks) | ${fmt(upsertSeconds, 2)} | ${fmt(rows / upsertSeconds, 0)} | ${fmt(copySeconds / upsertSeconds, 2)}× |`,
    `| \`upsertHistory\` again, every row a conflict (idempotent re-run) | ${fmt(rerunSeconds, 2)} | ${fmt(rows / rerunSeconds, 0)} | ${fmt(copySeconds / rerunSeconds, 2)}× |`,
    '',
    `Full top-250 sync (CoinGecko adapter against the local replaying server, zod validation, one transaction with the`,
    `bulk coin upsert and 250 history points, cache invalidation): median **${fmt(syncTimes[2]!, 0)} ms** of 5 runs`,
    `(min ${fmt(syncTimes[0]!, 0)}, max ${fmt(syncTimes[4]!, 0)}). The 250 coins are the 100 recorded ones and suffixed copies.`,
    '',
  );
}

const started = Date.now();
const database = await createTestDatabase(config);
try {
  await seedBundledData(database.db);
  if (values.compare) await compareWith(database, values.compare);
  if (values.stages) await stagesWith(database, values.stages);
  if (SECTIONS.has('read')) await readPath(database);
  if (SECTIONS.has('compression')) await compressionSection(database);
  if (SECTIONS.has('scale')) await scale(database);
  if (SECTIONS.has('write')) await writePath(database);
  if (SECTIONS.has('risk')) await riskEngine(database);
  if (SECTIONS.has('portfolio')) {
    lines.push(
      ...(await portfolioSection({
        database,
        log,
        quick: values.quick ?? false,
        startApi: () => startApi(database, TRADER_QUOTAS),
        startBare: async (url, headers) =>
          startBareServerWith(
            Buffer.from(
              await (
                await fetch(url, { headers: { ...headers, 'Accept-Encoding': 'identity' } })
              ).arrayBuffer(),
            ),
          ),
        measure: (url, headers, options = {}) => measure(url, { seconds: SECONDS, headers, ...options }),
      })),
    );
  }
  if (SECTIONS.has('tracing')) {
    lines.push(
      ...(await tracingSection({
        log,
        rounds: PAIR_ROUNDS,
        seconds: PAIR_SECONDS,
        listing: LISTING,
        startApi: (extra, nodeArgs) => startApi(database, extra, 'api/main.ts', nodeArgs),
        startBare: async (url) => (await startBareServer(url)).barePort,
        startScript: async (script) => {
          const port = await freePort();
          children.push(startProcess(`scripts/bench/${script}`, { PORT: String(port) }));
          await waitForStatus(`http://127.0.0.1:${port}/stats`);
          return `http://127.0.0.1:${port}`;
        },
        measure: (url, seconds) => measureWrk(url, { seconds }),
        row,
        medianOf,
      })),
    );
  }
  if (SECTIONS.has('live')) {
    const redis = new Redis(config.REDIS_URL);
    const stopChild = async (child: TChild) => {
      children.splice(children.indexOf(child), 1);
      child.process.kill('SIGTERM');
      await child.exited;
    };
    lines.push(
      ...(await liveSection({
        redis,
        keyPrefix: config.REDIS_KEY_PREFIX,
        log,
        quick: values.quick ?? false,
        startApi: async (extra) => {
          const url = await startApi(database, extra);
          const child = children.at(-1)!;
          return { url, pid: child.process.pid!, stop: () => stopChild(child) };
        },
        startBare: async (channel) => {
          const port = await freePort();
          const child = startProcess('scripts/bench/bare-ws-server.ts', {
            PORT: String(port),
            REDIS_URL: config.REDIS_URL,
            CHANNEL: channel,
          });
          children.push(child);
          await waitForStatus(`http://127.0.0.1:${port}/`);
          return { url: `http://127.0.0.1:${port}`, pid: child.process.pid!, stop: () => stopChild(child) };
        },
      })),
    );
    redis.disconnect();
  }
} finally {
  for (const child of children) child.process.kill('SIGTERM');
  await Promise.all(children.map((child) => child.exited));
  await database.drop();
}
// A comparison prints its tables; it does not rewrite the document.
if (values.compare || values.stages) process.exit(0);

const pg = execFileSync('psql', ['--version'], { encoding: 'utf8' }).trim();
const redisVersion = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).match(/v=(\S+)/)?.[1];
const header = [
  '# Benchmarks',
  '',
  'Every figure is measured against a baseline taken in the same run on the same machine, so the ratios carry over',
  'between machines better than the absolute numbers (a shared 2-core machine is noisy: rerun before comparing).',
  '',
  `Reproduce: \`npm run bench\` (about ${Math.round((Date.now() - started) / 60000)} minutes; it starts PostgreSQL and Redis, uses a private schema, and rewrites this file).`,
  '',
  `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}; Node ${process.version}; ${pg}; Redis ${redisVersion}. Run ${new Date().toISOString().slice(0, 16)}Z.`,
  '',
];
// The read-path profiling rounds are history, not re-measured on each run: they compare commits.
const PROFILE = [
  '## Read-path stages: where each microsecond goes (7d1e3b8 → this version)',
  '',
  "CPU time of each server's main thread per request of the cached listing under wrk (one thread, 20 connections),",
  'split by sampling its stacks with perf (`--perf-basic-prof`), each sample given to the first stage its innermost',
  "frames name; a stage's µs are its share of the busy samples × the measured µs per request. The bare server is the",
  'same-bytes baseline. Reproduce: `npm run bench -- --stages 7d1e3b8` (needs perf; prints these tables).',
  'Measured 2026-12-03 on the machine of the run above, before this document was regenerated.',
  '',
  'Cached listing `?limit=100`, identity:',
  '',
  '| stage | bare node:http, µs/request | before (7d1e3b8), µs/request | after (this checkout), µs/request |',
  '|---|---|---|---|',
  '| socket write (writev, TCP, wakes the client) | 11.0 | 17.1 | 13.8 |',
  '| socket read and HTTP parse (llhttp) | 4.8 | 4.8 | 2.9 |',
  '| garbage collection | 0.3 | 0.8 | 0.2 |',
  '| access log | 0.0 | 2.9 | 1.4 |',
  '| metrics (prom-client) | 0.0 | 1.5 | 1.2 |',
  '| rate limiter (lease or Redis round trip) | 0.0 | 3.8 | 0.6 |',
  '| Redis client | 0.0 | 3.2 | 0.6 |',
  '| security headers (helmet) | 0.0 | 1.6 | 0.0 |',
  '| CORS | 0.0 | 0.7 | 0.0 |',
  '| request id and log context | 0.1 | 1.6 | 0.4 |',
  '| validation (zod, remembered inputs) | 0.0 | 0.8 | 0.0 |',
  '| cache lookup and send | 0.0 | 3.4 | 0.0 |',
  '| replay (checks, headers) | 0.0 | 0.0 | 2.1 |',
  '| response headers (node:http) | 0.0 | 4.5 | 1.9 |',
  '| Express routing and req/res setup | 0.0 | 6.2 | 0.0 |',
  '| promises and microtasks | 0.0 | 5.0 | 1.3 |',
  '| node:http core and the rest | 1.1 | 2.7 | 1.4 |',
  '| **main thread, total** | **17.4** | **60.6** | **27.7** |',
  '| req/s (wrk, 20 connections) | 53522 | 15088 | 33905 |',
  '',
  'Cached listing `?limit=100`, brotli:',
  '',
  '| stage | bare node:http, µs/request | before (7d1e3b8), µs/request | after (this checkout), µs/request |',
  '|---|---|---|---|',
  '| socket write (writev, TCP, wakes the client) | 8.1 | 12.3 | 10.2 |',
  '| socket read and HTTP parse (llhttp) | 5.4 | 3.4 | 2.9 |',
  '| garbage collection | 0.2 | 1.1 | 0.3 |',
  '| access log | 0.0 | 1.9 | 1.3 |',
  '| metrics (prom-client) | 0.0 | 2.8 | 1.3 |',
  '| rate limiter (lease or Redis round trip) | 0.0 | 2.5 | 0.5 |',
  '| Redis client | 0.0 | 2.6 | 0.4 |',
  '| security headers (helmet) | 0.0 | 1.7 | 0.0 |',
  '| CORS | 0.0 | 0.4 | 0.0 |',
  '| request id and log context | 0.2 | 1.6 | 0.1 |',
  '| validation (zod, remembered inputs) | 0.0 | 2.3 | 0.0 |',
  '| replay (checks, headers) | 0.0 | 0.0 | 2.5 |',
  '| response headers (node:http) | 0.0 | 4.1 | 2.0 |',
  '| Express routing and req/res setup | 0.0 | 6.8 | 0.0 |',
  '| promises and microtasks | 0.0 | 3.1 | 1.2 |',
  '| node:http core and the rest | 1.2 | 2.8 | 1.4 |',
  '| **main thread, total** | **15.1** | **49.9** | **24.2** |',
  '| req/s (wrk, 20 connections) | 64039 | 18801 | 40086 |',
  '',
  'What changed, stage by stage:',
  '',
  '- **Express routing, validation, security headers, CORS, the cache lookup, promises** (about 21 µs before): a GET',
  '  the chain has already answered from the shared cache for an anonymous client is replayed before Express',
  '  (`api/http/replay.ts`): the recorded security and CORS headers, the cached bytes in memory, 304, the same',
  "  metrics and access line; a test compares each replayed answer with the chain's, header by header.",
  '- **Rate limiter and Redis client** (about 6 µs before): busy keys lease counts ahead (at most 256, 1/32 of the',
  '  budget), renewed in the background; no window admits more than its limit, a client on R replicas can be',
  '  refused up to (R − 1) × the lease early. The data version comes from a pub/sub announcement, re-read every second.',
  '- **Access log** (2.9 → 1.4 µs): the access logger composes its line itself, the bytes pino would write (tested).',
  '- **Response headers** (4.5 → 1.9 µs): one `writeHead` with a flat list, the headers that follow from an entry made',
  '  once per entry; no `setHeader` per header.',
  '- **Socket write**: the same bytes; it costs the API more than the bare server because waking a client that waits',
  '  costs the writer, and a slower server finds its client waiting more often.',
  '',
  '## Read-path profiling: what was removed, before and after',
  '',
  'CPU profiles (`node --cpu-prof`), per-thread CPU time from `/proc` and Redis `INFO commandstats` of the API under',
  'the cached-listing load (20 connections), in two rounds.',
  '',
  '### Round 2: 9f448d3 → 7d1e3b8',
  '',
  '`npm run bench -- --compare 9f448d3` runs both versions side by side on the same database and Redis, with the bare',
  'node:http server, the cached listing measured in turns (7 rounds of 5 s each, medians):',
  '',
  '| cached listing `?limit=100`, 20 connections | before (9f448d3) | after |',
  '|---|---|---|',
  '| req/s | 10,625 | 13,617 (1.28×) |',
  '| % of bare node:http (21,512 req/s in the same run) | 49% | 63% |',
  '| p99 | 5 ms | 3 ms |',
  '',
  'What the profiles showed and what changed:',
  '',
  '- The rate limiter made one Redis script call per request. On this machine a loopback round trip costs more CPU than',
  '  the Lua it runs (each write wakes Redis, which then competes for the same two cores). Requests now share calls: while',
  '  one call is in flight, new hits wait and go out together in the next one, one `INCRBY` per key for all of them',
  '  (`api/http/redis-window-counter.ts`). Counts stay exact across replicas; at 20 connections a call carries about',
  '  9 requests (15,054 calls for ~133,000 requests), and an idle API still sends a lone hit at once.',
  '- Validation: the parsed input of a URL already seen is reused (deep-frozen, bounded per route); the query-string',
  '  parse and zod ran on every request before.',
  '- Security headers: JSON responses carry the OWASP API set (a CSP that lets nothing render, framing denied,',
  "  nosniff, HSTS, CORP, no referrer) instead of helmet's HTML document set, which stays on `/docs`: five headers",
  '  fewer to validate and write per response.',
  '- Access log: sonic-boom in string mode measured the whole pending buffer on every line; buffer mode, 32 KiB writes',
  '  and the ISO time formatted once per millisecond halve its cost. (It also gained a one-second periodic flush: a',
  '  quiet API held its lines until 4 KiB had gathered.)',
  '- The sync route sits on the API router instead of a sub-router every listing request went into and out of; CORS',
  '  exposed headers are joined once; the duration histogram is observed without a timer closure.',
  '',
  'What is left: writing the response to the socket (the same work the bare server does), the batched Redis round trip',
  '(the wake-up of Redis on a shared 2-core machine), Express routing and header validation, pino.',
  '',
  '### Round 1: 81c171b → 335a8da',
  '',
  'The same `npm run bench -- --quick` read-path rows at both commits, each against its own bare node:http baseline:',
  '',
  '| cached listing `?limit=100` | before | after |',
  '|---|---|---|',
  '| req/s (% of bare node:http in the same run) | 2,324 (11%) | 9,976 (45%) |',
  '| p99 | 25 ms | 5.5 ms |',
  '',
  '- The API process was mostly idle waiting for Redis: every request moved the 82 KB cached body out of Redis (inside a',
  '  Lua script, then decoded to a string and re-encoded for the socket). Now each process keeps recent entries in memory',
  '  (`CACHE_MEMORY_MB`), tagged with the market-data version they were computed under; the version is read in the rate',
  "  limiter's Redis round trip, so a cache hit costs no extra round trip and invalidation stays global. Redis entries",
  '  are fetched as Buffers with a plain pipeline (no Lua) and written to the socket as they are.',
  '- Scripts are sent with EVALSHA (`defineCommand`) instead of their full text on every request.',
  '- The access log got its own logger without redaction paths (it only logs fields we choose) and an asynchronous',
  '  destination. Application logs keep redaction.',
  '- The API router is matched first and the shutdown header moved into the request-context middleware.',
  '',
];
// Only a full run rewrites docs/benchmarks.md; some sections alone go to --out or the terminal.
const document = `${[...header, ...lines, ...(values.section ? [] : PROFILE)].join('\n')}\n`;
const target = values.out ?? (values.section ? undefined : path.join(ROOT, 'docs', 'benchmarks.md'));
if (target) {
  await writeFile(target, document);
  log(`wrote ${path.relative(process.cwd(), target)}`);
} else {
  log(document);
}
process.exit(0);
