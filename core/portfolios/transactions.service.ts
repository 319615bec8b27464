import type { DataSource } from 'typeorm';
import type { TActor } from '../platform/access/index.ts';
import type { TQueryable } from '../platform/db/tx.ts';
import { keysetPage, timeCursor } from '../platform/paging.ts';
import { quotaExceeded, type TPortfolioQuotas } from './bounds.ts';
import { ledgerOf } from './ledger-of.ts';
import type { TPortfolioAccess } from './portfolio-access.ts';
import {
  allTransactions,
  countTransactions,
  deleteTransaction,
  insertTransactions,
  listTransactions,
  updateTransaction,
  type TPortfolioRecord,
  type TTransactionFilter,
} from './portfolios.repository.ts';
import type { TPrepare } from './prepare.ts';
import { conflictOn23505, notFound } from './refusals.ts';
import type { TTransaction, TTransactionBody, TTransactionRecord } from './transaction.ts';

export type TInsertChecked = (
  tx: TQueryable,
  portfolio: TPortfolioRecord,
  inputs: TTransaction[],
) => Promise<TTransactionRecord[]>;

/** Inserts, then proves the whole history still holds together (a 422 rolls everything back). */
export const insertChecked: TInsertChecked = async (tx, portfolio, inputs) => {
  const inserted = await insertTransactions(tx, portfolio.id, inputs).catch(
    conflictOn23505('A transaction with this external_id already exists in the portfolio.'),
  );
  ledgerOf(portfolio, await allTransactions(tx, portfolio.id));
  return inserted;
};

/** A past transaction with a patch applied, as if entered fresh. */
function merged(current: TTransactionRecord, patch: Partial<TTransactionBody>): TTransactionBody {
  return {
    type: patch.type ?? current.type,
    symbol: patch.symbol ?? current.symbol,
    quantity: patch.quantity ?? current.quantity,
    // A price that was filled from the close is kept unless a new one (or a new day) is given.
    price: patch.price !== undefined ? patch.price : patch.timestamp || patch.symbol ? null : current.price,
    fee: patch.fee ?? current.fee,
    timestamp: patch.timestamp ?? new Date(current.timestamp),
    notes: patch.notes !== undefined ? patch.notes : current.notes,
    external_id: patch.external_id !== undefined ? patch.external_id : current.external_id,
    lot_ids: patch.lot_ids !== undefined ? patch.lot_ids : current.lot_ids,
  };
}

/** The ledger writes of a portfolio: its transactions added, listed, edited and deleted. */
export function createTransactionsService(deps: {
  db: DataSource;
  quotas: TPortfolioQuotas;
  access: TPortfolioAccess;
  prepare: TPrepare;
}) {
  const { db, quotas, prepare } = deps;
  const { access, change } = deps.access;
  return {
    addTransaction(actor: TActor, id: string, body: TTransactionBody): Promise<TTransactionRecord> {
      return change(actor, id, async (tx, portfolio) => {
        // Under the portfolio's lock: concurrent additions count one after another.
        if ((await countTransactions(tx, id)) >= quotas.transactionsPerPortfolio)
          throw quotaExceeded(
            'transactions_per_portfolio',
            quotas.transactionsPerPortfolio,
            'transactions per portfolio',
          );
        const [inserted] = await insertChecked(tx, portfolio, await prepare([body]));
        return inserted!;
      });
    },

    async listTransactions(
      actor: TActor,
      id: string,
      filter: Omit<TTransactionFilter, 'after'> & { cursor?: { at: string; id: string } },
    ) {
      await access(actor, id);
      const { cursor, ...rest } = filter;
      return keysetPage(
        filter.limit,
        (limit) =>
          listTransactions(db, id, {
            ...rest,
            limit,
            ...(cursor ? { after: { timestamp: cursor.at, sequence: Number(cursor.id) } } : {}),
          }),
        (last) => timeCursor(last.timestamp, last.sequence),
      );
    },

    /** Replaces fields of a past transaction; the history is recomputed as if entered fresh. */
    updateTransaction(
      actor: TActor,
      id: string,
      txId: string,
      patch: Partial<TTransactionBody>,
    ): Promise<TTransactionRecord> {
      return change(actor, id, async (tx, portfolio) => {
        const current = (await allTransactions(tx, id)).find((record) => record.id === txId);
        if (!current) throw notFound('transaction', txId);
        const [prepared] = await prepare([merged(current, patch)]);
        const updated = await updateTransaction(tx, txId, prepared!).catch(
          conflictOn23505('Another transaction has this external_id.'),
        );
        ledgerOf(portfolio, await allTransactions(tx, id));
        return updated;
      });
    },

    deleteTransaction(actor: TActor, id: string, txId: string): Promise<void> {
      return change(actor, id, async (tx, portfolio) => {
        const records = await allTransactions(tx, id);
        if (!records.some((record) => record.id === txId)) throw notFound('transaction', txId);
        await deleteTransaction(tx, txId);
        ledgerOf(
          portfolio,
          records.filter((record) => record.id !== txId),
        );
      });
    },
  };
}
