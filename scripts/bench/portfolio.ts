// The portfolio rows of docs/benchmarks.md: a 10,000-transaction, 5-year, 50-coin portfolio computed by the
// service against the time to read its inputs from PostgreSQL, the CSV import against a bulk insert, and
// the cached holdings through the API against a bare server sending the same bytes.
import { createAuditService } from '../../core/audit/index.ts';
import { createUserAdminService } from '../../core/auth/index.ts';
import { createPriceReader } from '../../core/market/index.ts';
import { ROLE_PERMISSIONS, type TActor } from '../../core/platform/access/index.ts';
import { addDays, createPortfoliosService } from '../../core/portfolios/index.ts';
import type { TTestDatabase } from '../../test/db.ts';
import {
  generateHistory,
  genericCsv,
  genericRows,
  storeHistoryPrices,
} from '../../test/portfolio-history.ts';
import type { TMeasure } from './http-bench.ts';

type TDeps = {
  database: TTestDatabase;
  log: (text: string) => void;
  /** The API (production mode) on this database; returns its base URL. */
  startApi: () => Promise<string>;
  /** A bare node:http server sending the bytes `url` answers with these headers; returns its port. */
  startBare: (url: string, headers: Record<string, string>) => Promise<number>;
  measure: (
    url: string,
    headers: Record<string, string>,
    options?: { connections?: number; method?: 'GET' | 'POST'; body?: string },
  ) => Promise<TMeasure>;
  quick: boolean;
};

const fmt = (value: number, digits = 1) => value.toFixed(digits);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The Authorization header of a signed-in user of the API at `url`. */
async function bearer(url: string, email: string, password: string): Promise<{ Authorization: string }> {
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const { access_token: token } = (await login.json()) as { access_token: string };
  return { Authorization: `Bearer ${token}` };
}

async function timed(runs: number, work: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  return median(times);
}

/** A trader to act as in the benchmarks (a user row and its actor). */
export async function benchTrader(db: TTestDatabase['db']): Promise<TActor> {
  const [{ id: userId }] = await db.query(
    `INSERT INTO users (email, display_name, role, password_hash) VALUES ('bench@example.com', 'Bench', 'trader', 'x') RETURNING id`,
  );
  return {
    kind: 'user',
    userId,
    role: 'trader',
    sessionId: 'bench',
    ip: '127.0.0.1',
    permissions: new Set(ROLE_PERMISSIONS.trader),
  };
}

/** The four limits of the pre-trade rows: every coin's weight, one coin's value, the 50-coin VaR, HHI. */
const preTradeLimits = (symbols: string[]) => ({
  limits: [
    { type: 'max_position_weight', value: '0.2' },
    { type: 'max_position_value', symbol: symbols[0], value: '1000000' },
    { type: 'max_var_95', value: '0.1' },
    { type: 'max_hhi', value: '0.3' },
  ],
});

/** The benchmark's portfolio: 50 coins, 10,000 transactions over 1826 days ending yesterday (a trade later today would be in the future). */
function benchHistory() {
  const today = new Date().toISOString().slice(0, 10);
  const days = 1826;
  const history = generateHistory({
    seed: 11,
    coins: 50,
    days,
    transactions: 10_000,
    cashTracking: false,
    from: addDays(today, -days),
  });
  return { today, days, history };
}

/**
 * For `npm run bench -- --compare REV`: the benchmark's portfolio (50 coins, 10,000 transactions, the
 * four limits) owned by a user who signs in at `url`, and what the pre-trade row asks (paths, so any API
 * on the same database and secret answers them).
 */
export async function preTradeFixture(db: TTestDatabase['db'], url: string) {
  const { history } = benchHistory();
  await storeHistoryPrices(db, history);
  const email = 'bench-compare@example.com';
  const password = 'benchmark passphrase 1';
  const owner = await createUserAdminService({ db, audit: createAuditService({ db }) }).createBySystem(
    { email, password, role: 'trader', display_name: 'Bench' },
    'bench',
  );
  const actor: TActor = {
    kind: 'user',
    userId: owner.id,
    role: 'trader',
    sessionId: 'bench',
    ip: '127.0.0.1',
    permissions: new Set(ROLE_PERMISSIONS.trader),
  };
  const service = createPortfoliosService({ db });
  const portfolio = await service.create(actor, {
    cost_basis_method: 'fifo',
    fees_in_cost_basis: true,
    cash_tracking: false,
    allow_negative: false,
    name: 'compare',
  });
  await service.importCsv(actor, portfolio.id, {
    format: 'generic',
    csv: genericCsv(history, 'bench'),
    dryRun: false,
  });
  const headers = await bearer(url, email, password);
  const base = `/api/v1/portfolios/${portfolio.id}`;
  const limits = await fetch(`${url}${base}/limits`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(preTradeLimits(history.symbols)),
  });
  if (limits.status !== 200) throw new Error(`PUT limits: ${limits.status} ${await limits.text()}`);
  return {
    holdings: `${base}/holdings`,
    preTrade: `${base}/pre-trade-check`,
    headers,
    order: JSON.stringify({ symbol: history.symbols[1], side: 'buy', quantity: '1' }),
  };
}

export async function portfolioSection(deps: TDeps): Promise<string[]> {
  const { database, log } = deps;
  const db = database.db;
  log('portfolio …');
  const { today, days, history } = benchHistory();
  await storeHistoryPrices(db, history);
  const actor = await benchTrader(db);
  const service = createPortfoliosService({ db });
  const settings = {
    cost_basis_method: 'fifo',
    fees_in_cost_basis: true,
    cash_tracking: false,
    allow_negative: false,
  } as const;
  const rows = genericRows(history, 'bench');
  const csv = genericCsv(history, 'bench');

  // Import: the whole pipeline (parse, validate every row, check symbols, insert, re-run the ledger) against
  // one bulk INSERT … SELECT unnest of the same rows into a fresh portfolio.
  const runs = deps.quick ? 1 : 3;
  const importMs = await timed(runs, async () => {
    const portfolio = await service.create(actor, { ...settings, name: 'import' });
    await service.importCsv(actor, portfolio.id, { format: 'generic', csv, dryRun: false });
  });
  const bulkMs = await timed(runs, async () => {
    const portfolio = await service.create(actor, { ...settings, name: 'bulk' });
    const column = (index: number) => rows.map((row) => row[index] || null);
    await db.query(
      `INSERT INTO portfolio_transactions (portfolio_id, "timestamp", type, symbol, quantity, price, fee, external_id)
       SELECT $1, * FROM unnest($2::timestamptz[], $3::text[], $4::text[], $5::numeric[], $6::numeric[], $7::numeric[], $8::text[])`,
      [portfolio.id, column(0), column(1), column(2), column(3), column(4), column(5), column(7)],
    );
  });

  const portfolio = await service.create(actor, { ...settings, name: 'measured' });
  await service.importCsv(actor, portfolio.id, { format: 'generic', csv, dryRun: false });
  const prices = createPriceReader(db);
  const computeRuns = deps.quick ? 3 : 7;
  // The inputs alone: the portfolio's transactions and the daily closes of its coins over its whole range.
  const readMs = await timed(computeRuns, async () => {
    await db.query(
      `SELECT id, sequence, type, symbol, trim_scale(quantity)::text, trim_scale(price)::text, trim_scale(fee)::text, "timestamp", notes, external_id, lot_ids
       FROM portfolio_transactions WHERE portfolio_id = $1 ORDER BY "timestamp", sequence`,
      [portfolio.id],
    );
    await prices.dailyCloses([...history.symbols, 'BTC'], addDays(history.from, -1), today);
  });
  const holdingsMs = await timed(computeRuns, () => service.holdings(actor, portfolio.id));
  const performanceMs = await timed(computeRuns, () =>
    service.performance(actor, portfolio.id, { range: 'all', benchmark: history.symbols[0]! }),
  );
  const riskMs = await timed(computeRuns, () =>
    service.risk(actor, portfolio.id, { window: 365, benchmark: history.symbols[0]!, risk_free_rate: 0 }),
  );
  const ratio = (ms: number) => `${fmt(ms / readMs, 2)}×`;

  // Cached holdings through the API: a private answer, per caller, served from the cache.
  const url = await deps.startApi();
  const email = 'bench-http@example.com';
  const password = 'benchmark passphrase 1';
  const owner = await createUserAdminService({ db, audit: createAuditService({ db }) }).createBySystem(
    { email, password, role: 'trader', display_name: 'Bench' },
    'bench',
  );
  const headers = await bearer(url, email, password);
  await db.query('UPDATE portfolios SET owner_id = $1 WHERE id = $2', [owner.id, portfolio.id]);
  const holdingsUrl = `${url}/api/v1/portfolios/${portfolio.id}/holdings`;
  await fetch(holdingsUrl, { headers });
  const barePort = await deps.startBare(holdingsUrl, headers);
  const bare = await deps.measure(`http://127.0.0.1:${barePort}/`, {});
  const cached = await deps.measure(holdingsUrl, headers);

  // The pre-trade check (a POST, never cached) with four limits, one request at a time, against one
  // cached holdings read at a time.
  const limits = await fetch(`${url}/api/v1/portfolios/${portfolio.id}/limits`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(preTradeLimits(history.symbols)),
  });
  if (limits.status !== 200) throw new Error(`PUT limits: ${limits.status} ${await limits.text()}`);
  const order = JSON.stringify({ symbol: history.symbols[1], side: 'buy', quantity: '1' });
  const preTradeUrl = `${url}/api/v1/portfolios/${portfolio.id}/pre-trade-check`;
  const probe = await fetch(preTradeUrl, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: order,
  });
  if (probe.status !== 200) throw new Error(`pre-trade check: ${probe.status} ${await probe.text()}`);
  const holdingsOne = await deps.measure(holdingsUrl, headers, { connections: 1 });
  const preTrade = await deps.measure(
    preTradeUrl,
    { ...headers, 'content-type': 'application/json' },
    { connections: 1, method: 'POST', body: order },
  );

  const perSecond = (ms: number) => fmt((rows.length / ms) * 1000, 0);
  return [
    '## Portfolios',
    '',
    `A portfolio of ${history.transactions.length.toLocaleString('en')} transactions over 5 years (${days} days) across 50 coins`,
    `(generated by \`test/portfolio-history.ts\`, seed 11: buys, sells, income, transfers), with ${days} daily closes per coin.`,
    `Each computation is the service call (median of ${computeRuns} runs), against the time to read its inputs from`,
    `PostgreSQL in the same run: the transactions and the daily closes of its coins over the whole range (**${fmt(readMs, 0)} ms**).`,
    'Target: at most 3× the read.',
    '',
    '| what | ms | vs reading the inputs |',
    '|---|---|---|',
    `| read the inputs (baseline) | ${fmt(readMs, 0)} | 1.00× |`,
    `| holdings (every lot, current prices) | ${fmt(holdingsMs, 0)} | ${ratio(holdingsMs)} |`,
    `| performance, range all (${days} days of valuation, TWR, XIRR, benchmark) | ${fmt(performanceMs, 0)} | ${ratio(performanceMs)} |`,
    `| risk, 365-day window (metrics, concentration, 50 × 50 correlations) | ${fmt(riskMs, 0)} | ${ratio(riskMs)} |`,
    '',
    `Import of the same ${rows.length.toLocaleString('en')} rows as CSV (parse, validate, check symbols, insert, re-run the ledger; median of ${runs}):`,
    '',
    '| what | ms | rows/s | vs bulk insert |',
    '|---|---|---|---|',
    `| bulk \`INSERT … SELECT unnest\` of the rows (baseline) | ${fmt(bulkMs, 0)} | ${perSecond(bulkMs)} | 1.00× |`,
    `| \`POST …/transactions/import?format=generic\` (service) | ${fmt(importMs, 0)} | ${perSecond(importMs)} | ${fmt(importMs / bulkMs, 2)}× the time |`,
    '',
    "Cached holdings through the API (a private answer, per caller, retired by the portfolio's writes and new market data),",
    '20 connections, against a bare node:http server sending the same bytes:',
    '',
    '| what | req/s | p99 ms | % of baseline |',
    '|---|---|---|---|',
    `| bare node:http, same body (baseline) | ${fmt(bare.rps, 0)} | ${fmt(bare.p99, 2)} | 100% |`,
    `| \`GET …/holdings\`, cache hit, bearer token | ${fmt(cached.rps, 0)} | ${fmt(cached.p99, 2)} | ${fmt((cached.rps / bare.rps) * 100, 0)}% |`,
    '',
    'The pre-trade check of a buy on that portfolio with four limits (position weight of every coin, one coin’s value,',
    '1-day 95 % VaR of the 50-coin weights over 365 days of closes, HHI), one request at a time, against one cached',
    'holdings read at a time in the same run:',
    '',
    '| what | req/s | p50 ms | p99 ms | mean ms | vs cached holdings (mean) |',
    '|---|---|---|---|---|---|',
    `| \`GET …/holdings\`, cache hit (baseline) | ${fmt(holdingsOne.rps, 0)} | ${fmt(holdingsOne.p50, 2)} | ${fmt(holdingsOne.p99, 2)} | ${fmt(holdingsOne.mean, 2)} | 1.00× |`,
    `| \`POST …/pre-trade-check\` | ${fmt(preTrade.rps, 0)} | ${fmt(preTrade.p50, 2)} | ${fmt(preTrade.p99, 2)} | ${fmt(preTrade.mean, 2)} | ${fmt(preTrade.mean / holdingsOne.mean, 2)}× |`,
    '',
  ];
}
