import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { testConfig } from '../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../test/db.ts';
import { withContext } from '../../test/expect-context.ts';
import { daysAgo, seedDailyPrices } from '../../test/prices.ts';
import { freePort, startProcess, type TChild } from '../../test/processes.ts';

// A hostile-input sweep over every user-owned route, signed in as a trader, against the real API in its
// own process (so that a request that never ends fails this test by its deadline instead of hanging it):
// both date extremes, the largest and most precise decimals, oversized arrays and maps, imports just
// under and over each limit, malformed and adversarial CSV cells, and other users' ids. Every answer must
// come within the deadline, be no 5xx, be a problem+json when it is a 4xx, and be a 404 for another
// user's resource; /health must answer throughout and after.
// It catches a hang, not slowness: on a loaded 2-core runner one CPU-heavy import can hold the API's
// event loop for most of a second, and a /health poll waiting behind it. Above REQUEST_DEADLINE_MS (10 s)
// so that a route past its own time budget shows as its 503, not as an aborted request.
const DEADLINE_MS = 15_000;
const IMPORT_MAX_ROWS = 200;
const IMPORT_LIMIT_BYTES = 256 * 1024;
const ADMIN = { email: 'sweep-admin@example.com', password: 'a long admin passphrase 9' };
const PASSWORD = 'a long trader passphrase 8';

type TCase = {
  name: string;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  /** A raw body (CSV) sent as it is. */
  raw?: string | Uint8Array;
  headers?: Record<string, string>;
  /** The status it must have; otherwise any answer below 500 that is a problem when it is a 4xx. */
  status?: number;
};

const config = testConfig();
let database: TTestDatabase;
let child: TChild;
let base: string;

async function call(path: string, init: RequestInit & { token?: string } = {}, deadline = DEADLINE_MS) {
  const started = performance.now();
  const response = await fetch(`${base}${path}`, {
    ...init,
    headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...init.headers },
    signal: AbortSignal.timeout(deadline),
  });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    text,
    ms: performance.now() - started,
  };
}
const json = (body: unknown) => ({ 'content-type': 'application/json', body: JSON.stringify(body) });
async function post(path: string, body: unknown, token?: string) {
  const { body: payload, ...headers } = json(body);
  const answer = await call(
    path,
    { method: 'POST', headers, body: payload, ...(token ? { token } : {}) },
    10_000,
  );
  if (answer.status >= 300) throw new Error(`set-up ${path}: ${answer.status} ${answer.text}`);
  return JSON.parse(answer.text) as Record<string, any>;
}
async function trader(adminToken: string) {
  const email = `trader-${randomUUID().slice(0, 8)}@example.com`;
  await post(
    '/api/v1/admin/users',
    { email, password: PASSWORD, role: 'trader', display_name: 'Sweep' },
    adminToken,
  );
  return (await post('/api/v1/auth/login', { email, password: PASSWORD })).access_token as string;
}
/** One of everything a user can own, for `token`'s user. */
async function resources(token: string) {
  const portfolio = (await post('/api/v1/portfolios', { name: 'Sweep' }, token)).id as string;
  const tx = (
    await post(
      `/api/v1/portfolios/${portfolio}/transactions`,
      { type: 'buy', symbol: 'BTC', quantity: '2', price: '100', timestamp: '2009-01-03T00:00:00Z' },
      token,
    )
  ).id as string;
  await post(
    `/api/v1/portfolios/${portfolio}/transactions`,
    { type: 'buy', symbol: 'ETH', quantity: '3', price: '50', timestamp: `${daysAgo(100)}T12:00:00Z` },
    token,
  );
  const alert = (
    await post('/api/v1/alerts', { kind: 'price_above', symbol: 'BTC', threshold: '1000' }, token)
  ).id as string;
  const webhook = (
    await post('/api/v1/webhooks', { url: 'https://93.184.215.14/hook', events: ['alert.fired'] }, token)
  ).id as string;
  const key = (await post('/api/v1/api-keys', { name: 'sweep', scopes: ['market:read'] }, token))
    .id as string;
  const report = (
    await post(
      '/api/v1/reports',
      { kind: 'realized_gains', format: 'csv', portfolio_id: portfolio, tax_year: 2024 },
      token,
    )
  ).id as string;
  const schedule = (
    await post(
      '/api/v1/report-schedules',
      { kind: 'realized_gains', format: 'csv', portfolio_id: portfolio, cadence: 'yearly' },
      token,
    )
  ).id as string;
  return { portfolio, tx, alert, webhook, key, report, schedule };
}

beforeAll(async () => {
  database = await createTestDatabase(config);
  await seedDailyPrices(
    database.db,
    { BTC: (index) => String(100 + index), ETH: (index) => String(50 + (index % 7)) },
    400,
  );
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  child = startProcess('api/main.ts', {
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: database.url,
    REDIS_URL: config.REDIS_URL,
    REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX,
    QUEUE_PREFIX: config.QUEUE_PREFIX,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_ROLE_QUOTAS: 'admin=1000000,trader=1000000',
    AUTH_RATE_LIMIT_PER_MINUTE: '1000',
    BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
    IMPORT_MAX_ROWS: String(IMPORT_MAX_ROWS),
    IMPORT_BODY_LIMIT: `${IMPORT_LIMIT_BYTES}b`,
    // A request that runs away with memory (the old performance loop grew without end) ends this
    // process, not the machine the tests share.
    NODE_OPTIONS: '--max-old-space-size=768',
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await call('/readyz').catch(() => null);
    if (ready?.status === 200) break;
    if (Date.now() > deadline) throw new Error(`the API did not become ready:\n${child.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
});
afterAll(async () => {
  child?.process.kill('SIGKILL');
  await child?.exited;
  await database?.drop();
});

const csv = (rows: string[]) =>
  ['timestamp,type,symbol,quantity,price,fee,notes,external_id,lot_ids', ...rows].join('\n');
const row = (index: number) =>
  `${daysAgo(50)}T${String(index % 24).padStart(2, '0')}:00:00Z,buy,BTC,0.1,100,0,,s-${index},`;
const BIG = `${'9'.repeat(20)}.${'9'.repeat(18)}`;
const PRECISE = `0.${'0'.repeat(17)}1`;

function cases(
  mine: Awaited<ReturnType<typeof resources>>,
  theirs: Awaited<ReturnType<typeof resources>>,
): TCase[] {
  const P = `/api/v1/portfolios/${mine.portfolio}`;
  const T = `/api/v1/portfolios/${theirs.portfolio}`;
  const tx = (extra: Record<string, unknown>) => ({
    type: 'buy',
    symbol: 'BTC',
    quantity: '1',
    price: '100',
    timestamp: `${daysAgo(3)}T00:00:00Z`,
    ...extra,
  });
  const limits = (count: number) =>
    Array.from({ length: count }, () => ({ type: 'max_position_value', symbol: 'BTC', value: BIG }));
  const weights = (count: number, length = 3) =>
    Object.fromEntries(
      Array.from({ length: count }, (_, index) => [`S${String(index).padStart(length, '0')}`, '0']),
    );
  const imports = (
    name: string,
    raw: string | Uint8Array,
    query = 'dry_run=true',
    status?: number,
  ): TCase => ({
    name: `import: ${name}`,
    method: 'POST',
    path: `${P}/transactions/import?${query}`,
    raw,
    headers: { 'content-type': 'text/csv' },
    ...(status ? { status } : {}),
  });
  const strangers: TCase[] = (
    [
      ['GET', T],
      ['PATCH', T, { name: 'x' }],
      ['DELETE', T],
      ['GET', `${T}/transactions`],
      ['POST', `${T}/transactions`, tx({})],
      ['PATCH', `${T}/transactions/${theirs.tx}`, { notes: 'x' }],
      ['DELETE', `${T}/transactions/${theirs.tx}`],
      ['PATCH', `${P}/transactions/${theirs.tx}`, { notes: 'x' }],
      ['DELETE', `${P}/transactions/${theirs.tx}`],
      ['GET', `${T}/transactions/export`],
      ['GET', `${T}/holdings`],
      ['GET', `${T}/realized`],
      ['GET', `${T}/performance`],
      ['GET', `${T}/risk`],
      ['PUT', `${T}/targets`, { weights: { BTC: '1' } }],
      ['GET', `${T}/drift`],
      ['GET', `${T}/limits`],
      ['PUT', `${T}/limits`, { limits: [] }],
      ['GET', `${T}/limits/status`],
      ['POST', `${T}/pre-trade-check`, { symbol: 'BTC', side: 'buy', quantity: '1' }],
      ['GET', `/api/v1/alerts/${theirs.alert}`],
      ['PATCH', `/api/v1/alerts/${theirs.alert}`, { enabled: false }],
      ['DELETE', `/api/v1/alerts/${theirs.alert}`],
      ['GET', `/api/v1/alerts/${theirs.alert}/events`],
      ['GET', `/api/v1/webhooks/${theirs.webhook}`],
      ['DELETE', `/api/v1/webhooks/${theirs.webhook}`],
      ['POST', `/api/v1/webhooks/${theirs.webhook}/rotate-secret`, undefined],
      ['POST', `/api/v1/webhooks/${theirs.webhook}/enable`, undefined],
      ['POST', `/api/v1/webhooks/${theirs.webhook}/test`, undefined],
      ['GET', `/api/v1/webhooks/${theirs.webhook}/deliveries`],
      ['POST', `/api/v1/webhooks/${theirs.webhook}/deliveries/msg_${'0'.repeat(32)}/redeliver`, undefined],
      ['DELETE', `/api/v1/api-keys/${theirs.key}`],
      ['GET', `/api/v1/reports/${theirs.report}`],
      ['GET', `/api/v1/reports/${theirs.report}/download`],
      ['DELETE', `/api/v1/reports/${theirs.report}`],
      [
        'POST',
        '/api/v1/reports',
        { kind: 'realized_gains', format: 'csv', portfolio_id: theirs.portfolio, tax_year: 2024 },
      ],
      [
        'POST',
        '/api/v1/report-schedules',
        { kind: 'realized_gains', format: 'csv', portfolio_id: theirs.portfolio, cadence: 'yearly' },
      ],
      ['DELETE', `/api/v1/report-schedules/${theirs.schedule}`],
    ] as [TCase['method'], string, unknown?][]
  ).map(([method, path, body]) => ({
    name: `another user's: ${method} ${path}`,
    method,
    path,
    status: 404,
    ...(body === undefined ? {} : { body }),
  }));
  const hostile: TCase[] = [
    // Dates at both extremes.
    {
      name: 'performance beyond year 9999 (the loop that never ended)',
      path: `${P}/performance?from=2026-06-01&to=9999-12-31`,
      status: 400,
    },
    { name: 'performance from 0001', path: `${P}/performance?from=0001-01-01&to=2024-01-01`, status: 400 },
    {
      name: 'a statement over the whole calendar (more than 3,660 days)',
      method: 'POST',
      path: '/api/v1/reports',
      body: {
        kind: 'portfolio_statement',
        format: 'pdf',
        portfolio_id: mine.portfolio,
        from: '2009-01-03',
        to: '2099-12-31',
      },
      status: 400,
    },
    {
      name: 'a statement of the last ten years up to 2099 (starts after today)',
      method: 'POST',
      path: '/api/v1/reports',
      body: {
        kind: 'portfolio_statement',
        format: 'csv',
        portfolio_id: mine.portfolio,
        from: '2090-01-01',
        to: '2099-12-31',
      },
      status: 422,
    },
    {
      name: 'a coin risk report of 11 symbols',
      method: 'POST',
      path: '/api/v1/reports',
      body: {
        kind: 'coin_risk',
        format: 'csv',
        symbols: Array.from({ length: 11 }, (_, index) => `S${index}`),
      },
      status: 400,
    },
    { name: 'performance over the whole calendar', path: `${P}/performance?from=2009-01-03&to=2099-12-31` },
    { name: 'performance of a history from 2009 (range=all)', path: `${P}/performance`, status: 200 },
    { name: 'performance ytd to 2099', path: `${P}/performance?range=ytd&to=2099-12-31`, status: 200 },
    { name: 'holdings at 0001', path: `${P}/holdings?at=0001-01-01T00:00:00Z` },
    {
      name: 'holdings at the last nanosecond of 9999',
      path: `${P}/holdings?at=9999-12-31T23:59:59.999999999Z`,
    },
    { name: 'realized over the whole calendar', path: `${P}/realized?from=0001-01-01&to=9999-12-31` },
    {
      name: 'transactions over the whole calendar',
      path: `${P}/transactions?from=0001-01-01&to=9999-12-31&limit=1000`,
    },
    {
      name: 'a cursor in year 9999',
      path: `${P}/transactions?cursor=${encodeURIComponent('9999-12-31T23:59:59.999Z~999999999999999999')}`,
    },
    {
      name: 'a transaction in year 0001',
      method: 'POST',
      path: `${P}/transactions`,
      body: tx({ timestamp: '0001-01-01' }),
      status: 400,
    },
    {
      name: 'a transaction in year 9999',
      method: 'POST',
      path: `${P}/transactions`,
      body: tx({ timestamp: '9999-12-31T23:59:59Z' }),
      status: 400,
    },
    {
      name: 'a transaction at +275760',
      method: 'POST',
      path: `${P}/transactions`,
      body: tx({ timestamp: '+275760-09-13T00:00:00Z' }),
      status: 400,
    },
    {
      name: 'a transaction tomorrow',
      method: 'POST',
      path: `${P}/transactions`,
      body: tx({ timestamp: `${daysAgo(-1)}T12:00:00Z` }),
      status: 422,
    },
    {
      name: 'a transaction moved to year 0001',
      method: 'PATCH',
      path: `${P}/transactions/${mine.tx}`,
      body: { timestamp: '0001-01-01' },
      status: 400,
    },
    // Decimals: the largest and most precise, and one digit beyond.
    {
      name: 'the largest amounts',
      method: 'POST',
      path: `${P}/transactions`,
      body: tx({ quantity: BIG, price: BIG, fee: BIG }),
      status: 201,
    },
    {
      name: 'the most precise amounts',
      method: 'POST',
      path: `${P}/transactions`,
      body: tx({ quantity: PRECISE, price: PRECISE, fee: PRECISE }),
      status: 201,
    },
    { name: 'holdings of the largest amounts', path: `${P}/holdings`, status: 200 },
    { name: 'realized of the largest amounts', path: `${P}/realized`, status: 200 },
    { name: 'performance of the largest amounts', path: `${P}/performance?range=30d`, status: 200 },
    { name: 'risk of the largest amounts', path: `${P}/risk` },
    {
      name: 'an amount of 21 integer digits',
      method: 'POST',
      path: `${P}/transactions`,
      body: tx({ quantity: `1${'0'.repeat(20)}` }),
      status: 400,
    },
    {
      name: 'an amount of 19 decimals',
      method: 'POST',
      path: `${P}/transactions`,
      body: tx({ price: `0.${'1'.repeat(19)}` }),
      status: 400,
    },
    {
      name: 'an amount with an exponent',
      method: 'POST',
      path: `${P}/transactions`,
      body: tx({ quantity: '1e400' }),
      status: 400,
    },
    {
      name: 'an amount as a JSON number',
      method: 'POST',
      path: `${P}/transactions`,
      body: tx({ quantity: 1e308 }),
      status: 400,
    },
    {
      name: 'a zero quantity',
      method: 'POST',
      path: `${P}/transactions`,
      body: tx({ quantity: '0.000000000000000000' }),
      status: 400,
    },
    {
      name: 'a pre-trade check of the largest order',
      method: 'POST',
      path: `${P}/pre-trade-check`,
      body: { symbol: 'BTC', side: 'buy', quantity: BIG, price: BIG, fee: BIG },
      status: 200,
    },
    {
      name: 'a pre-trade check of the most precise order',
      method: 'POST',
      path: `${P}/pre-trade-check`,
      body: { symbol: 'ETH', side: 'sell', quantity: PRECISE },
      status: 200,
    },
    { name: 'limits of the largest values', method: 'PUT', path: `${P}/limits`, body: { limits: limits(3) } },
    {
      name: 'an alert threshold of the most digits',
      method: 'POST',
      path: '/api/v1/alerts',
      body: { kind: 'price_below', symbol: 'BTC', threshold: `-${BIG}` },
    },
    { name: 'a risk-free rate beyond the bound', path: `${P}/risk?risk_free_rate=1e400`, status: 400 },
    { name: 'the longest risk window', path: `${P}/risk?window=1825` },
    // Arrays and maps: at their maximum and one beyond.
    { name: '50 limits', method: 'PUT', path: `${P}/limits`, body: { limits: limits(50) } },
    { name: '51 limits', method: 'PUT', path: `${P}/limits`, body: { limits: limits(51) }, status: 400 },
    {
      name: '250 target weights',
      method: 'PUT',
      path: `${P}/targets`,
      body: { weights: weights(250) },
      status: 422,
    },
    {
      name: '251 target weights',
      method: 'PUT',
      path: `${P}/targets`,
      body: { weights: weights(251) },
      status: 400,
    },
    {
      name: 'a target symbol of 21 characters',
      method: 'PUT',
      path: `${P}/targets`,
      body: { weights: { [`S${'X'.repeat(20)}`]: '1' } },
      status: 400,
    },
    {
      name: 'one symbol twice in two cases',
      method: 'PUT',
      path: `${P}/targets`,
      body: { weights: { eth: '0.5', ETH: '0.5' } },
      status: 422,
    },
    {
      name: '1001 lot ids',
      method: 'POST',
      path: `${P}/transactions`,
      body: tx({ type: 'sell', lot_ids: Array.from({ length: 1001 }, () => randomUUID()) }),
      status: 400,
    },
    {
      name: '1000 lot ids of nothing',
      method: 'POST',
      path: `${P}/transactions`,
      body: tx({ type: 'sell', quantity: '0.1', lot_ids: Array.from({ length: 1000 }, () => randomUUID()) }),
    },
    {
      name: 'nine webhook event types (twice the four there are, plus one)',
      method: 'POST',
      path: '/api/v1/webhooks',
      body: { url: 'https://93.184.215.14/x', events: Array(9).fill('alert.fired') },
      status: 400,
    },
    {
      name: 'a body over BODY_LIMIT',
      method: 'POST',
      path: '/api/v1/portfolios',
      body: { name: 'x'.repeat(200_000) },
      status: 413,
    },
    // Text: lengths, NUL, unpaired surrogates.
    {
      name: 'a name of 101 characters',
      method: 'POST',
      path: '/api/v1/portfolios',
      body: { name: 'x'.repeat(101) },
      status: 400,
    },
    {
      name: 'a name with NUL',
      method: 'POST',
      path: '/api/v1/portfolios',
      body: { name: 'a\u0000b' },
      status: 400,
    },
    {
      name: 'notes with an unpaired surrogate',
      method: 'PATCH',
      path: `${P}/transactions/${mine.tx}`,
      raw: '{"notes":"\\ud800"}',
      headers: { 'content-type': 'application/json' },
      status: 400,
    },
    { name: 'an empty PATCH', method: 'PATCH', path: P, body: {}, status: 400 },
    {
      name: 'a webhook URL of 2001 characters',
      method: 'POST',
      path: '/api/v1/webhooks',
      body: { url: `https://${'a'.repeat(1990)}.example`, events: ['alert.fired'] },
      status: 400,
    },
    {
      name: 'a webhook at the metadata address',
      method: 'POST',
      path: '/api/v1/webhooks',
      body: { url: 'http://169.254.169.254/latest', events: ['alert.fired'] },
    },
    {
      name: 'an API key expiring in year 9999',
      method: 'POST',
      path: '/api/v1/api-keys',
      body: { name: 'far', scopes: ['market:read'], expires_at: '9999-12-31T23:59:59Z' },
    },
    {
      name: 'a page of 99999999999999999999 portfolios',
      path: '/api/v1/portfolios?limit=99999999999999999999',
      status: 400,
    },
    {
      name: 'an If-None-Match of 8,000 blanks',
      path: '/api/v1/cryptocurrencies/',
      headers: { 'if-none-match': ' '.repeat(8000) },
    },
    // Imports: just under and over each limit, malformed and adversarial cells.
    imports(
      `${IMPORT_MAX_ROWS} rows`,
      csv(Array.from({ length: IMPORT_MAX_ROWS }, (_, index) => row(index))),
      'dry_run=true',
      200,
    ),
    imports(
      `${IMPORT_MAX_ROWS + 1} rows`,
      csv(Array.from({ length: IMPORT_MAX_ROWS + 1 }, (_, index) => row(index))),
      'dry_run=true',
      422,
    ),
    imports(
      'a body just under the byte limit',
      csv([
        `${daysAgo(5)},buy,BTC,1,1,0,"${'n'.repeat(60_000)}",,`,
        ...Array(3).fill(`${daysAgo(5)},buy,BTC,1,1,0,"${'n'.repeat(60_000)}",,`),
      ]),
      'dry_run=true',
      200,
    ),
    imports(
      'a body over the byte limit',
      csv([`${daysAgo(5)},buy,BTC,1,1,0,,,`, 'x'.repeat(IMPORT_LIMIT_BYTES)]),
      'dry_run=true',
      413,
    ),
    imports(
      'a Binance Executed cell of 30,000 digits and a "!"',
      `Date(UTC),Pair,Side,Price,Executed,Amount,Fee\n2024-01-01 00:00:00,BTCUSDT,BUY,1,${'1'.repeat(30_000)}!,1USDT,${'2'.repeat(30_000)}!`,
      'format=binance&dry_run=true',
      200,
    ),
    imports(
      'a record over 65,536 characters',
      csv([`${daysAgo(5)},buy,BTC,1,1,0,"${'n'.repeat(70_000)}",,`]),
      'dry_run=true',
      422,
    ),
    imports('65 fields in a row', csv([Array(65).fill('1').join(',')]), 'dry_run=true', 422),
    imports('an unclosed quote', csv([`${daysAgo(5)},buy,BTC,1,1,0,"open`]), 'dry_run=true', 422),
    imports('a quote inside a cell', csv([`${daysAgo(5)},buy,BTC,1,1,0,a"b,,`]), 'dry_run=true', 422),
    imports('only a header', csv([]), 'dry_run=true', 200),
    imports('no header', 'hello world', 'dry_run=true', 422),
    imports(
      'formulas and doubled quotes',
      csv([
        `${daysAgo(5)},buy,BTC,1,1,0,"=cmd|' /C calc'!A0",'@x,`,
        `${daysAgo(5)},buy,BTC,1,1,0,"${'""'.repeat(20_000)}",,`,
      ]),
      'dry_run=true',
      200,
    ),
    imports(
      'dates at both extremes',
      csv([
        '0001-01-01,buy,BTC,1,1,0,,e1,',
        '9999-12-31T23:59:59Z,buy,BTC,1,1,0,,e2,',
        '+275760-09-13,buy,BTC,1,1,0,,e3,',
      ]),
      'dry_run=true',
      200,
    ),
    imports(
      'amounts beyond NUMERIC(38,18)',
      csv([
        `${daysAgo(5)},buy,BTC,${'9'.repeat(40)},1,0,,,`,
        `${daysAgo(5)},buy,BTC,0.${'1'.repeat(40)},1,0,,,`,
        `${daysAgo(5)},buy,BTC,"0,5",1,0,,,`,
      ]),
      'dry_run=true',
      200,
    ),
    imports(
      'lot ids that are not ids',
      csv([`${daysAgo(5)},sell,BTC,1,1,0,,,${'x;'.repeat(2000)}`]),
      'dry_run=true',
      200,
    ),
    imports('an invalid row in a real run', csv([`${daysAgo(5)},swap,BTC,1,1,0,,,`]), 'dry_run=false', 422),
    imports(
      'Latin-1 bytes',
      Buffer.from(csv([`${daysAgo(5)},buy,BTC,1,1,0,caf\u00e9,,`]), 'latin1'),
      'dry_run=true',
      400,
    ),
    imports('NUL bytes', new Uint8Array([0, 0, 0, 0, 0x41, 0]), 'dry_run=true', 400),
    imports(
      'UTF-16 LE, tab-separated',
      Buffer.from(`\ufeff${csv([row(1)]).replaceAll(',', '\t')}`, 'utf16le'),
      'dry_run=true',
      200,
    ),
    imports('an empty body', '', 'dry_run=true', 400),
    { name: 'the export', path: `${P}/transactions/export`, status: 200 },
    { name: 'drift', path: `${P}/drift` },
    { name: 'limits status', path: `${P}/limits/status` },
    { name: 'the account', path: '/api/v1/me', status: 200 },
    {
      name: 'a password change with a wrong current password',
      method: 'POST',
      path: '/api/v1/me/password',
      body: { current_password: 'not the password at all', new_password: 'x'.repeat(128) },
    },
  ];
  return [...hostile, ...strangers];
}

test('When a signed-in trader sends hostile input to every route they own, then no answer is a 5xx or late, 4xx answers are problems, others’ resources are 404s, and /health answers throughout', async () => {
  const admin = (await post('/api/v1/auth/login', ADMIN)).access_token as string;
  const me = await trader(admin);
  const stranger = await trader(admin);
  const mine = await resources(me);
  const theirs = await resources(stranger);

  // /health is asked every 200 ms while the sweep runs; each must answer 200 within the deadline.
  const health: string[] = [];
  let sweeping = true;
  const poller = (async () => {
    while (sweeping) {
      const answer = await call('/health').catch((error: Error) => ({
        status: 0,
        text: error.message,
        ms: 0,
      }));
      if (answer.status !== 200) health.push(`/health ${answer.status} ${answer.text.slice(0, 200)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();

  const failures: string[] = [];
  for (const sweep of cases(mine, theirs)) {
    const body = sweep.raw ?? (sweep.body === undefined ? undefined : JSON.stringify(sweep.body));
    const headers = {
      ...(sweep.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...sweep.headers,
    };
    let answer: Awaited<ReturnType<typeof call>>;
    try {
      answer = await call(sweep.path, {
        method: sweep.method ?? 'GET',
        headers,
        token: me,
        ...(body === undefined ? {} : { body }),
      });
    } catch (error) {
      failures.push(`${sweep.name}: no answer within ${DEADLINE_MS} ms (${(error as Error).message})`);
      continue;
    }
    const said = `${answer.status} ${answer.text.slice(0, 160)}`;
    if (answer.status >= 500) failures.push(`${sweep.name}: ${said}`);
    else if (sweep.status !== undefined && answer.status !== sweep.status)
      failures.push(`${sweep.name}: expected ${sweep.status}, got ${said}`);
    else if (answer.status >= 400 && !answer.type.startsWith('application/problem+json'))
      failures.push(`${sweep.name}: a ${answer.status} that is not a problem (${answer.type})`);
  }
  sweeping = false;
  await poller;
  const after = await call('/health').catch((error: Error) => ({ status: 0, text: error.message }));
  withContext(child.output().slice(-4000), () => {
    expect(failures).toEqual([]);
    expect(health).toEqual([]);
    expect(`${after.status} ${after.status === 200 ? '' : after.text}`).toBe('200 ');
  });
}, 180_000);
