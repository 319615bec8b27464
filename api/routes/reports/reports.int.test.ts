import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import { COST_BASIS_METHODS, addDays, dec } from '../../../core/portfolios/index.ts';
import { createPostgresReportStore, formatAmount } from '../../../core/reports/index.ts';
import { startTestApi, type TTestApi } from '../../../test/api-server.ts';
import { createApiKey, sendJson, signIn, type TSignedIn } from '../../../test/auth.ts';
import { testConfig } from '../../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../../test/db.ts';
import { withContext } from '../../../test/expect-context.ts';
import { request } from '../../../test/openapi-conformance.ts';
import { generateHistory, genericCsv, type TGeneratedHistory } from '../../../test/portfolio-history.ts';
import { WebhookReceiver } from '../../../test/webhook-receiver.ts';
import { startTestWorkers, waitForJob, type TTestWorkers } from '../../../test/worker-harness.ts';

// The reports feature end to end: requested over HTTP, rendered by the real worker into PostgreSQL,
// downloaded and parsed back, and compared with the API's own answers for the same portfolio.
const config = testConfig({
  RATE_LIMIT_PER_MINUTE: '100000',
  RATE_LIMIT_ROLE_QUOTAS: 'admin=100000,trader=100000,analyst=100000',
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  REPORTS_PER_USER: '6',
  REPORT_SCHEDULES_PER_USER: '3',
});
let database: TTestDatabase;
let api: TTestApi;
let workers: TTestWorkers;
let history: TGeneratedHistory;
const today = new Date().toISOString().slice(0, 10);
const BENCHMARK = 'C00';

beforeAll(async () => {
  database = await createTestDatabase(config);
  api = await startTestApi(config, database.db);
  workers = await startTestWorkers(config, database.db);
  // The history the portfolio reference check uses (core/portfolios/portfolio-reference.int.test.ts).
  history = generateHistory({ seed: 1, coins: 5, days: 700, transactions: 400, cashTracking: false, from: '2023-01-01' });
  for (const symbol of history.symbols) {
    const closes = history.closes[symbol]!;
    const [{ id }] = await database.db.query(
      `INSERT INTO cryptocurrencies (symbol, name, slug, current_price) VALUES ($1::varchar, $1::text, lower($1::text), $2::numeric) RETURNING id`,
      [symbol, closes.at(-1)![1]],
    );
    await database.db.query(
      `INSERT INTO price_history (cryptocurrency_id, "timestamp", price)
       SELECT $1, (d::date + time '23:00') AT TIME ZONE 'UTC', p FROM unnest($2::date[], $3::numeric[]) AS t(d, p)`,
      [id, closes.map(([date]) => date), closes.map(([, price]) => price)],
    );
  }
});
afterAll(async () => {
  await workers?.close();
  await api?.close();
  await database?.drop();
});

const csvOfHistory = () => genericCsv(history, 'gen');

async function portfolioOf(user: TSignedIn, method = 'fifo'): Promise<string> {
  const created = await sendJson(api.url, 'POST', '/api/v1/portfolios', { name: `Gen ${method}`, cost_basis_method: method }, user.headers);
  expect(created.status).toBe(201);
  const imported = await request(api.url, `/api/v1/portfolios/${created.body.id}/transactions/import`, {
    method: 'POST',
    headers: { ...user.headers, 'content-type': 'text/csv' },
    body: csvOfHistory(),
  });
  expect(imported.status).toBe(200);
  return created.body.id as string;
}

const ask = (user: TSignedIn, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  sendJson(api.url, 'POST', '/api/v1/reports', body, { ...user.headers, ...headers });
const get = (user: TSignedIn, path: string) => request(api.url, path, { headers: user.headers });

/** Waits for the report's job and answers its record. */
async function rendered(user: TSignedIn, id: string) {
  const { state } = await waitForJob(workers.queues, `render-report-${id}`, 60_000);
  expect(state).toBe('completed');
  const report = await get(user, `/api/v1/reports/${id}`);
  expect(report.status).toBe(200);
  return report.body;
}

async function download(user: TSignedIn, id: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${api.url}/api/v1/reports/${id}/download`, { headers: { ...user.headers, ...headers } });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

const rowsOf = (text: string): Record<string, string>[] => parse(text, { columns: true, skip_empty_lines: true });
const endOf = (day: string) => `${day}T23:59:59.999Z`;

describe('realized gains', () => {
  test('When a realized_gains CSV is made for every cost-basis method, then it equals the portfolio’s realized answer row for row', async () => {
    const user = await signIn(api, 'trader');
    for (const method of COST_BASIS_METHODS) {
      const id = await portfolioOf(user, method);
      const asked = await ask(user, { kind: 'realized_gains', format: 'csv', portfolio_id: id, from: history.from, to: history.to });
      expect(asked.status).toBe(202);
      expect(asked.body.status_url).toBe(`/api/v1/reports/${asked.body.id}`);
      const report = await rendered(user, asked.body.id);
      withContext(method, () => expect(report).toMatchObject({ status: 'ready', error: null, content_type: 'text/csv; charset=utf-8' }));
      const file = await download(user, asked.body.id);
      expect(file.status).toBe(200);
      expect(file.headers.get('etag')).toBe(`"${report.sha256}"`);
      expect(file.headers.get('content-disposition')).toBe(`attachment; filename="${report.filename}"`);
      expect(createHash('sha256').update(file.bytes).digest('hex')).toBe(report.sha256);
      expect(file.bytes.length).toBe(report.size);

      const realized = await get(user, `/api/v1/portfolios/${id}/realized?from=${history.from}&to=${endOf(history.to)}`);
      expect(realized.status).toBe(200);
      const rows = rowsOf(file.bytes.toString('utf8'));
      const disposals = realized.body.disposals as Record<string, string>[];
      withContext(`${method}: ${rows.length} rows`, () => {
        expect(disposals.length).toBeGreaterThan(20);
        expect(rows.length).toBe(disposals.length);
      });
      rows.forEach((row, index) => {
        const disposal = disposals[index]!;
        withContext(`${method} row ${index}`, () =>
          expect({
            symbol: row.symbol,
            quantity: row.quantity,
            date_acquired: row.date_acquired,
            date_sold: row.date_sold,
            proceeds: row.proceeds,
            cost_basis: row.cost_basis,
            gain: row.gain_or_loss,
          }).toEqual({
            symbol: disposal.symbol,
            quantity: disposal.quantity,
            date_acquired: disposal.acquired_at!.slice(0, 10),
            date_sold: disposal.disposed_at!.slice(0, 10),
            proceeds: disposal.proceeds,
            cost_basis: disposal.cost,
            gain: disposal.gain,
          }),
        );
      });
      const total = rows.reduce((sum, row) => sum.plus(row.gain_or_loss!), dec(0));
      withContext(method, () => expect(total.equals(dec(realized.body.totals.gain))).toBe(true));
    }
  });
});

describe('statements', () => {
  test('When a statement is made as CSV, then its ZIP’s tables match the API’s holdings, realized and performance answers', async () => {
    const user = await signIn(api, 'trader');
    const id = await portfolioOf(user);
    const from = addDays(history.from, 30);
    const asked = await ask(user, { kind: 'portfolio_statement', format: 'csv', portfolio_id: id, from, to: history.to, benchmark: BENCHMARK });
    expect(asked.status).toBe(202);
    const report = await rendered(user, asked.body.id);
    expect(report).toMatchObject({ status: 'ready', content_type: 'application/zip' });
    const file = await download(user, asked.body.id);
    expect(file.status).toBe(200);
    const folder = mkdtempSync(path.join(tmpdir(), 'statement-'));
    try {
      const zip = path.join(folder, 'statement.zip');
      await import('node:fs/promises').then((fs) => fs.writeFile(zip, file.bytes));
      execFileSync('unzip', ['-q', zip, '-d', folder]);
      const table = (name: string) => rowsOf(readFileSync(path.join(folder, name), 'utf8'));
      // The summary's value column is text: the formula guard puts an apostrophe before a leading "-"
      // (README.txt: remove one leading apostrophe to get the original text).
      const summary = Object.fromEntries(table('summary.csv').map((row) => [row.item, row.value!.replace(/^'/, '')]));

      const holdings = await get(user, `/api/v1/portfolios/${id}/holdings?at=${endOf(history.to)}`);
      const start = await get(user, `/api/v1/portfolios/${id}/holdings?at=${from}`);
      const realized = await get(user, `/api/v1/portfolios/${id}/realized?from=${from}&to=${endOf(history.to)}`);
      const performance = await get(user, `/api/v1/portfolios/${id}/performance?from=${from}&to=${history.to}&benchmark=${BENCHMARK}`);
      expect(summary.value_end).toBe(holdings.body.totals.value);
      expect(summary.value_start).toBe(start.body.totals.value);
      expect(summary.realized_gain).toBe(realized.body.totals.gain);
      expect(summary.realized_proceeds).toBe(realized.body.totals.proceeds);
      expect(Number(summary.twr)).toBeCloseTo(performance.body.twr, 12);
      expect(Number(summary.benchmark_twr)).toBeCloseTo(performance.body.benchmark.twr, 12);
      expect(summary.income).toBe(performance.body.income);
      expect(summary.fees).toBe(performance.body.fees);

      const end = table('holdings_end.csv');
      expect(end.map((row) => [row.symbol, row.quantity, row.market_value])).toEqual(
        (holdings.body.holdings as Record<string, string>[]).map((row) => [row.symbol, row.quantity, row.market_value ?? '']),
      );
      expect(table('realized_gains.csv').length).toBe(realized.body.disposals.length);
      const inPeriod = history.transactions.filter((tx) => tx.timestamp.toISOString().slice(0, 10) >= from).length;
      expect(table('transactions.csv').length).toBe(inPeriod);
      expect(table('performance_daily.csv').length).toBe(performance.body.series.length);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

/** A poppler tool (scripts/pdf-tools.sh provisions them; TEST_PDF_TOOLS is their folder). */
const poppler = (tool: string, ...args: string[]) =>
  execFileSync(process.env.TEST_PDF_TOOLS ? path.join(process.env.TEST_PDF_TOOLS, tool) : tool, args, {
    encoding: 'utf8',
  });

describe('statements as PDF', () => {
  test('When a statement is made as PDF, then pdftotext finds the API’s key figures, its fonts are embedded and every page renders', async () => {
    const user = await signIn(api, 'trader');
    const id = await portfolioOf(user);
    const from = addDays(history.from, 30);
    const asked = await ask(user, { kind: 'portfolio_statement', format: 'pdf', portfolio_id: id, from, to: history.to, benchmark: BENCHMARK });
    expect(asked.status).toBe(202);
    const report = await rendered(user, asked.body.id);
    expect(report).toMatchObject({ status: 'ready', error: null, content_type: 'application/pdf' });
    expect(report.filename).toMatch(/\.pdf$/);
    const file = await download(user, asked.body.id);
    expect(file.bytes.subarray(0, 5).toString()).toBe('%PDF-');
    const folder = mkdtempSync(path.join(tmpdir(), 'statement-pdf-'));
    try {
      const pdf = path.join(folder, 'statement.pdf');
      writeFileSync(pdf, file.bytes);
      const pages = Number(/Pages:\s+(\d+)/.exec(poppler('pdfinfo', pdf))![1]);
      expect(pages).toBeGreaterThanOrEqual(2);
      const fonts = poppler('pdffonts', pdf).split('\n').slice(2).filter((line) => line.trim());
      expect(fonts.length).toBeGreaterThan(0);
      for (const line of fonts) withContext(line, () => expect(line.split(/\s+/).at(-5)).toBe('yes'));
      const text = poppler('pdftotext', '-layout', pdf, '-');
      const holdings = await get(user, `/api/v1/portfolios/${id}/holdings?at=${endOf(history.to)}`);
      const realized = await get(user, `/api/v1/portfolios/${id}/realized?from=${from}&to=${endOf(history.to)}`);
      for (const figure of [holdings.body.totals.value, realized.body.totals.gain, realized.body.totals.proceeds])
        withContext(figure, () => expect(text).toContain(formatAmount(figure)));
      expect(text).toContain('CoinGecko');
      poppler('pdftoppm', '-r', '30', '-png', pdf, path.join(folder, 'page'));
      expect(readdirSync(folder).filter((name) => name.endsWith('.png'))).toHaveLength(pages);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('downloads', () => {
  test('When a report is downloaded with Range, If-None-Match or If-Range, then 206, 416, 304 and 200 answer as HTTP says', async () => {
    const user = await signIn(api, 'trader');
    const id = await portfolioOf(user);
    const asked = await ask(user, { kind: 'realized_gains', format: 'csv', portfolio_id: id, tax_year: Number(history.to.slice(0, 4)) });
    expect(asked.status).toBe(202);
    const report = await rendered(user, asked.body.id);
    const whole = await download(user, asked.body.id);
    const etag = `"${report.sha256}"`;
    const size = whole.bytes.length;
    expect(whole.headers.get('accept-ranges')).toBe('bytes');

    const part = await download(user, asked.body.id, { range: 'bytes=10-29' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 10-29/${size}`);
    expect(part.bytes.equals(whole.bytes.subarray(10, 30))).toBe(true);
    const suffix = await download(user, asked.body.id, { range: 'bytes=-7' });
    expect(suffix.status).toBe(206);
    expect(suffix.bytes.equals(whole.bytes.subarray(size - 7))).toBe(true);
    const open = await download(user, asked.body.id, { range: `bytes=${size - 3}-` });
    expect(open.bytes.equals(whole.bytes.subarray(size - 3))).toBe(true);

    const beyond = await download(user, asked.body.id, { range: `bytes=${size}-` });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${size}`);
    expect((await download(user, asked.body.id, { 'if-none-match': etag })).status).toBe(304);
    const stale = await download(user, asked.body.id, { range: 'bytes=0-3', 'if-range': '"other"' });
    expect(stale.status).toBe(200);
    expect(stale.bytes.equals(whole.bytes)).toBe(true);
    const several = await download(user, asked.body.id, { range: 'bytes=0-1,5-6' });
    expect(several.status).toBe(200);
  });

  test('When content is stored in small chunks, then every range reads back across chunk borders and the size cap refuses more', async () => {
    const user = await signIn(api, 'trader');
    const [{ id }] = await database.db.query(
      `INSERT INTO reports (owner_id, kind, format, params, expires_at) VALUES ($1, 'coin_risk', 'csv', '{}', now() + interval '1 day') RETURNING id`,
      [user.userId],
    );
    const store = createPostgresReportStore({ db: database.db, maxBytes: 100, chunkBytes: 7 });
    const content = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ');
    const written = await store.write(id, Readable.from([content.subarray(0, 5), content.subarray(5, 40), content.subarray(40)]));
    expect(written).toEqual({ size: content.length, sha256: createHash('sha256').update(content).digest('hex') });
    const read = async (range?: { start: number; end: number }) => {
      const chunks: Buffer[] = [];
      for await (const chunk of store.read(id, range)) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    };
    expect((await read()).equals(content)).toBe(true);
    for (const [start, end] of [[0, 0], [6, 7], [3, 20], [14, 27], [60, 61], [0, 61]] as const) {
      const bytes = await read({ start, end });
      withContext(`${start}-${end}`, () => expect(bytes.equals(content.subarray(start, end + 1))).toBe(true));
    }
    expect((await read({ start: 3, end: 20 })).equals(content.subarray(3, 21))).toBe(true);
    await expect(store.write(id, Readable.from([Buffer.alloc(101)]))).rejects.toMatchObject({ code: 'payload_too_large' });
    expect(await database.db.query('SELECT count(*)::int AS n FROM report_chunks WHERE report_id = $1', [id])).toEqual([{ n: 0 }]);
  });
});

describe('access', () => {
  test('When others ask for a report, then strangers get 404, admins by reports:admin see it, and an admin key without it does not', async () => {
    const owner = await signIn(api, 'trader');
    const stranger = await signIn(api, 'trader');
    const admin = await signIn(api, 'admin');
    const id = await portfolioOf(owner);
    const asked = await ask(owner, { kind: 'realized_gains', format: 'csv', portfolio_id: id, from: history.from, to: history.to });
    await rendered(owner, asked.body.id);
    const reportPath = `/api/v1/reports/${asked.body.id}`;
    expect((await get(stranger, reportPath)).status).toBe(404);
    expect((await download(stranger, asked.body.id)).status).toBe(404);
    expect((await sendJson(api.url, 'DELETE', reportPath, undefined, stranger.headers)).status).toBe(404);
    expect((await get(stranger, '/api/v1/reports')).body.data).toEqual([]);
    // Another user's portfolio does not exist for the caller.
    expect((await ask(stranger, { kind: 'realized_gains', format: 'csv', portfolio_id: id, tax_year: 2025 })).status).toBe(404);

    expect((await get(admin, reportPath)).status).toBe(200);
    expect((await download(admin, asked.body.id)).status).toBe(200);
    const narrow = await createApiKey(api.url, admin, ['reports:manage']);
    const narrowHeaders = { 'x-api-key': narrow.key };
    expect((await request(api.url, reportPath, { headers: narrowHeaders })).status).toBe(404);

    // audit_export needs audit:read; an analyst has no portfolios.
    expect((await ask(owner, { kind: 'audit_export', format: 'csv', from: history.from, to: today })).status).toBe(403);
    const analyst = await signIn(api, 'analyst');
    expect((await ask(analyst, { kind: 'portfolio_statement', format: 'pdf', portfolio_id: id, from: history.from, to: today })).status).toBe(403);
    const audit = await ask(admin, { kind: 'audit_export', format: 'csv', from: history.from, to: today });
    expect(audit.status).toBe(202);
    expect(await rendered(admin, audit.body.id)).toMatchObject({ status: 'ready', error: null });
    // The audit export: the log of the period, oldest first, as the admin audit API lists it (newest first).
    const exported = rowsOf((await download(admin, audit.body.id)).bytes.toString('utf8'));
    const listed = await get(admin, `/api/v1/admin/audit?from=${history.from}&limit=200`);
    expect(exported.length).toBeGreaterThan(0);
    expect(exported.map((row) => row.id)).toEqual(
      (listed.body.data as { id: string; at: string }[])
        .filter((row) => Date.parse(row.at) <= Date.parse(exported.at(-1)!.at!))
        .map((row) => row.id)
        .reverse(),
    );

    const owners = await get(owner, '/api/v1/reports');
    expect(owners.body.data.map((report: { id: string }) => report.id)).toEqual([asked.body.id]);
    expect((await sendJson(api.url, 'DELETE', reportPath, undefined, owner.headers)).status).toBe(204);
    expect((await get(owner, reportPath)).status).toBe(404);
  });
});

describe('input and quotas', () => {
  test('When the request is wrong, beyond the data or over the quota, then a 4xx problem says so; Idempotency-Key replays', async () => {
    const user = await signIn(api, 'trader');
    const id = await portfolioOf(user);
    const problem = async (body: Record<string, unknown>, status: number) => {
      const answer = await ask(user, body);
      withContext(JSON.stringify(body), () => {
        expect(answer.status).toBe(status);
        expect(answer.headers.get('content-type')).toContain('application/problem+json');
      });
      return answer.body;
    };
    await problem({ kind: 'tax_lots', format: 'csv', portfolio_id: id, tax_year: 2025 }, 400);
    await problem({ kind: 'realized_gains', format: 'xlsx', portfolio_id: id, tax_year: 2025 }, 400);
    await problem({ kind: 'realized_gains', format: 'csv', portfolio_id: id, from: '2025-03-01', to: '2025-02-01' }, 400);
    await problem({ kind: 'realized_gains', format: 'csv', from: '2025-01-01', to: '2025-02-01' }, 400);
    await problem({ kind: 'realized_gains', format: 'csv', portfolio_id: id, tax_year: 2025, from: '2025-01-01' }, 400);
    await problem({ kind: 'coin_risk', format: 'csv', symbols: Array.from({ length: 11 }, (_, i) => `C${i}`) }, 400);
    await problem({ kind: 'portfolio_statement', format: 'csv', portfolio_id: id, from: '2012-01-01', to: '2024-01-01' }, 400);
    const future = await problem({ kind: 'portfolio_statement', format: 'csv', portfolio_id: id, from: addDays(today, 5), to: addDays(today, 40) }, 422);
    expect(future.reason).toBe('period_beyond_data');
    const before = await problem({ kind: 'portfolio_statement', format: 'csv', portfolio_id: id, from: '2015-01-01', to: '2015-12-31', benchmark: BENCHMARK }, 422);
    expect(before.reason).toBe('period_beyond_data');
    await problem({ kind: 'coin_risk', format: 'csv', symbols: ['NOPE'], benchmark: BENCHMARK }, 404);
    const benchmark = await problem({ kind: 'coin_risk', format: 'csv', symbols: ['C00'] }, 404);
    expect(benchmark.unknown_symbols).toEqual(['BTC']);
    await problem({ kind: 'realized_gains', format: 'csv', portfolio_id: '00000000-0000-4000-8000-000000000000', tax_year: 2025 }, 404);

    // Idempotency-Key: the same request twice is one report.
    const body = {
      kind: 'coin_risk',
      format: 'csv',
      symbols: ['C00', 'C01'],
      window: 60,
      to: history.to,
      benchmark: BENCHMARK,
    };
    const first = await ask(user, body, { 'idempotency-key': 'report-1' });
    const again = await ask(user, body, { 'idempotency-key': 'report-1' });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await rendered(user, first.body.id)).toMatchObject({ status: 'ready', error: null, content_type: 'application/zip' });

    // REPORTS_PER_USER is 6 here.
    for (let count = 1; count < 6; count += 1) expect((await ask(user, body)).status).toBe(202);
    const over = await problem(body, 409);
    expect(over).toMatchObject({ reason: 'quota_exceeded', quota: 'reports_per_user', limit: 6 });
  });
});

describe('schedules', () => {
  test('When a schedule runs, then each closed period’s report is made once, missed periods on the next run, and report.ready reaches the owner’s webhook', async () => {
    const receiver = await new WebhookReceiver().start();
    try {
      const user = await signIn(api, 'trader');
      const id = await portfolioOf(user);
      const endpoint = await sendJson(
        api.url,
        'POST',
        '/api/v1/webhooks',
        { url: `http://127.0.0.1:${receiver.port}/reports`, events: ['report.ready'] },
        user.headers,
      );
      expect(endpoint.status).toBe(201);
      const created = await sendJson(api.url, 'POST', '/api/v1/report-schedules', { kind: 'realized_gains', format: 'csv', portfolio_id: id, cadence: 'monthly' }, user.headers);
      expect(created.status).toBe(201);
      const lastMonth = addDays(`${today.slice(0, 7)}-01`, -1).slice(0, 7);

      const run = await workers.queues.enqueue('run-report-schedules', {});
      expect((await waitForJob(workers.queues, run.job_id)).state).toBe('completed');
      const listed = await get(user, '/api/v1/reports');
      expect(listed.body.data).toHaveLength(1);
      const [report] = listed.body.data;
      expect(report).toMatchObject({ schedule_id: created.body.id, period: lastMonth });
      expect(await rendered(user, report.id)).toMatchObject({ status: 'ready' });

      // The report.ready event reached the owner's endpoint.
      const [hit] = await receiver.waitFor('/reports');
      const event = JSON.parse(hit!.body);
      expect(event).toMatchObject({ type: 'report.ready', data: { report_id: report.id, period: lastMonth, kind: 'realized_gains' } });

      // Running again makes nothing; a schedule that missed runs makes each missed period once.
      expect(await api.services.reports.runSchedules(new Date())).toMatchObject({ created: 0 });
      const twoBack = addDays(`${lastMonth}-01`, -40).slice(0, 7);
      await database.db.query('UPDATE report_schedules SET last_period = $2 WHERE id = $1', [created.body.id, twoBack]);
      expect(await api.services.reports.runSchedules(new Date())).toMatchObject({ created: 1 });
      expect(await api.services.reports.runSchedules(new Date())).toMatchObject({ created: 0 });
      const periods = (await get(user, '/api/v1/reports')).body.data.map((r: { period: string }) => r.period).sort();
      expect(new Set(periods).size).toBe(periods.length);
      expect(periods).toHaveLength(2);

      // REPORT_SCHEDULES_PER_USER is 3 here.
      const schedule = { kind: 'portfolio_statement', format: 'pdf', portfolio_id: id, cadence: 'quarterly' };
      expect((await sendJson(api.url, 'POST', '/api/v1/report-schedules', schedule, user.headers)).status).toBe(201);
      expect((await sendJson(api.url, 'POST', '/api/v1/report-schedules', schedule, user.headers)).status).toBe(201);
      expect((await sendJson(api.url, 'POST', '/api/v1/report-schedules', schedule, user.headers)).status).toBe(409);
      const stranger = await signIn(api, 'trader');
      expect((await sendJson(api.url, 'DELETE', `/api/v1/report-schedules/${created.body.id}`, undefined, stranger.headers)).status).toBe(404);
      expect((await sendJson(api.url, 'POST', '/api/v1/report-schedules', { ...schedule, portfolio_id: id }, stranger.headers)).status).toBe(404);
      expect((await get(user, '/api/v1/report-schedules')).body.data).toHaveLength(3);
      expect((await sendJson(api.url, 'DELETE', `/api/v1/report-schedules/${created.body.id}`, undefined, user.headers)).status).toBe(204);
    } finally {
      await receiver.close();
    }
  });
});

describe('retention', () => {
  test('When a report is past its retention, then cleanup-reports deletes it with its content', async () => {
    const user = await signIn(api, 'trader');
    const id = await portfolioOf(user);
    const asked = await ask(user, { kind: 'realized_gains', format: 'csv', portfolio_id: id, from: history.from, to: history.to });
    const report = await rendered(user, asked.body.id);
    expect(Date.parse(report.expires_at) - Date.now()).toBeGreaterThan(89 * 86_400_000);
    await database.db.query(`UPDATE reports SET expires_at = now() - interval '2 hours' WHERE id = $1`, [asked.body.id]);
    const job = await workers.queues.enqueue('cleanup-reports', {});
    const done = await waitForJob(workers.queues, job.job_id);
    expect(done.state).toBe('completed');
    expect(done.job.returnvalue).toMatchObject({ deleted: 1 });
    expect((await get(user, `/api/v1/reports/${asked.body.id}`)).status).toBe(404);
    expect(await database.db.query('SELECT count(*)::int AS n FROM report_chunks WHERE report_id = $1', [asked.body.id])).toEqual([{ n: 0 }]);
  });
});
