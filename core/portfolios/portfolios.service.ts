import type { TJobs } from '../platform/jobs/index.ts';
import type { DataSource } from 'typeorm';
import { createPriceReader } from '../market/index.ts';
import { ownsOrMay, requirePermission, requireUser, type TActor } from '../platform/access/index.ts';
import { inTransaction, lockKey, type TQueryable } from '../platform/db/tx.ts';
import { AppError, ErrorCode } from '../platform/errors/app-error.ts';
import {
  DEFAULT_QUOTAS,
  EARLIEST_DAY,
  quotaExceeded,
  timestampOutOfBounds,
  type TPortfolioQuotas,
} from './bounds.ts';
import { dec, type Decimal, money, sum, ZERO } from './decimal.ts';
import { decimalOrNull, driftOf, holdingsOf, realizedOf } from './holdings.ts';
import { createCsvTransfer } from './import.service.ts';
import {
  CASH,
  CASH_TYPES,
  LedgerError,
  PRICED_TYPES,
  runLedger,
  type TLedger,
  type TLedgerTransaction,
  type TTransactionType,
} from './ledger.ts';
import {
  addDays,
  benchmarkReturn,
  dailyValues,
  decimalCloses,
  isoDay,
  performanceOf,
} from './performance.ts';
import { portfolioRisk } from './portfolio-risk.ts';
import {
  allTransactions,
  bumpRevision,
  countPortfolios,
  countTransactions,
  deletePortfolio,
  deleteTransaction,
  findPortfolio,
  insertPortfolio,
  insertTransactions,
  listPortfolios,
  listTransactions,
  updatePortfolio,
  updateTransaction,
  type TPortfolioRecord,
  type TPortfolioSettings,
  type TTransactionFilter,
  type TTransactionInput,
  type TTransactionRecord,
} from './portfolios.repository.ts';
import { readTargets, replaceTargets } from './targets.repository.ts';

export const PERFORMANCE_RANGES = ['7d', '30d', '90d', 'ytd', '1y', '3y', 'all'] as const;
export type TPerformanceRange = (typeof PERFORMANCE_RANGES)[number];

export type TTransactionBody = {
  type: TTransactionType;
  symbol: string;
  quantity: string;
  price?: string | null;
  fee?: string;
  timestamp: Date;
  notes?: string | null;
  external_id?: string | null;
  lot_ids?: string[] | null;
};

const notFound = (what: string, id: string) =>
  new AppError(ErrorCode.NotFound, { detail: `No ${what} with id "${id}".` });
const unprocessable = (detail: string, extensions?: Record<string, unknown>) =>
  new AppError(ErrorCode.Unprocessable, { detail, ...(extensions ? { extensions } : {}) });

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

declare module '../platform/jobs/events.ts' {
  interface TEvents {
    /** A write to a portfolio committed (its transactions, settings, targets or limits). */
    'portfolio.changed': { portfolio_id: string };
  }
}

export type TPortfoliosService = ReturnType<typeof createPortfoliosService>;

/**
 * Portfolios and everything computed from them. Every call takes the actor: a portfolio exists only
 * for its owner and for holders of portfolios:admin (404 for anyone else, so ids do not leak). Writes
 * lock the portfolio row, apply the change, recompute the whole ledger and commit only a history the
 * rules accept; then `portfolio.changed` is announced (core/workflows.ts says what follows).
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

  async function access(actor: TActor, id: string, q: TQueryable = db, forUpdate = false) {
    requirePermission(actor, 'portfolios:manage');
    const user = requireUser(actor);
    const portfolio = await findPortfolio(q, id, { forUpdate });
    if (!portfolio || !ownsOrMay(user, portfolio.owner_id, 'portfolios:admin'))
      throw notFound('portfolio', id);
    return portfolio;
  }

  /** Runs a change under the portfolio's lock; the history must still pass the ledger to commit. */
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
    await deps.jobs?.announce('portfolio.changed', { portfolio_id: id }).catch(() => undefined);
    return result;
  }

  /**
   * Checks symbols and fills in prices: a coin must be one the platform knows (cash movements use USD);
   * income and transfers without a price take that day's close.
   */
  async function prepare(bodies: readonly TTransactionBody[]): Promise<TTransactionInput[]> {
    const coins = [...new Set(bodies.filter((body) => body.symbol !== CASH).map((body) => body.symbol))];
    const known = await prices.coins(coins);
    const unknown = coins.filter((symbol) => !known.has(symbol));
    if (unknown.length)
      throw unprocessable(`unknown symbol(s): ${unknown.join(', ')}`, {
        reason: 'unknown_symbol',
        symbols: unknown,
      });
    const closes = new Map<string, Map<string, string>>();
    const closeOn = async (symbol: string, day: string) => {
      if (!closes.has(day)) closes.set(day, await prices.closesOn(coins, day));
      return closes.get(day)!.get(symbol) ?? null;
    };
    const prepared: TTransactionInput[] = [];
    for (const body of bodies) {
      const isCash = CASH_TYPES.includes(body.type) || (body.type === 'fee' && body.symbol === CASH);
      if (CASH_TYPES.includes(body.type) && body.symbol !== CASH)
        throw unprocessable(`${body.type}s move cash: their symbol is ${CASH}`, { reason: 'cash_symbol' });
      if (!isCash && body.symbol === CASH)
        throw unprocessable(`a ${body.type} needs a coin, not ${CASH}`, { reason: 'cash_symbol' });
      const outside = timestampOutOfBounds(body.timestamp, now());
      if (outside)
        throw unprocessable(`timestamp: ${body.timestamp.toISOString()} is ${outside}`, {
          reason: outside === 'in the future' ? 'future' : 'too_early',
        });
      let price = body.price ?? null;
      if (PRICED_TYPES.includes(body.type) && price === null)
        throw unprocessable(`a ${body.type} needs its price`, { reason: 'price_required' });
      if (!isCash && price === null) {
        price = await closeOn(body.symbol, isoDay(body.timestamp));
        if (price === null)
          throw unprocessable(
            `no close of ${body.symbol} on ${isoDay(body.timestamp)} to value this ${body.type}; give its price`,
            {
              reason: 'price_required',
            },
          );
      }
      prepared.push({
        type: body.type,
        symbol: body.symbol,
        quantity: body.quantity,
        price: isCash ? null : price,
        fee: body.fee ?? '0',
        timestamp: body.timestamp,
        notes: body.notes ?? null,
        external_id: body.external_id ?? null,
        lot_ids: body.lot_ids?.length ? body.lot_ids : null,
      });
    }
    return prepared;
  }

  /** Inserts, then proves the whole history still holds together (a 422 rolls everything back). */
  async function insertChecked(tx: TQueryable, portfolio: TPortfolioRecord, inputs: TTransactionInput[]) {
    const inserted = await insertTransactions(tx, portfolio.id, inputs).catch((error: unknown) => {
      if ((error as { driverError?: { code?: string } }).driverError?.code === '23505')
        throw new AppError(ErrorCode.Conflict, {
          detail: 'A transaction with this external_id already exists in the portfolio.',
        });
      throw error;
    });
    ledgerOf(portfolio, await allTransactions(tx, portfolio.id));
    return inserted;
  }

  /** Valuation inputs for a date range: the history and the daily closes of its coins and the benchmark. */
  async function history(portfolio: TPortfolioRecord, symbols: readonly string[], from: string, to: string) {
    const records = await allTransactions(db, portfolio.id);
    const coins = [
      ...new Set([...records.filter((tx) => tx.symbol !== CASH).map((tx) => tx.symbol), ...symbols]),
    ];
    const rows = await prices.dailyCloses(coins, from, to);
    const closes = new Map([...rows].map(([symbol, series]) => [symbol, decimalCloses(series)]));
    return { records, closes };
  }

  const today = () => isoDay(now());

  /**
   * The days a performance query covers, within [EARLIEST_DAY, today] whatever it asks for: days after
   * today have no data yet, days before the floor none at all. A range wholly outside is a 422.
   */
  function rangeOf(
    query: { range?: TPerformanceRange; from?: string; to?: string },
    firstDay: string,
  ): { from: string; to: string } {
    const latest = today();
    if (query.from && query.to && query.from > query.to)
      throw new AppError(ErrorCode.ValidationFailed, {
        detail: 'from: must not be after to',
        errors: [{ name: 'from', in: 'query', detail: 'must not be after to' }],
      });
    if (query.from && query.from > latest)
      throw unprocessable(`from: ${query.from} is after today (${latest}); there is no data yet`, {
        reason: 'out_of_range',
      });
    if (query.to && query.to < EARLIEST_DAY)
      throw unprocessable(
        `to: ${query.to} is before ${EARLIEST_DAY}, the earliest day a portfolio can have`,
        {
          reason: 'out_of_range',
        },
      );
    const to = query.to && query.to < latest ? query.to : latest;
    const floor = (from: string) => ({ from: from < EARLIEST_DAY ? EARLIEST_DAY : from, to });
    if (query.from) return floor(query.from);
    const back = (days: number) => addDays(to, -days + 1);
    switch (query.range ?? 'all') {
      case '7d':
        return floor(back(7));
      case '30d':
        return floor(back(30));
      case '90d':
        return floor(back(90));
      case '1y':
        return floor(back(365));
      case '3y':
        return floor(back(1095));
      case 'ytd':
        return floor(`${to.slice(0, 4)}-01-01`);
      default:
        return floor(firstDay < to ? firstDay : to);
    }
  }

  async function riskOf(
    portfolio: TPortfolioRecord,
    query: { window: number; benchmark: string; risk_free_rate: number },
  ) {
    const id = portfolio.id;
    const to = today();
    const from = addDays(to, -query.window + 1);
    if ((await prices.coins([query.benchmark])).size === 0)
      throw new AppError(ErrorCode.NotFound, {
        detail: `No cryptocurrency with symbol "${query.benchmark}".`,
      });
    const { records, closes } = await history(portfolio, [query.benchmark], addDays(from, -1), to);
    const ledger = ledgerOf(portfolio, records);
    const symbols = [...ledger.lots.keys()];
    const current = await prices.coins(symbols);
    const holdings = holdingsOf(
      ledger,
      new Map(symbols.map((symbol) => [symbol, decimalOrNull(current.get(symbol)?.price)])),
      portfolio.cash_tracking,
    );
    const valuation = dailyValues({
      transactions: records.map(toLedgerTransaction),
      closes,
      cashTracking: portfolio.cash_tracking,
      from,
      to,
    });
    return {
      portfolio_id: id,
      ...portfolioRisk({
        valuation,
        closes,
        holdings,
        benchmark: query.benchmark,
        riskFreeRate: query.risk_free_rate,
        window: query.window,
      }),
    };
  }

  return {
    /** For the feature's other services (limits): the portfolio, if the actor may see it (404 otherwise). */
    owned: (actor: TActor, id: string) => access(actor, id),
    /** For the feature's other services: a change under the portfolio's lock, retiring its cached answers. */
    changeOwned: change,

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
      const rows = await listPortfolios(db, {
        ownerId: requireUser(actor).userId,
        limit: query.limit + 1,
        ...(query.cursor ? { after: { created_at: query.cursor.at, id: query.cursor.id } } : {}),
      });
      const data = rows.slice(0, query.limit);
      return {
        data,
        pagination: {
          limit: query.limit,
          next_cursor: rows.length > query.limit ? `${data.at(-1)!.created_at}~${data.at(-1)!.id}` : null,
        },
      };
    },

    get: (actor: TActor, id: string) => access(actor, id),

    /** Settings; a new cost-basis method, fee rule or cash rule recomputes the history (422 if it no longer holds). */
    update(actor: TActor, id: string, patch: Partial<TPortfolioSettings>): Promise<TPortfolioRecord> {
      return change(actor, id, async (tx, portfolio) => {
        const next = { ...portfolio, ...patch };
        ledgerOf(next, await allTransactions(tx, id));
        return updatePortfolio(tx, id, patch);
      });
    },

    async remove(actor: TActor, id: string): Promise<void> {
      await inTransaction(db, async (tx) => {
        await access(actor, id, tx, true);
        await deletePortfolio(tx, id);
      });
      await deps.jobs?.announce('portfolio.changed', { portfolio_id: id }).catch(() => undefined);
    },

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
      const rows = await listTransactions(db, id, {
        ...rest,
        limit: filter.limit + 1,
        ...(cursor ? { after: { timestamp: cursor.at, sequence: Number(cursor.id) } } : {}),
      });
      const data = rows.slice(0, filter.limit);
      return {
        data,
        pagination: {
          limit: filter.limit,
          next_cursor:
            rows.length > filter.limit ? `${data.at(-1)!.timestamp}~${data.at(-1)!.sequence}` : null,
        },
      };
    },

    /** Replaces fields of a past transaction; the history is recomputed as if entered fresh. */
    updateTransaction(
      actor: TActor,
      id: string,
      txId: string,
      patch: Partial<TTransactionBody>,
    ): Promise<TTransactionRecord> {
      return change(actor, id, async (tx, portfolio) => {
        const records = await allTransactions(tx, id);
        const current = records.find((record) => record.id === txId);
        if (!current) throw notFound('transaction', txId);
        const merged: TTransactionBody = {
          type: patch.type ?? current.type,
          symbol: patch.symbol ?? current.symbol,
          quantity: patch.quantity ?? current.quantity,
          // A price that was filled from the close is kept unless a new one (or a new day) is given.
          price:
            patch.price !== undefined ? patch.price : patch.timestamp || patch.symbol ? null : current.price,
          fee: patch.fee ?? current.fee,
          timestamp: patch.timestamp ?? new Date(current.timestamp),
          notes: patch.notes !== undefined ? patch.notes : current.notes,
          external_id: patch.external_id !== undefined ? patch.external_id : current.external_id,
          lot_ids: patch.lot_ids !== undefined ? patch.lot_ids : current.lot_ids,
        };
        const [prepared] = await prepare([merged]);
        const updated = await updateTransaction(tx, txId, prepared!).catch((error: unknown) => {
          if ((error as { driverError?: { code?: string } }).driverError?.code === '23505')
            throw new AppError(ErrorCode.Conflict, { detail: 'Another transaction has this external_id.' });
          throw error;
        });
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

    ...createCsvTransfer({ db, quotas, now, access, change, prepare, insertChecked }),

    /** Holdings at `at` (default now, at current prices; a past time uses that day's closes). */
    async holdings(actor: TActor, id: string, at?: Date) {
      const portfolio = await access(actor, id);
      const records = (await allTransactions(db, id)).filter((tx) => !at || new Date(tx.timestamp) <= at);
      const ledger = ledgerOf(portfolio, records);
      const symbols = [...ledger.lots.keys()];
      const priced = at
        ? await prices.closesOn(symbols, isoDay(at))
        : new Map([...(await prices.coins(symbols))].map(([symbol, coin]) => [symbol, coin.price]));
      const result = holdingsOf(
        ledger,
        new Map(symbols.map((symbol) => [symbol, decimalOrNull(priced.get(symbol))])),
        portfolio.cash_tracking,
      );
      return {
        portfolio_id: id,
        at: (at ?? now()).toISOString(),
        ...result,
        income: money(ledger.income),
        fees: money(ledger.fees),
      };
    },

    async realized(actor: TActor, id: string, range: { from?: Date; to?: Date }) {
      const portfolio = await access(actor, id);
      const ledger = ledgerOf(portfolio, await allTransactions(db, id));
      return {
        portfolio_id: id,
        cost_basis_method: portfolio.cost_basis_method,
        ...realizedOf(ledger.disposals, range.from, range.to),
      };
    },

    async performance(
      actor: TActor,
      id: string,
      query: { range?: TPerformanceRange; from?: string; to?: string; benchmark: string },
    ) {
      const portfolio = await access(actor, id);
      const first = (await listTransactions(db, id, { limit: 1 }))[0];
      if (!first) throw unprocessable('the portfolio has no transactions yet', { reason: 'empty' });
      const { from, to } = rangeOf(query, isoDay(new Date(first.timestamp)));
      if ((await prices.coins([query.benchmark])).size === 0)
        throw new AppError(ErrorCode.NotFound, {
          detail: `No cryptocurrency with symbol "${query.benchmark}".`,
        });
      const { records, closes } = await history(portfolio, [query.benchmark], addDays(from, -1), to);
      const valuation = dailyValues({
        transactions: records.map(toLedgerTransaction),
        closes,
        cashTracking: portfolio.cash_tracking,
        from,
        to,
      });
      const result = performanceOf(valuation);
      const benchmark = benchmarkReturn(closes.get(query.benchmark) ?? [], valuation.start.date, to);
      return {
        portfolio_id: id,
        ...result,
        benchmark: { symbol: query.benchmark, twr: benchmark },
        excess_return: benchmark === null ? null : result.twr - benchmark,
      };
    },

    async risk(
      actor: TActor,
      id: string,
      query: { window: number; benchmark: string; risk_free_rate: number },
    ) {
      return riskOf(await access(actor, id), query);
    },

    /** For the feature's alerts: a portfolio's risk, the caller having checked access itself. */
    riskOf,

    /** For alerts: a portfolio by id, without an actor (the alert's owner is the portfolio's). */
    find: (id: string) => findPortfolio(db, id),

    /** Target weights (they must add up to 1); coins the platform knows, or USD for cash. */
    setTargets(actor: TActor, id: string, weights: Record<string, string>) {
      return change(actor, id, async (tx) => {
        const entries = Object.entries(weights).map(
          ([symbol, weight]) => [symbol.toUpperCase(), dec(weight)] as const,
        );
        const symbols = entries.map(([symbol]) => symbol);
        const repeated = symbols.filter((symbol, index) => symbols.indexOf(symbol) !== index);
        if (repeated.length)
          throw unprocessable(
            `weights: ${[...new Set(repeated)].join(', ')} given more than once (symbols are case-insensitive)`,
            {
              reason: 'duplicate_symbol',
              symbols: [...new Set(repeated)],
            },
          );
        if (entries.length > quotas.targetsPerPortfolio)
          throw unprocessable(
            `${entries.length} target weights; at most ${quotas.targetsPerPortfolio} (TARGETS_PER_PORTFOLIO)`,
            { reason: 'too_many_entries', limit: quotas.targetsPerPortfolio },
          );
        const total = sum(entries.map(([, weight]) => weight));
        if (total.minus(1).abs().gt('1e-9'))
          throw unprocessable(`weights add up to ${money(total)}, not 1`, { reason: 'weights_sum' });
        const coins = entries.map(([symbol]) => symbol).filter((symbol) => symbol !== CASH);
        const known = await prices.coins(coins);
        const unknown = coins.filter((symbol) => !known.has(symbol));
        if (unknown.length)
          throw unprocessable(`unknown symbol(s): ${unknown.join(', ')}`, {
            reason: 'unknown_symbol',
            symbols: unknown,
          });
        await replaceTargets(tx, id, new Map(entries.map(([symbol, weight]) => [symbol, money(weight)])));
        return {
          portfolio_id: id,
          weights: Object.fromEntries(entries.map(([symbol, weight]) => [symbol, money(weight)])),
        };
      });
    },

    async drift(actor: TActor, id: string) {
      const portfolio = await access(actor, id);
      const targets = await readTargets(db, id);
      if (!targets.size)
        throw unprocessable('the portfolio has no targets; PUT …/targets first', { reason: 'no_targets' });
      const ledger = ledgerOf(portfolio, await allTransactions(db, id));
      const symbols = [...new Set([...ledger.lots.keys(), ...targets.keys()])].filter(
        (symbol) => symbol !== CASH,
      );
      const current = await prices.coins(symbols);
      const values = new Map<string, { value: Decimal; price: Decimal | null }>();
      for (const symbol of symbols) {
        const price = decimalOrNull(current.get(symbol)?.price);
        const quantity = sum((ledger.lots.get(symbol) ?? []).map((lot) => lot.quantity));
        values.set(symbol, { value: price ? quantity.times(price) : ZERO, price });
      }
      if (portfolio.cash_tracking || targets.has(CASH))
        values.set(CASH, { value: portfolio.cash_tracking ? ledger.cash : ZERO, price: dec(1) });
      return {
        portfolio_id: id,
        ...driftOf(values, new Map([...targets].map(([symbol, weight]) => [symbol, dec(weight)]))),
      };
    },
  };
}
