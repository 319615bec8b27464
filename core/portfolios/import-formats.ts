import { createHash } from 'node:crypto';
import { unguardFormula } from './csv.ts';
import type { TCsvFile } from './csv-reader.ts';
import { dec, money } from './decimal.ts';
import {
  amount,
  lotIdsOf,
  shown,
  symbolOf,
  time,
  type TReadContext,
  USD_QUOTES,
  usdQuoteOf,
  withUnit,
} from './import-cells.ts';
import { CASH, TRANSACTION_TYPES, type TImportedTransaction, type TTransactionType } from './transaction.ts';

/**
 * CSV import formats: a row in, a transaction (or the reasons it cannot be one) out. The generic format
 * is this API's own (and what GET …/transactions/export writes); the exchange formats read the
 * columns of those exchanges' documented exports (docs/portfolio-methodology.md, "Import").
 */
export const IMPORT_FORMATS = ['generic', 'coinbase', 'kraken', 'binance'] as const;
export type TImportFormat = (typeof IMPORT_FORMATS)[number];

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

/** A row's own id when the export has none: the same row imported twice is the same transaction. */
const rowId = (format: string, fields: readonly string[]) =>
  `${format}:${createHash('sha256').update(fields.join('\u001f')).digest('hex').slice(0, 32)}`;

type TReader = (
  get: (column: string) => string,
  errors: string[],
  context: TReadContext,
) => Omit<TImportedTransaction, 'external_id'> & {
  external_id?: string;
};

// The generic format is the export's: its cells are read exactly as written (the reader trims blanks
// around unquoted cells only), and the export's formula guard is taken off again.
const generic: TReader = (get, errors, context) => {
  const type = get('type').trim().toLowerCase() as TTransactionType;
  if (!TRANSACTION_TYPES.includes(type))
    errors.push(`type: "${shown(get('type'))}" is not one of ${TRANSACTION_TYPES.join(', ')}`);
  const notes = unguardFormula(get('notes'));
  const externalId = unguardFormula(get('external_id'));
  return {
    timestamp: time(get('timestamp'), errors, context),
    type,
    symbol: symbolOf(get('symbol'), errors),
    quantity: amount(get('quantity'), 'quantity', errors, context) ?? '0',
    price: amount(get('price'), 'price', errors, context, { optional: true }),
    fee: amount(get('fee'), 'fee', errors, context, { optional: true }) ?? '0',
    notes: notes || null,
    ...(externalId ? { external_id: externalId } : {}),
    lot_ids: lotIdsOf(get('lot_ids'), errors),
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
const coinbase: TReader = (get, errors, context) => {
  const kind = get('Transaction Type').trim().toLowerCase();
  const type = COINBASE_TYPES[kind];
  if (!type)
    errors.push(
      `Transaction Type: "${shown(get('Transaction Type'))}" cannot be imported (convert it into a sell and a buy)`,
    );
  const currency = (get('Price Currency') || get('Spot Price Currency')).trim().toUpperCase();
  if (currency && currency !== 'USD')
    errors.push(`Price Currency: ${shown(currency)}; only USD prices can be imported`);
  const price = (get('Price at Transaction') || get('Spot Price at Transaction')).replace(/^\$/, '');
  const cash = type === 'deposit' || type === 'withdrawal';
  return {
    timestamp: time(get('Timestamp'), errors, context),
    type: type ?? 'buy',
    symbol: cash ? CASH : symbolOf(get('Asset'), errors),
    quantity: amount(get('Quantity Transacted'), 'Quantity Transacted', errors, context) ?? '0',
    price: cash
      ? null
      : amount(price, 'Price at Transaction', errors, context, {
          optional: type !== 'buy' && type !== 'sell',
        }),
    fee:
      amount(get('Fees and/or Spread').replace(/^\$/, ''), 'Fees and/or Spread', errors, context, {
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
    errors.push(`pair: "${shown(pair)}" is not quoted in USD`);
    return 'X';
  }
  let base = upper.slice(0, -quote.length);
  if (base.length === 4 && (base.startsWith('X') || base.startsWith('Z'))) base = base.slice(1);
  return symbolOf(KRAKEN_ALIASES[base] ?? base, errors);
}
const kraken: TReader = (get, errors, context) => {
  const side = get('type').trim().toLowerCase();
  if (side !== 'buy' && side !== 'sell') errors.push(`type: "${shown(get('type'))}" is not buy or sell`);
  return {
    timestamp: time(get('time'), errors, context),
    type: side === 'sell' ? 'sell' : 'buy',
    symbol: krakenBase(get('pair'), errors),
    quantity: amount(get('vol'), 'vol', errors, context) ?? '0',
    price: amount(get('price'), 'price', errors, context),
    fee: amount(get('fee'), 'fee', errors, context, { optional: true }) ?? '0',
    notes: get('ordertype').trim() ? `kraken ${get('ordertype').trim()} order` : null,
    ...(get('txid').trim() ? { external_id: `kraken:${get('txid').trim()}` } : {}),
    lot_ids: null,
  };
};

const binance: TReader = (get, errors, context) => {
  const pair = get('Pair').trim().toUpperCase();
  const quote = usdQuoteOf(pair);
  if (!quote) errors.push(`Pair: "${shown(get('Pair'))}" is not quoted in USD`);
  const base = quote ? pair.slice(0, -quote.length) : pair;
  const side = get('Side').trim().toLowerCase();
  if (side !== 'buy' && side !== 'sell') errors.push(`Side: "${shown(get('Side'))}" is not BUY or SELL`);
  const executed = withUnit(get('Executed'));
  const fee = withUnit(get('Fee'));
  const price = amount(get('Price'), 'Price', errors, context);
  let feeUsd = '0';
  if (get('Fee').trim() && !fee) errors.push(`Fee: "${shown(get('Fee'))}" is not an amount and an asset`);
  if (fee) {
    const feeAmount = amount(fee.number, 'Fee', errors, context) ?? '0';
    const unit = fee.unit.toUpperCase();
    if (!unit || USD_QUOTES.has(unit)) feeUsd = feeAmount;
    else if (unit === base && price) feeUsd = money(dec(feeAmount).times(price));
    else errors.push(`Fee: paid in ${unit}; only fees in the quote or the traded coin can be imported`);
  }
  if (get('Executed').trim() && !executed)
    errors.push(`Executed: "${shown(get('Executed'))}" is not an amount and an asset`);
  return {
    timestamp: time(get('Date(UTC)'), errors, context),
    type: side === 'sell' ? 'sell' : 'buy',
    symbol: symbolOf(base, errors),
    quantity: executed ? (amount(executed.number, 'Executed', errors, context) ?? '0') : '0',
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

/** The columns a file of `format` must have (its header row is found by them). */
export const requiredColumns = (format: TImportFormat): readonly string[] => READERS[format].columns;

/** Reads every data row of a file in `format`; a bad row gets its own errors and no transaction. */
export function readRows(format: TImportFormat, file: TCsvFile, context: TReadContext): TRowResult[] {
  const reader = READERS[format];
  const index = new Map(file.header.fields.map((name, position) => [name.trim(), position]));
  return file.rows.map(({ line, fields }) => {
    const errors: string[] = [];
    const get = (column: string) => fields[index.get(column) ?? -1] ?? '';
    const read = reader.read(get, errors, context);
    const transaction: TImportedTransaction = {
      ...read,
      external_id: read.external_id ?? rowId(format, fields),
    };
    if (transaction.notes && transaction.notes.length > 1000)
      errors.push('notes: longer than 1000 characters');
    if (transaction.external_id.length > 200) errors.push('external_id: longer than 200 characters');
    if (!errors.length && dec(transaction.quantity).isZero()) errors.push('quantity: must be greater than 0');
    return { row: line, transaction: errors.length ? null : transaction, errors };
  });
}
