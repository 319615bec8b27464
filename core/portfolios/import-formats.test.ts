import { describe, expect, test } from '@jest/globals';
import { readCsv } from './csv-reader.ts';
import { readRows, requiredColumns, type TImportFormat } from './import-formats.ts';

const NOW = new Date('2025-06-01T00:00:00Z');
async function read(format: TImportFormat, text: string) {
  const file = await readCsv(
    text,
    { required: requiredColumns(format), format },
    { maxRows: 1000, maxFields: 64, maxRecordChars: 65_536 },
  );
  return readRows(format, file, { delimiter: file.delimiter, now: NOW });
}

const LOT_A = '0b7e6f3c-1d2a-4c5b-8e9f-000000000001';
const LOT_B = '0b7e6f3c-1d2a-4c5b-8e9f-000000000002';

describe('Import formats', () => {
  test('When a generic row is complete, then it becomes a transaction with exact decimals, its own external id or a stable one', async () => {
    const rows = await read(
      'generic',
      'timestamp,type,symbol,quantity,price,fee,notes,external_id,lot_ids\n' +
        '2024-01-02T03:04:05Z,BUY,btc,"1,000.5",42000.123456789,1.5,first,ext-1,\n' +
        `2024-01-03,sell,BTC,1,43000,,,,${LOT_A};${LOT_B}\n`,
    );
    expect(rows[0]).toMatchObject({
      row: 2,
      errors: [],
      transaction: {
        type: 'buy',
        symbol: 'BTC',
        quantity: '1000.5',
        price: '42000.123456789',
        fee: '1.5',
        external_id: 'ext-1',
      },
    });
    expect(rows[1]!.transaction).toMatchObject({
      fee: '0',
      lot_ids: [LOT_A, LOT_B],
      timestamp: new Date('2024-01-03T00:00:00Z'),
    });
    expect(rows[1]!.transaction!.external_id).toMatch(/^generic:[0-9a-f]{32}$/);
    // The same row always gets the same id, so a re-import finds it.
    expect(
      (
        await read(
          'generic',
          `timestamp,type,symbol,quantity,price,fee,notes,external_id,lot_ids\n2024-01-03,sell,BTC,1,43000,,,,${LOT_A};${LOT_B}`,
        )
      )[0]!.transaction!.external_id,
    ).toBe(rows[1]!.transaction!.external_id);
  });

  test.each([
    ['an unknown type', '2024-01-01,swap,BTC,1,1', 'type'],
    ['a bad date', 'yesterday,buy,BTC,1,1', 'timestamp'],
    ['a bad symbol', '2024-01-01,buy,B TC,1,1', 'symbol'],
    ['a quantity of 0', '2024-01-01,buy,BTC,0,1', 'quantity'],
    ['an exponent', '2024-01-01,buy,BTC,1e3,1', 'quantity'],
    ['no quantity', '2024-01-01,buy,BTC,,1', 'quantity'],
  ])('When a generic row has %s, then it has an error naming %s', async (_name, row, field) => {
    const [result] = await read('generic', `timestamp,type,symbol,quantity,price\n${row}`);
    expect(result!.transaction).toBeNull();
    expect(result!.errors.join(' ')).toContain(field);
  });

  test('When required columns are missing, then the whole file is refused naming them', async () => {
    await expect(read('generic', 'timestamp,type\n2024-01-01,buy')).rejects.toThrow(/symbol, quantity/);
    await expect(read('kraken', 'a\n1')).rejects.toThrow(/kraken/);
    await expect(read('generic', '')).rejects.toThrow(/empty/);
  });

  test('When a Coinbase report is read, then its preamble is skipped, its types mapped, $ stripped, and non-USD prices or converts refused', async () => {
    const rows = await read(
      'coinbase',
      'Transactions\nUser,x\n' +
        'ID,Timestamp,Transaction Type,Asset,Quantity Transacted,Price Currency,Price at Transaction,Subtotal,Total (inclusive of fees and/or spread),Fees and/or Spread,Notes\n' +
        'a1,2024-01-01 10:00:00 UTC,Advanced Trade Buy,ETH,2,USD,$2000.50,,,$3.10,\n' +
        'a2,2024-01-02 10:00:00 UTC,Send,ETH,1,USD,$2100,,,,to cold wallet\n' +
        'a3,2024-01-03 10:00:00 UTC,Convert,ETH,1,USD,$2100,,,,\n' +
        'a4,2024-01-04 10:00:00 UTC,Buy,ETH,1,EUR,1900,,,,\n' +
        'a5,2024-01-05 10:00:00 UTC,Deposit,USD,500,USD,,,,,\n',
    );
    expect(rows.map((row) => row.transaction?.type ?? 'error')).toEqual([
      'buy',
      'transfer_out',
      'error',
      'error',
      'deposit',
    ]);
    expect(rows[0]!.transaction).toMatchObject({ price: '2000.5', fee: '3.1', external_id: 'coinbase:a1' });
    expect(rows[4]!.transaction).toMatchObject({ symbol: 'USD', price: null });
    expect(rows[2]!.errors[0]).toContain('Convert');
    expect(rows[3]!.errors[0]).toContain('EUR');
  });

  test('When Kraken trades are read, then pairs become coins (XXBTZUSD is BTC, XDGUSD is DOGE); pairs in other currencies are refused', async () => {
    const rows = await read(
      'kraken',
      'txid,ordertxid,pair,time,type,ordertype,price,cost,fee,vol,margin,misc,ledgers\n' +
        'T1,O1,XXBTZUSD,2024-01-01 10:00:00.1234,buy,limit,40000,400,0.64,0.01,0,,\n' +
        'T2,O2,XDGUSD,2024-01-02 10:00:00,sell,market,0.1,10,0.01,100,0,,\n' +
        'T3,O3,XETHZEUR,2024-01-02 10:00:00,sell,market,0.1,10,0.01,100,0,,\n' +
        'T4,O4,SOLUSD,2024-01-02 10:00:00,margin,market,0.1,10,0.01,100,0,,\n',
    );
    expect(rows[0]!.transaction).toMatchObject({
      symbol: 'BTC',
      type: 'buy',
      quantity: '0.01',
      fee: '0.64',
      external_id: 'kraken:T1',
    });
    expect(rows[1]!.transaction).toMatchObject({ symbol: 'DOGE', type: 'sell' });
    expect(rows[2]!.errors[0]).toContain('not quoted in USD');
    expect(rows[3]!.errors[0]).toContain('not buy or sell');
  });

  test('When Binance trades are read, then units are stripped, fees in the quote or the coin are valued in USD, and other fee assets refused', async () => {
    const rows = await read(
      'binance',
      'Date(UTC),Pair,Side,Price,Executed,Amount,Fee\n' +
        '2024-01-01 00:00:00,BTCUSDT,BUY,40000,0.5BTC,20000USDT,10USDT\n' +
        '2024-01-02 00:00:00,BTCFDUSD,SELL,41000,0.1BTC,4100FDUSD,0.0001BTC\n' +
        '2024-01-03 00:00:00,ETHBTC,BUY,0.05,1ETH,0.05BTC,0.001ETH\n' +
        '2024-01-04 00:00:00,ETHUSDT,HOLD,2000,1ETH,2000USDT,1BNB\n',
    );
    expect(rows[0]!.transaction).toMatchObject({ symbol: 'BTC', quantity: '0.5', fee: '10' });
    expect(rows[1]!.transaction).toMatchObject({ type: 'sell', fee: '4.1' });
    expect(rows[2]!.errors[0]).toContain('not quoted in USD');
    expect(rows[3]!.errors.join(' ')).toMatch(/Side.*BNB/);
  });
});

describe('Import cells: bounds and hostile values', () => {
  const GENERIC = 'timestamp,type,symbol,quantity,price,fee,notes,external_id,lot_ids';

  test('When Binance Executed and Fee cells are 30,000 digits and a "!", then the row is refused at once (no quadratic backtracking)', async () => {
    const started = performance.now();
    const rows = await read(
      'binance',
      `Date(UTC),Pair,Side,Price,Executed,Amount,Fee\n2024-01-01 00:00:00,BTCUSDT,BUY,1,${'1'.repeat(30_000)}!,1USDT,${'2'.repeat(30_000)}!`,
    );
    // A bound, not a benchmark: the backtracking regex took seconds on this cell (8.2 s for 90,000 digits).
    expect(performance.now() - started).toBeLessThan(1000);
    expect(rows[0]!.errors.join(' ')).toMatch(/Executed: ".*" is not an amount and an asset/);
    expect(rows[0]!.errors.join(' ')).toMatch(/Fee: ".*" is not an amount and an asset/);
  });

  test('When amounts have more than 20 integer digits or 18 decimals, or a comma that may be a decimal comma, then the row names them', async () => {
    const rows = await read(
      'generic',
      `${GENERIC}\n2024-01-01,buy,BTC,${'9'.repeat(21)},1\n2024-01-01,buy,BTC,0.${'1'.repeat(19)},1\n` +
        `2024-01-01,buy,BTC,"0,5",1\n2024-01-01,buy,BTC,"1,234.5",1\n` +
        `2024-01-01,buy,BTC,${'9'.repeat(20)}.${'9'.repeat(18)},1`,
    );
    expect(rows[0]!.errors[0]).toMatch(/^quantity: .*at most 20 integer digits and 18 decimals/);
    expect(rows[1]!.errors[0]).toMatch(/^quantity: .*at most 20 integer digits and 18 decimals/);
    expect(rows[2]!.errors[0]).toBe(
      'quantity: "0,5" has a comma; write decimals with a point and no separators',
    );
    expect(rows[3]!.transaction!.quantity).toBe('1234.5');
    expect(rows[4]!.transaction!.quantity).toBe(`${'9'.repeat(20)}.${'9'.repeat(18)}`);
  });

  test('When a semicolon-separated file (a decimal-comma locale) has a comma in an amount, then it is refused, never read as thousands', async () => {
    const rows = await read('generic', 'timestamp;type;symbol;quantity;price\n2024-01-01;buy;BTC;1,234;1\n');
    expect(rows[0]!.errors[0]).toContain('has a comma');
  });

  test('When a timestamp is before 2009-01-03 or beyond now and a minute, then the row is refused naming the bound', async () => {
    const rows = await read(
      'generic',
      `${GENERIC}\n2009-01-02T23:59:59Z,buy,BTC,1,1\n0001-01-02,buy,BTC,1,1\n2025-06-01T00:02:00Z,buy,BTC,1,1\n2009-01-03,buy,BTC,1,1`,
    );
    expect(rows[0]!.errors).toEqual([
      'timestamp: 2009-01-02T23:59:59Z is before 2009-01-03 (the first day of Bitcoin)',
    ]);
    expect(rows[1]!.errors[0]).toContain('before 2009-01-03');
    expect(rows[2]!.errors).toEqual(['timestamp: 2025-06-01T00:02:00Z is in the future']);
    expect(rows[3]!.errors).toEqual([]);
  });

  test('When lot_ids are not transaction ids or too many, then the row says so (not a database error for the whole file)', async () => {
    const many = Array.from({ length: 1001 }, () => LOT_A).join(';');
    const rows = await read(
      'generic',
      `${GENERIC}\n2024-01-01,sell,BTC,1,1,,,,x;y\n2024-01-01,sell,BTC,1,1,,,,${many}`,
    );
    expect(rows[0]!.errors).toEqual(['lot_ids: "x" is not a transaction id (a UUID)']);
    expect(rows[1]!.errors).toEqual(['lot_ids: 1001 ids; at most 1000']);
  });

  test('When an exported cell carries the formula guard, then the generic reader takes it off again', async () => {
    const rows = await read('generic', `${GENERIC}\n2024-01-01,buy,BTC,1,1,,'=HYPERLINK(x),'-id-1,`);
    expect(rows[0]!.transaction).toMatchObject({ notes: '=HYPERLINK(x)', external_id: '-id-1' });
  });
});
