import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { startTestApi, type TTestApi } from '../../../test/api-server.ts';
import { sendJson, signIn, type TSignedIn } from '../../../test/auth.ts';
import { testConfig } from '../../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../../test/db.ts';
import { request } from '../../../test/openapi-conformance.ts';
import { daysAgo, seedDailyPrices } from '../../../test/prices.ts';

// CSV import and export: the round trip, encodings and delimiters, and the limits checked while a file
// streams in. IMPORT_MAX_ROWS and IMPORT_BODY_LIMIT are small here so the limits are cheap to reach.
const MAX_ROWS = 20;
let database: TTestDatabase;
let api: TTestApi;
let owner: TSignedIn;
beforeAll(async () => {
  const config = testConfig({
    RATE_LIMIT_ROLE_QUOTAS: 'admin=100000,trader=100000',
    IMPORT_MAX_ROWS: String(MAX_ROWS),
    IMPORT_BODY_LIMIT: '128kb',
  });
  database = await createTestDatabase(config);
  api = await startTestApi(config, database.db);
});
afterAll(async () => {
  await api.close();
  await database.drop();
});
beforeEach(async () => {
  await database.truncate();
  await seedDailyPrices(database.db, { BTC: (index) => String(100 + index), ETH: () => '50' }, 60);
  owner = await signIn(api, 'trader');
});

const at = (ago: number) => `${daysAgo(ago)}T12:00:00Z`;
const HEADER = 'timestamp,type,symbol,quantity,price,fee,notes,external_id,lot_ids';
const get = (path: string) => request(api.url, path, { headers: owner.headers });
async function portfolio(name = 'Main'): Promise<string> {
  const created = await sendJson(api.url, 'POST', '/api/v1/portfolios', { name }, owner.headers);
  expect(created.status).toBe(201);
  return created.body.id;
}
const add = (id: string, tx: Record<string, unknown>) =>
  sendJson(api.url, 'POST', `/api/v1/portfolios/${id}/transactions`, tx, owner.headers);
const importCsv = (id: string, body: string | Uint8Array, query = 'format=generic', type = 'text/csv') =>
  request(api.url, `/api/v1/portfolios/${id}/transactions/import?${query}`, {
    method: 'POST',
    headers: { ...owner.headers, 'content-type': type },
    body,
  });
const transactions = async (id: string) =>
  (await get(`/api/v1/portfolios/${id}/transactions`)).body.data.map(
    ({
      id: _id,
      portfolio_id: _p,
      sequence: _s,
      created_at: _c,
      lot_ids: _l,
      ...rest
    }: Record<string, unknown>) => rest,
  );

describe('Export and import', () => {
  test('When a portfolio’s export is imported into the same portfolio, then nothing is added; into another, the same transactions come back exactly', async () => {
    const id = await portfolio();
    const notes = [
      '=HYPERLINK("http://x")',
      "'apostrophe first",
      '  padded both ends  ',
      'comma, "quotes" and\na line break',
      '@SUM(1)',
      'plain',
    ];
    for (const [index, note] of notes.entries())
      expect(
        (
          await add(id, {
            type: 'buy',
            symbol: 'BTC',
            quantity: `1.${index}`,
            price: '100.5',
            fee: '0.25',
            timestamp: at(30 - index),
            notes: note,
            // Formula-like external ids, and transactions without one (exported as id:<uuid>).
            ...(index % 2 ? { external_id: index === 1 ? '-dash' : `=ext-${index}` } : {}),
          })
        ).status,
      ).toBe(201);
    const exported = await fetch(`${api.url}/api/v1/portfolios/${id}/transactions/export`, {
      headers: owner.headers,
    });
    const csv = await exported.text();
    expect(csv).toContain(`'=HYPERLINK`);
    expect(csv).toContain(`''apostrophe first`);
    const again = await importCsv(id, csv);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ rows: notes.length, imported: 0, skipped: notes.length });
    expect(await transactions(id)).toHaveLength(notes.length);
    const copy = await portfolio('Copy');
    expect((await importCsv(copy, csv)).body.imported).toBe(notes.length);
    const original = await transactions(id);
    const copied = await transactions(copy);
    expect(copied.map((tx: { notes: string }) => tx.notes)).toEqual(notes);
    expect(copied.map(({ external_id: _e, ...rest }: Record<string, unknown>) => rest)).toEqual(
      original.map(({ external_id: _e, ...rest }: Record<string, unknown>) => rest),
    );
    expect((await importCsv(copy, csv)).body).toMatchObject({ imported: 0, skipped: notes.length });
  });
});

describe('Encodings and delimiters', () => {
  const rows = [
    `${at(10)}\tbuy\tBTC\t1\t100\t0\tfrom Excel\tx-1\t`,
    `${at(9)}\tbuy\tETH\t2\t50\t0\t€ and ü\tx-2\t`,
  ];
  const tsv = [HEADER.replaceAll(',', '\t'), ...rows].join('\r\n');
  const utf16 = (text: string, bigEndian: boolean) => {
    const bytes = Buffer.from(`\ufeff${text}`, 'utf16le');
    if (bigEndian) bytes.swap16();
    return bytes;
  };

  test.each([
    ['UTF-16 LE with a byte-order mark, tab-separated (Excel’s Unicode text)', utf16(tsv, false)],
    ['UTF-16 BE with a byte-order mark', utf16(tsv, true)],
    ['UTF-8 with a byte-order mark, semicolons', Buffer.from(`\ufeff${tsv.replaceAll('\t', ';')}`, 'utf8')],
  ])('When a file comes as %s, then it is read as text', async (_name, body) => {
    const id = await portfolio();
    const result = await importCsv(id, body);
    expect(`${result.status} ${JSON.stringify(result.body.detail ?? '')}`).toBe('200 ""');
    expect(result.body.imported).toBe(2);
    expect((await transactions(id)).map((tx: { notes: string }) => tx.notes)).toEqual([
      'from Excel',
      '€ and ü',
    ]);
  });

  test.each([
    [
      'Latin-1 bytes (not UTF-8)',
      Buffer.from(`${HEADER}\n${at(3)},buy,BTC,1,1,0,caf\u00e9,,`, 'latin1'),
      'text/csv',
      'not valid UTF-8',
    ],
    ['a NUL character', Buffer.from(`${HEADER}\n${at(3)},buy,BTC,1,1,0,a\u0000b,,`), 'text/csv', 'NUL'],
    ['an unsupported charset', Buffer.from(HEADER), 'text/csv; charset=windows-1252', 'charset windows-1252'],
  ])(
    'When a file has %s, then it is a 400 problem naming the encoding, never text with U+FFFD in it',
    async (_name, body, type, detail) => {
      const id = await portfolio();
      const result = await importCsv(id, body, 'format=generic', type);
      expect(result.status).toBe(400);
      expect(result.body.detail).toContain(detail);
      expect(await transactions(id)).toEqual([]);
    },
  );

  test('When no delimiter gives the header row, then the 422 says what the first line holds', async () => {
    const id = await portfolio();
    const result = await importCsv(id, HEADER.replaceAll(',', '|'));
    expect(result.status).toBe(422);
    expect(result.body).toMatchObject({ reason: 'missing_columns' });
    expect(result.body.detail).toContain('timestamp|type|symbol');
  });
});

describe('Import limits', () => {
  const lines = (count: number) =>
    Array.from({ length: count }, (_, index) => `${at(40 - index)},buy,BTC,1,100,0,,r-${index},`);

  test('When a file has IMPORT_MAX_ROWS rows, then it imports; one more, and it is a 422 naming the limit, decided before the rest of the file is read', async () => {
    const id = await portfolio();
    expect((await importCsv(id, [HEADER, ...lines(MAX_ROWS)].join('\n'), 'dry_run=true')).body.new).toBe(
      MAX_ROWS,
    );
    // The row past the limit is refused before the unclosed quote after it would be reached.
    const over = await importCsv(id, [HEADER, ...lines(MAX_ROWS + 1), '"never closed'].join('\n'));
    expect(over.status).toBe(422);
    expect(over.body).toMatchObject({ reason: 'too_many_rows' });
    expect(over.body.detail).toContain(`more than ${MAX_ROWS} rows`);
    expect(await transactions(id)).toEqual([]);
  });

  test('When a record is longer than 65,536 characters or has more than 64 fields, then the file is a 422 naming the line', async () => {
    const id = await portfolio();
    const long = await importCsv(id, `${HEADER}\n${at(3)},buy,BTC,1,1,0,"${'n'.repeat(70_000)}",,`);
    expect(long.status).toBe(422);
    expect(long.body).toMatchObject({ reason: 'record_too_large' });
    expect(long.body.detail).toContain('line 2');
    const wide = await importCsv(id, `${HEADER}\n${'1,'.repeat(80)}1`);
    expect(wide.body).toMatchObject({ status: 422, reason: 'too_many_fields' });
  });

  test('When the body is larger than IMPORT_BODY_LIMIT, then it is a 413 problem', async () => {
    const id = await portfolio();
    const result = await importCsv(id, `${HEADER}\n${'x'.repeat(130 * 1024)}`);
    expect(result.status).toBe(413);
    expect(result.headers.get('content-type')).toContain('application/problem+json');
  });

  test('When a body is empty, then the 400 says the file is empty', async () => {
    const id = await portfolio();
    const result = await importCsv(id, '');
    expect(result.status).toBe(400);
  });
});
