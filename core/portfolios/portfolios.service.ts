import type { TJobs } from '../platform/jobs/index.ts';
import type { DataSource } from 'typeorm';
import { createPriceReader } from '../market/index.ts';
import { requirePermission, requireUser, type TActor } from '../platform/access/index.ts';
import { inTransaction, lockKey } from '../platform/db/tx.ts';
import { keysetPage, timeCursor } from '../platform/paging.ts';
import { DEFAULT_QUOTAS, quotaExceeded, type TPortfolioQuotas } from './bounds.ts';
import { createCsvTransfer } from './import.service.ts';
import { ledgerOf } from './ledger-of.ts';
import { createPortfolioAccess } from './portfolio-access.ts';
import {
  allTransactions,
  countPortfolios,
  findPortfolio,
  insertPortfolio,
  listPortfolios,
  updatePortfolio,
  type TPortfolioRecord,
  type TPortfolioSettings,
} from './portfolios.repository.ts';
import { createPrepare } from './prepare.ts';
import { createTargetsService } from './targets.service.ts';
import { createTransactionsService, insertChecked } from './transactions.service.ts';
import { createValuationService } from './valuation.service.ts';

declare module '../platform/jobs/events.ts' {
  interface TEvents {
    /** A write to a portfolio committed (its transactions, settings, targets or limits). */
    'portfolio.changed': { portfolio_id: string };
  }
}

export type TPortfoliosService = ReturnType<typeof createPortfoliosService>;

/**
 * Portfolios and everything computed from them, one service a job: access and its lock
 * (portfolio-access.ts), the ledger writes (transactions.service.ts), CSV import and export
 * (import.service.ts), valuation and performance (valuation.service.ts), targets and drift
 * (targets.service.ts). This file keeps the portfolios themselves and puts the parts together;
 * after every committed change `portfolio.changed` is announced (core/workflows.ts says what follows).
 */
export function createPortfoliosService(deps: {
  db: DataSource;
  /** The job system (without it, as in benchmarks, nothing follows a write). */
  jobs?: Pick<TJobs, 'announce'>;
  now?: () => Date;
  quotas?: Partial<TPortfolioQuotas>;
}) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const quotas: TPortfolioQuotas = { ...DEFAULT_QUOTAS, ...deps.quotas };
  const prices = createPriceReader(db);
  const { jobs } = deps;
  const access = createPortfolioAccess({
    db,
    ...(jobs ? { onChange: (id: string) => jobs.announce('portfolio.changed', { portfolio_id: id }) } : {}),
  });
  const prepare = createPrepare({ prices, now });

  return {
    /** For the feature's other services (limits): the portfolio, if the actor may see it (404 otherwise). */
    owned: (actor: TActor, id: string) => access.access(actor, id),
    /** For the feature's other services: a change under the portfolio's lock, retiring its cached answers. */
    changeOwned: access.change,

    /** A new portfolio, within the owner's quota (counted under a lock per owner, so no race passes it). */
    async create(actor: TActor, settings: TPortfolioSettings): Promise<TPortfolioRecord> {
      requirePermission(actor, 'portfolios:manage');
      const { userId } = requireUser(actor);
      return inTransaction(db, async (tx) => {
        await lockKey(tx, `quota:portfolios:${userId}`);
        if ((await countPortfolios(tx, userId)) >= quotas.portfoliosPerUser)
          throw quotaExceeded('portfolios_per_user', quotas.portfoliosPerUser, 'portfolios per user');
        return insertPortfolio(tx, userId, settings);
      });
    },

    /** The caller's portfolios (an admin's own too: portfolios:admin reads others' by id), oldest first. */
    async list(actor: TActor, query: { limit: number; cursor?: { at: string; id: string } }) {
      requirePermission(actor, 'portfolios:manage');
      const ownerId = requireUser(actor).userId;
      return keysetPage(
        query.limit,
        (limit) =>
          listPortfolios(db, {
            ownerId,
            limit,
            ...(query.cursor ? { after: { created_at: query.cursor.at, id: query.cursor.id } } : {}),
          }),
        (last) => timeCursor(last.created_at, last.id),
      );
    },

    get: (actor: TActor, id: string) => access.access(actor, id),

    /** Settings; a new cost-basis method, fee rule or cash rule recomputes the history (422 if it no longer holds). */
    update(actor: TActor, id: string, patch: Partial<TPortfolioSettings>): Promise<TPortfolioRecord> {
      return access.change(actor, id, async (tx, portfolio) => {
        ledgerOf({ ...portfolio, ...patch }, await allTransactions(tx, id));
        return updatePortfolio(tx, id, patch);
      });
    },

    remove: access.remove,

    /** For alerts: a portfolio by id, without an actor (the alert's owner is the portfolio's). */
    find: (id: string) => findPortfolio(db, id),

    ...createTransactionsService({ db, quotas, access, prepare }),
    ...createCsvTransfer({
      db,
      quotas,
      now,
      access: access.access,
      change: access.change,
      prepare,
      insertChecked,
    }),
    ...createValuationService({ db, prices, now, access }),
    ...createTargetsService({ db, prices, quotas, access }),
  };
}
