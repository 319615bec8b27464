import type { AppError } from '../platform/errors/app-error.ts';
import { dec, money } from './decimal.ts';
import { decimalOrNull } from './holdings.ts';
import { LedgerError, runLedger, type TLedger } from './ledger.ts';
import type { TPortfolioSettings, TValuationRow } from './portfolios.repository.ts';
import { unprocessable } from './refusals.ts';
import type { TLedgerTransaction, TTransactionRecord } from './transaction.ts';

/** A stored transaction as the ledger reads it. */
export const toLedgerTransaction = (tx: TTransactionRecord): TLedgerTransaction & { sequence: number } => ({
  id: tx.id,
  type: tx.type,
  symbol: tx.symbol,
  quantity: dec(tx.quantity),
  price: decimalOrNull(tx.price),
  fee: dec(tx.fee),
  timestamp: new Date(tx.timestamp),
  lot_ids: tx.lot_ids,
  sequence: tx.sequence,
});

/** A valuation row as the ledger reads it: the same transaction as toLedgerTransaction gives. */
export const valuationTransaction = (row: TValuationRow): TLedgerTransaction & { sequence: number } => ({
  id: row.id,
  type: row.type,
  symbol: row.symbol,
  quantity: dec(row.quantity),
  price: decimalOrNull(row.price),
  fee: dec(row.fee),
  timestamp: row.timestamp,
  lot_ids: row.lot_ids,
  sequence: Number(row.sequence),
});

const ledgerSettings = (portfolio: TPortfolioSettings) => ({
  method: portfolio.cost_basis_method,
  feesInCostBasis: portfolio.fees_in_cost_basis,
  cashTracking: portfolio.cash_tracking,
  allowNegative: portfolio.allow_negative,
});

/** The 422 a refused history answers, naming the transaction and, for a shortfall, by how much. */
function refusal(error: LedgerError, records: readonly TTransactionRecord[]): AppError {
  const record = records.find((tx) => tx.id === error.transactionId);
  return unprocessable(error.message, {
    reason: error.code,
    transaction_id: error.transactionId,
    ...(record?.external_id ? { external_id: record.external_id } : {}),
    ...(record ? { timestamp: record.timestamp } : {}),
    ...(error.shortfall ? { shortfall: money(error.shortfall) } : {}),
  });
}

/** The ledger of a history, or the 422 that says which transaction breaks the portfolio's rules. */
export function ledgerOf(portfolio: TPortfolioSettings, records: readonly TTransactionRecord[]): TLedger {
  try {
    return runLedger(records.map(toLedgerTransaction), ledgerSettings(portfolio));
  } catch (error) {
    if (error instanceof LedgerError) throw refusal(error, records);
    throw error;
  }
}
