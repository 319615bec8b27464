import type { DataSource } from 'typeorm';
import { createPriceReader } from '../market/index.ts';
import { ownsOrMay, requirePermission, requireUser, type TActor } from '../platform/access/index.ts';
import { inTransaction, type TQueryable } from '../platform/db/tx.ts';
import { AppError, ErrorCode } from '../platform/errors/app-error.ts';
import { parseCsv, toCsv, CsvError } from './csv.ts';
import { dec, type Decimal, money, sum, ZERO } from './decimal.ts';
import { decimalOrNull, driftOf, holdingsOf, realizedOf } from './holdings.ts';
import { GENERIC_COLUMNS, readRows, type TImportFormat, type TRowResult } from './import-formats.ts';
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
  deletePortfolio,
  deleteTransaction,
  findPortfolio,
  insertPortfolio,
  insertTransactions,
  listPortfolios,
  listTransactions,
  readTargets,
  replaceTargets,
  updatePortfolio,
  updateTransaction,
  type TPortfolioRecord,
  type TPortfolioSettings,
  type TTransactionFilter,
  type TTransactionInput,
  type TTransactionRecord,
} from './portfolios.repository.ts';

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

export type TPortfoliosService = ReturnType<typeof createPortfoliosService>;

/**
 * Portfolios and everything computed from them. Every call takes the actor: a portfolio exists only
 * for its owner and for holders of portfolios:admin (404 for anyone else, so ids do not leak). Writes
 * lock the portfolio row, apply the change, recompute the whole ledger and commit only a history the
 * rules accept; `onChange` then runs (cache invalidation).
 */
export function createPortfoliosService(deps: {
  db: DataSource;
  onChange?: (portfolioId: string) => Promise<void>;
  now?: () => Date;
}) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
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
    await deps.onChange?.(id).catch(() => undefined);
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
      if (body.timestamp.getTime() > now().getTime() + 60_000)
        throw unprocessable('timestamp: transactions cannot be in the future', { reason: 'future' });
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

  function rangeOf(
    query: { range?: TPerformanceRange; from?: string; to?: string },
    firstDay: string,
  ): { from: string; to: string } {
    const to = query.to ?? today();
    if (query.from) return { from: query.from, to };
    const back = (days: number) => addDays(to, -days + 1);
    switch (query.range ?? 'all') {
      case '7d':
        return { from: back(7), to };
      case '30d':
        return { from: back(30), to };
      case '90d':
        return { from: back(90), to };
      case '1y':
        return { from: back(365), to };
      case '3y':
        return { from: back(1095), to };
      case 'ytd':
        return { from: `${to.slice(0, 4)}-01-01`, to };
      default:
        return { from: firstDay < to ? firstDay : to, to };
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

    async create(actor: TActor, settings: TPortfolioSettings): Promise<TPortfolioRecord> {
      requirePermission(actor, 'portfolios:manage');
      return insertPortfolio(db, requireUser(actor).userId, settings);
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
      await deps.onChange?.(id).catch(() => undefined);
    },

    addTransaction(actor: TActor, id: string, body: TTransactionBody): Promise<TTransactionRecord> {
      return change(actor, id, async (tx, portfolio) => {
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

    /**
     * Imports a CSV. A dry run previews every row (its transaction or its errors) and whether the whole
     * history would hold; a real run writes all rows or none. Rows whose external id the portfolio already
     * has are skipped, so importing the same file twice adds nothing.
     */
    async importCsv(
      actor: TActor,
      id: string,
      input: { format: TImportFormat; csv: string; dryRun: boolean },
    ) {
      await access(actor, id);
      let rows: TRowResult[];
      try {
        rows = readRows(input.format, parseCsv(input.csv));
      } catch (error) {
        throw new AppError(ErrorCode.ValidationFailed, {
          detail: `body: ${error instanceof CsvError || error instanceof Error ? error.message : String(error)}`,
          errors: [
            { name: 'body', in: 'body', detail: error instanceof Error ? error.message : String(error) },
          ],
        });
      }
      if (rows.length > 50_000)
        throw unprocessable('at most 50,000 rows per import', { reason: 'too_many_rows' });
      const existing = new Set(
        (await allTransactions(db, id))
          .map((tx) => tx.external_id)
          .filter((value): value is string => Boolean(value)),
      );
      const seen = new Set<string>();
      const preview = rows.map((row) => {
        const externalId = row.transaction?.external_id;
        const duplicate = externalId !== undefined && (existing.has(externalId) || seen.has(externalId));
        if (externalId) seen.add(externalId);
        const status: 'error' | 'skipped' | 'new' = row.errors.length
          ? 'error'
          : duplicate
            ? 'skipped'
            : 'new';
        return { ...row, status };
      });
      const fresh = preview.filter((row) => row.status === 'new').map((row) => row.transaction!);
      let problem: Record<string, unknown> | null = null;
      const bad = preview.filter((row) => row.status === 'error');
      const write = async (tx: TQueryable, locked: TPortfolioRecord) =>
        insertChecked(tx, locked, await prepare(fresh));
      if (!bad.length && fresh.length) {
        try {
          if (input.dryRun) {
            // The whole import in a transaction that is always rolled back: the same checks, nothing kept.
            await inTransaction(db, async (tx) => {
              await write(tx, await access(actor, id, tx, true));
              throw new DryRunDone();
            });
          } else {
            await change(actor, id, (tx, locked) => write(tx, locked));
          }
        } catch (error) {
          if (error instanceof DryRunDone) {
            // nothing to report
          } else if (error instanceof AppError && error.code === ErrorCode.Unprocessable) {
            problem = { detail: error.detail, ...error.extensions };
            if (!input.dryRun) throw error;
          } else throw error;
        }
      }
      if (bad.length && !input.dryRun) {
        throw unprocessable(`${bad.length} row(s) cannot be imported; nothing was written`, {
          reason: 'invalid_rows',
          rows: bad.slice(0, 100).map((row) => ({ row: row.row, errors: row.errors })),
        });
      }
      return {
        dry_run: input.dryRun,
        format: input.format,
        rows: preview.length,
        imported: input.dryRun ? 0 : fresh.length,
        new: fresh.length,
        skipped: preview.filter((row) => row.status === 'skipped').length,
        errors: bad.length,
        problem,
        preview: input.dryRun
          ? preview.map((row) => ({
              row: row.row,
              status: row.status,
              errors: row.errors,
              transaction: row.transaction && {
                ...row.transaction,
                timestamp: row.transaction.timestamp.toISOString(),
              },
            }))
          : [],
      };
    },

    /** Every transaction as CSV in the generic import format (what import?format=generic reads back). */
    async exportCsv(actor: TActor, id: string): Promise<string> {
      await access(actor, id);
      const records = await allTransactions(db, id);
      // Text a spreadsheet would run as a formula is prefixed with an apostrophe (OWASP CSV injection).
      const safe = (text: string | null) => (text && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text);
      return toCsv(
        GENERIC_COLUMNS,
        records.map((tx) => [
          tx.timestamp,
          tx.type,
          tx.symbol,
          tx.quantity,
          tx.price,
          tx.fee,
          safe(tx.notes),
          safe(tx.external_id ?? `id:${tx.id}`),
          tx.lot_ids?.join(';') ?? null,
        ]),
      );
    },

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
      if (from > to) throw new AppError(ErrorCode.ValidationFailed, { detail: 'from: must not be after to' });
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

/** Thrown to roll back a dry run's transaction after its checks passed. */
class DryRunDone extends Error {}
