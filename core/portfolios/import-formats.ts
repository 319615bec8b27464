import { createHash } from 'node:crypto';
import { dec, DECIMAL_PATTERN, money } from './decimal.ts';
import { CASH, TRANSACTION_TYPES, type TTransactionType } from './ledger.ts';

/**
 * CSV import formats: a row in, a transaction (or the reasons it cannot be one) out. The generic format
 * is this API's own (and what GET …/transactions/export writes); the exchange formats read the
 * columns of those exchanges' documented exports (docs/portfolio-methodology.md, "Import").
 */
export const IMPORT_FORMATS = ['generic', 'coinbase', 'kraken', 'binance'] as const;
export type TImportFormat = (typeof IMPORT_FORMATS)[number];

export type TImportedTransaction = {
  type: TTransactionType;
  symbol: string;
  quantity: string;
  price: string | null;
  fee: string;
  timestamp: Date;
  notes: string | null;
  external_id: string;
  lot_ids: string[] | null;
};

export type TRowResult = { row: number; transaction: TImportedTransaction | null; errors: string[] };

export const GENERIC_COLUMNS = [
  'timestamp',
  'type',
  'symbol',
  'quantity',
  'price',
  'fee',
  'notes',
  'external_id',
  'lot_ids',
] as const;

const USD_QUOTES = new Set(['USD', 'USDT', 'USDC', 'BUSD', 'ZUSD', 'FDUSD']);
/** The USD quote a pair ends with, the longest first (XXBTZUSD ends with ZUSD, not just USD). */
const usdQuoteOf = (pair: string) =>
  [...USD_QUOTES].sort((a, b) => b.length - a.length).find((quote) => pair.endsWith(quote));
const SYMBOL = /^[A-Z0-9._-]{1,20}$/;

/** A row's own id when the export has none: the same row imported twice is the same transaction. */
const rowId = (format: string, fields: readonly string[]) =>
  `${format}:${createHash('sha256').update(fields.join('\u001f')).digest('hex').slice(0, 32)}`;

type TReader = (
  get: (column: string) => string,
  errors: string[],
) => Omit<TImportedTransaction, 'external_id'> & {
  external_id?: string;
};

function amount(
  value: string,
  name: string,
  errors: string[],
  options: { optional?: boolean } = {},
): string | null {
  const text = value.trim().replaceAll(',', '');
  if (text === '') {
    if (!options.optional) errors.push(`${name}: missing`);
    return null;
  }
  if (!DECIMAL_PATTERN.test(text)) {
    errors.push(`${name}: "${value}" is not a decimal number`);
    return null;
  }
  return money(dec(text).abs());
}

function time(value: string, errors: string[]): Date {
  const text = value.trim();
  // Exchange exports write "2024-01-02 03:04:05" (UTC) or ISO 8601 with a zone.
  const iso = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}| UTC)?$/.test(text)
    ? text
        .replace(' UTC', 'Z')
        .replace(' ', 'T')
        .replace(/(\.\d{3})\d+/, '$1')
    : /^\d{4}-\d{2}-\d{2}$/.test(text)
      ? `${text}T00:00:00Z`
      : '';
  const at = new Date(iso && !/(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? `${iso}Z` : iso);
  if (!iso || Number.isNaN(at.getTime())) errors.push(`timestamp: "${value}" is not a date and time`);
  return at;
}

function symbolOf(value: string, errors: string[]): string {
  const symbol = value.trim().toUpperCase();
  if (!SYMBOL.test(symbol)) errors.push(`symbol: "${value}" is not a symbol`);
  return symbol;
}

const generic: TReader = (get, errors) => {
  const type = get('type').trim().toLowerCase() as TTransactionType;
  if (!TRANSACTION_TYPES.includes(type))
    errors.push(`type: "${get('type')}" is not one of ${TRANSACTION_TYPES.join(', ')}`);
  const lotIds = get('lot_ids').trim();
  return {
    timestamp: time(get('timestamp'), errors),
    type,
    symbol: symbolOf(get('symbol'), errors),
    quantity: amount(get('quantity'), 'quantity', errors) ?? '0',
    price: amount(get('price'), 'price', errors, { optional: true }),
    fee: amount(get('fee'), 'fee', errors, { optional: true }) ?? '0',
    notes: get('notes').trim() || null,
    ...(get('external_id').trim() ? { external_id: get('external_id').trim() } : {}),
    lot_ids: lotIds ? lotIds.split(/[;\s]+/).filter(Boolean) : null,
  };
};

// Coinbase "Transaction history" report: ID, Timestamp, Transaction Type, Asset, Quantity Transacted,
// Price Currency, Price at Transaction, Subtotal, Total (inclusive of fees and/or spread),
// Fees and/or Spread, Notes (older exports: "Spot Price Currency", "Spot Price at Transaction").
const COINBASE_TYPES: Record<string, TTransactionType> = {
  buy: 'buy',
  'advanced trade buy': 'buy',
  sell: 'sell',
  'advanced trade sell': 'sell',
  send: 'transfer_out',
  receive: 'transfer_in',
  'rewards income': 'income',
  'staking income': 'income',
  'learning reward': 'income',
  'inflation reward': 'income',
  deposit: 'deposit',
  withdrawal: 'withdrawal',
};
const coinbase: TReader = (get, errors) => {
  const kind = get('Transaction Type').trim().toLowerCase();
  const type = COINBASE_TYPES[kind];
  if (!type)
    errors.push(
      `Transaction Type: "${get('Transaction Type')}" cannot be imported (convert it into a sell and a buy)`,
    );
  const currency = (get('Price Currency') || get('Spot Price Currency')).trim().toUpperCase();
  if (currency && currency !== 'USD')
    errors.push(`Price Currency: ${currency}; only USD prices can be imported`);
  const price = (get('Price at Transaction') || get('Spot Price at Transaction')).replace(/^\$/, '');
  const cash = type === 'deposit' || type === 'withdrawal';
  return {
    timestamp: time(get('Timestamp'), errors),
    type: type ?? 'buy',
    symbol: cash ? CASH : symbolOf(get('Asset'), errors),
    quantity: amount(get('Quantity Transacted'), 'Quantity Transacted', errors) ?? '0',
    price: cash
      ? null
      : amount(price, 'Price at Transaction', errors, { optional: type !== 'buy' && type !== 'sell' }),
    fee:
      amount(get('Fees and/or Spread').replace(/^\$/, ''), 'Fees and/or Spread', errors, {
        optional: true,
      }) ?? '0',
    notes: get('Notes').trim() || null,
    ...(get('ID').trim() ? { external_id: `coinbase:${get('ID').trim()}` } : {}),
    lot_ids: null,
  };
};

// Kraken trades export (trades.csv): txid, ordertxid, pair, time, type, ordertype, price, cost, fee,
// vol, margin, misc, ledgers. Pairs are written XXBTZUSD or XBTUSD; XBT is BTC, XDG is DOGE.
const KRAKEN_ALIASES: Record<string, string> = { XBT: 'BTC', XDG: 'DOGE' };
function krakenBase(pair: string, errors: string[]): string {
  const upper = pair.trim().toUpperCase().replace('/', '');
  const quote = usdQuoteOf(upper);
  if (!quote) {
    errors.push(`pair: "${pair}" is not quoted in USD`);
    return 'X';
  }
  let base = upper.slice(0, -quote.length);
  if (base.length === 4 && (base.startsWith('X') || base.startsWith('Z'))) base = base.slice(1);
  return symbolOf(KRAKEN_ALIASES[base] ?? base, errors);
}
const kraken: TReader = (get, errors) => {
  const side = get('type').trim().toLowerCase();
  if (side !== 'buy' && side !== 'sell') errors.push(`type: "${get('type')}" is not buy or sell`);
  return {
    timestamp: time(get('time'), errors),
    type: side === 'sell' ? 'sell' : 'buy',
    symbol: krakenBase(get('pair'), errors),
    quantity: amount(get('vol'), 'vol', errors) ?? '0',
    price: amount(get('price'), 'price', errors),
    fee: amount(get('fee'), 'fee', errors, { optional: true }) ?? '0',
    notes: get('ordertype').trim() ? `kraken ${get('ordertype').trim()} order` : null,
    ...(get('txid').trim() ? { external_id: `kraken:${get('txid').trim()}` } : {}),
    lot_ids: null,
  };
};

// Binance "Trade History" export: Date(UTC), Pair, Side, Price, Executed, Amount, Fee; Executed, Amount
// and Fee carry their asset after the number ("0.5BTC", "0.00075BNB").
const withUnit = (value: string) => /^([0-9.,]+)\s*([A-Za-z0-9]*)$/.exec(value.trim());
const binance: TReader = (get, errors) => {
  const pair = get('Pair').trim().toUpperCase();
  const quote = usdQuoteOf(pair);
  if (!quote) errors.push(`Pair: "${get('Pair')}" is not quoted in USD`);
  const base = quote ? pair.slice(0, -quote.length) : pair;
  const side = get('Side').trim().toLowerCase();
  if (side !== 'buy' && side !== 'sell') errors.push(`Side: "${get('Side')}" is not BUY or SELL`);
  const executed = withUnit(get('Executed'));
  const fee = withUnit(get('Fee'));
  const price = amount(get('Price'), 'Price', errors);
  let feeUsd = '0';
  if (fee && fee[1]) {
    const feeAmount = amount(fee[1], 'Fee', errors) ?? '0';
    const unit = fee[2]!.toUpperCase();
    if (!unit || USD_QUOTES.has(unit)) feeUsd = feeAmount;
    else if (unit === base && price) feeUsd = money(dec(feeAmount).times(price));
    else errors.push(`Fee: paid in ${unit}; only fees in the quote or the traded coin can be imported`);
  }
  return {
    timestamp: time(get('Date(UTC)'), errors),
    type: side === 'sell' ? 'sell' : 'buy',
    symbol: symbolOf(base, errors),
    quantity: amount(executed?.[1] ?? '', 'Executed', errors) ?? '0',
    price,
    fee: feeUsd,
    notes: null,
    lot_ids: null,
  };
};

const READERS: Record<TImportFormat, { columns: readonly string[]; read: TReader }> = {
  generic: { columns: ['timestamp', 'type', 'symbol', 'quantity'], read: generic },
  coinbase: { columns: ['Timestamp', 'Transaction Type', 'Asset', 'Quantity Transacted'], read: coinbase },
  kraken: { columns: ['time', 'pair', 'type', 'price', 'vol'], read: kraken },
  binance: { columns: ['Date(UTC)', 'Pair', 'Side', 'Price', 'Executed'], read: binance },
};

/**
 * Reads every data row of a parsed CSV in `format`. Missing required columns are one error for the
 * whole file (thrown); a bad row gets its own errors and no transaction.
 */
export function readRows(
  format: TImportFormat,
  rows: readonly { line: number; fields: string[] }[],
): TRowResult[] {
  const [header, ...data] = rows;
  if (!header) throw new Error('the file is empty');
  // Coinbase reports start with a few lines of preamble before the header row.
  const names = header.fields.map((name) => name.trim());
  const reader = READERS[format];
  const missing = reader.columns.filter((column) => !names.includes(column));
  if (missing.length) {
    if (format === 'coinbase') {
      const start = rows.findIndex((row) =>
        row.fields.map((name) => name.trim()).includes('Transaction Type'),
      );
      if (start > 0) return readRows(format, rows.slice(start));
    }
    throw new Error(`missing column(s) for the ${format} format: ${missing.join(', ')}`);
  }
  const index = new Map(names.map((name, position) => [name, position]));
  return data.map(({ line, fields }) => {
    const errors: string[] = [];
    const get = (column: string) => fields[index.get(column) ?? -1] ?? '';
    const read = reader.read(get, errors);
    const transaction: TImportedTransaction = {
      ...read,
      external_id: read.external_id ?? rowId(format, fields),
    };
    if (transaction.notes && transaction.notes.length > 1000)
      errors.push('notes: longer than 1000 characters');
    if (transaction.external_id.length > 200) errors.push('external_id: longer than 200 characters');
    if (dec(transaction.quantity).isZero()) errors.push('quantity: must be greater than 0');
    return { row: line, transaction: errors.length ? null : transaction, errors };
  });
}
