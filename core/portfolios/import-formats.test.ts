import { describe, expect, test } from '@jest/globals';
import { CsvError, parseCsv, toCsv } from './csv.ts';
import { readRows } from './import-formats.ts';

describe('CSV (RFC 4180)', () => {
  test('When fields are quoted, then commas, doubled quotes and line breaks inside them are kept; CRLF, LF, a BOM and blank lines are handled', () => {
    const text = '\ufeffa,b,c\r\n"1,5","say ""hi""","two\nlines"\n\n3,,\n';
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['1,5', 'say "hi"', 'two\nlines'] },
      { line: 5, fields: ['3', '', ''] },
    ]);
  });

  test('When a quote is left open or appears inside an unquoted field, then the error names the line', () => {
    expect(() => parseCsv('a\n"open')).toThrow(new CsvError(2, 'a quoted field is not closed'));
    expect(() => parseCsv('a\nx"y')).toThrow(/line 2: a quote inside an unquoted field/);
  });

  test('When rows are written, then fields that need quotes get them and the text reads back the same', () => {
    const rows = [['1', 'a,b', 'say "x"', null, 'multi\nline']];
    const csv = toCsv(['n', 'text', 'quote', 'empty', 'break'], rows);
    expect(parseCsv(csv)[1]!.fields).toEqual(['1', 'a,b', 'say "x"', '', 'multi\nline']);
  });
});

describe('Import formats', () => {
  const read = (format: Parameters<typeof readRows>[0], text: string) => readRows(format, parseCsv(text));

  test('When a generic row is complete, then it becomes a transaction with exact decimals, its own external id or a stable one', () => {
    const rows = read(
      'generic',
      'timestamp,type,symbol,quantity,price,fee,notes,external_id,lot_ids\n' +
        '2024-01-02T03:04:05Z,BUY,btc,"1,000.5",42000.123456789,1.5,first,ext-1,\n' +
        '2024-01-03,sell,BTC,1,43000,,,,a;b\n',
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
      lot_ids: ['a', 'b'],
      timestamp: new Date('2024-01-03T00:00:00Z'),
    });
    expect(rows[1]!.transaction!.external_id).toMatch(/^generic:[0-9a-f]{32}$/);
    // The same row always gets the same id, so a re-import finds it.
    expect(
      read(
        'generic',
        'timestamp,type,symbol,quantity,price,fee,notes,external_id,lot_ids\n2024-01-03,sell,BTC,1,43000,,,,a;b',
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
  ])('When a generic row has %s, then it has an error naming %s', (_name, row, field) => {
    const [result] = read('generic', `timestamp,type,symbol,quantity,price\n${row}`);
    expect(result!.transaction).toBeNull();
    expect(result!.errors.join(' ')).toContain(field);
  });

  test('When required columns are missing, then the whole file is refused naming them', () => {
    expect(() => read('generic', 'timestamp,type\n2024-01-01,buy')).toThrow(/symbol, quantity/);
    expect(() => read('kraken', 'a\n1')).toThrow(/kraken/);
    expect(() => read('generic', '')).toThrow(/empty/);
  });

  test('When a Coinbase report is read, then its preamble is skipped, its types mapped, $ stripped, and non-USD prices or converts refused', () => {
    const rows = read(
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

  test('When Kraken trades are read, then pairs become coins (XXBTZUSD is BTC, XDGUSD is DOGE); pairs in other currencies are refused', () => {
    const rows = read(
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

  test('When Binance trades are read, then units are stripped, fees in the quote or the coin are valued in USD, and other fee assets refused', () => {
    const rows = read(
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
