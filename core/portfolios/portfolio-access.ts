import type { DataSource } from 'typeorm';
import { requireOwned, type TActor } from '../platform/access/index.ts';
import { inTransaction, type TQueryable } from '../platform/db/tx.ts';
import {
  bumpRevision,
  deletePortfolio,
  findPortfolio,
  type TPortfolioRecord,
} from './portfolios.repository.ts';
import { notFound } from './refusals.ts';

export type TPortfolioAccess = ReturnType<typeof createPortfolioAccess>;

/**
 * Who may see a portfolio and how it changes: a portfolio exists only for its owner and for holders
 * of portfolios:admin (404 for anyone else, so ids do not leak). A change locks the portfolio row,
 * runs under that lock and bumps its revision; `onChange` runs after the commit.
 */
export function createPortfolioAccess(deps: {
  db: DataSource;
  onChange?: (portfolioId: string) => Promise<void>;
}) {
  const { db } = deps;
  const changed = (id: string) => deps.onChange?.(id).catch(() => undefined);

  const access = (actor: TActor, id: string, q: TQueryable = db, forUpdate = false) =>
    requireOwned(
      actor,
      { manage: 'portfolios:manage', admin: 'portfolios:admin' },
      () => findPortfolio(q, id, { forUpdate }),
      () => notFound('portfolio', id),
    );

  /** Runs a change under the portfolio's lock; the work must leave a history the ledger accepts. */
  async function change<T>(
    actor: TActor,
    id: string,
    work: (tx: TQueryable, portfolio: TPortfolioRecord) => Promise<T>,
  ): Promise<T> {
    const result = await inTransaction(db, async (tx) => {
      const portfolio = await access(actor, id, tx, true);
      const value = await work(tx, portfolio);
      await bumpRevision(tx, id);
      return value;
    });
    await changed(id);
    return result;
  }

  async function remove(actor: TActor, id: string): Promise<void> {
    await inTransaction(db, async (tx) => {
      await access(actor, id, tx, true);
      await deletePortfolio(tx, id);
    });
    await changed(id);
  }

  return { access, change, remove };
}
