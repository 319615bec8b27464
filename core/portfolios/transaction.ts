import type { Decimal } from './decimal.ts';

/**
 * A portfolio transaction, declared once: the vocabulary and the one shape (`TTransaction`) every
 * other view of it derives from, as entered, as stored, as imported and as the ledger reads it.
 */
export const TRANSACTION_TYPES = [
  'buy',
  'sell',
  'transfer_in',
  'transfer_out',
  'deposit',
  'withdrawal',
  'fee',
  'income',
] as const;
export type TTransactionType = (typeof TRANSACTION_TYPES)[number];

/** The symbol of the portfolio's cash (its base currency). */
export const CASH = 'USD';
/** Types that move cash only (their symbol is CASH). */
export const CASH_TYPES: readonly TTransactionType[] = ['deposit', 'withdrawal'];
/** Types that need a unit price given (the others take that day's close when none is given). */
export const PRICED_TYPES: readonly TTransactionType[] = ['buy', 'sell'];

/** A transaction ready to store: decimals as strings, prices filled in (null only for cash movements). */
export type TTransaction = {
  type: TTransactionType;
  symbol: string;
  quantity: string;
  /** USD per unit; null only for cash movements. */
  price: string | null;
  fee: string;
  timestamp: Date;
  notes: string | null;
  external_id: string | null;
  /** For `specific` sells: the lots to consume, in this order. */
  lot_ids: string[] | null;
};

/** As the API and the import give it: price, fee and the optional fields may be left out. */
export type TTransactionBody = Pick<TTransaction, 'type' | 'symbol' | 'quantity' | 'timestamp'> &
  Partial<Pick<TTransaction, 'price' | 'notes' | 'external_id' | 'lot_ids'>> & { fee?: string };

/** As stored: with its id, its portfolio, its entry order and ISO timestamps. */
export type TTransactionRecord = Omit<TTransaction, 'timestamp'> & {
  id: string;
  portfolio_id: string;
  sequence: number;
  timestamp: string;
  created_at: string;
};

/** As a CSV row gives it: every imported transaction has an id of its own (given or derived). */
export type TImportedTransaction = TTransaction & { external_id: string };

/** As the ledger reads it: quantities and prices as decimals. */
export type TLedgerTransaction = Pick<TTransaction, 'type' | 'symbol' | 'timestamp' | 'lot_ids'> & {
  id: string;
  quantity: Decimal;
  price: Decimal | null;
  fee: Decimal;
};
