import { changedRows, type TQueryable } from '../platform/db/tx.ts';
import type { TCostBasisMethod } from './ledger.ts';
import type { TTransaction, TTransactionRecord, TTransactionType } from './transaction.ts';

export type TPortfolioSettings = {
  name: string;
  cost_basis_method: TCostBasisMethod;
  fees_in_cost_basis: boolean;
  cash_tracking: boolean;
  allow_negative: boolean;
};

export type TPortfolioRecord = TPortfolioSettings & {
  id: string;
  owner_id: string;
  base_currency: 'USD';
  revision: string;
  created_at: string;
  updated_at: string;
};

type TPortfolioRow = Omit<TPortfolioRecord, 'created_at' | 'updated_at'> & {
  created_at: Date;
  updated_at: Date;
};

const PORTFOLIO_COLUMNS =
  'id, owner_id, name, base_currency, cost_basis_method, fees_in_cost_basis, cash_tracking, allow_negative, revision::text AS revision, created_at, updated_at';

const toPortfolio = (row: TPortfolioRow): TPortfolioRecord => ({
  ...row,
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
});

export async function insertPortfolio(
  q: TQueryable,
  ownerId: string,
  settings: TPortfolioSettings,
): Promise<TPortfolioRecord> {
  const [row]: TPortfolioRow[] = await q.query(
    `INSERT INTO portfolios (owner_id, name, cost_basis_method, fees_in_cost_basis, cash_tracking, allow_negative)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${PORTFOLIO_COLUMNS}`,
    [
      ownerId,
      settings.name,
      settings.cost_basis_method,
      settings.fees_in_cost_basis,
      settings.cash_tracking,
      settings.allow_negative,
    ],
  );
  return toPortfolio(row!);
}

export async function countPortfolios(q: TQueryable, ownerId: string): Promise<number> {
  const [row]: { count: number }[] = await q.query(
    'SELECT count(*)::int AS count FROM portfolios WHERE owner_id = $1',
    [ownerId],
  );
  return row!.count;
}

export async function countTransactions(q: TQueryable, portfolioId: string): Promise<number> {
  const [row]: { count: number }[] = await q.query(
    'SELECT count(*)::int AS count FROM portfolio_transactions WHERE portfolio_id = $1',
    [portfolioId],
  );
  return row!.count;
}

export async function findPortfolio(
  q: TQueryable,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<TPortfolioRecord | null> {
  const [row]: TPortfolioRow[] = await q.query(
    `SELECT ${PORTFOLIO_COLUMNS} FROM portfolios WHERE id = $1${options.forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return row ? toPortfolio(row) : null;
}

/** A page of portfolios (of one owner, or of everyone), oldest first, after the keyset cursor. */
export async function listPortfolios(
  q: TQueryable,
  filter: { ownerId?: string; limit: number; after?: { created_at: string; id: string } },
): Promise<TPortfolioRecord[]> {
  const params: unknown[] = [];
  const where: string[] = [];
  if (filter.ownerId) where.push(`owner_id = $${params.push(filter.ownerId)}`);
  if (filter.after) {
    where.push(
      `(created_at, id) > ($${params.push(filter.after.created_at)}::timestamptz, $${params.push(filter.after.id)}::uuid)`,
    );
  }
  const rows: TPortfolioRow[] = await q.query(
    `SELECT ${PORTFOLIO_COLUMNS} FROM portfolios ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY created_at, id LIMIT $${params.push(filter.limit)}`,
    params,
  );
  return rows.map(toPortfolio);
}

/** Applies a settings change (or none) and bumps the revision that cached answers key on. */
export async function updatePortfolio(
  q: TQueryable,
  id: string,
  change: Partial<TPortfolioSettings>,
): Promise<TPortfolioRecord> {
  const [row] = await changedRows<TPortfolioRow>(
    q,
    `UPDATE portfolios SET
       name = COALESCE($2, name),
       cost_basis_method = COALESCE($3, cost_basis_method),
       fees_in_cost_basis = COALESCE($4, fees_in_cost_basis),
       cash_tracking = COALESCE($5, cash_tracking),
       allow_negative = COALESCE($6, allow_negative),
       revision = revision + 1,
       updated_at = now()
     WHERE id = $1 RETURNING ${PORTFOLIO_COLUMNS}`,
    [
      id,
      change.name ?? null,
      change.cost_basis_method ?? null,
      change.fees_in_cost_basis ?? null,
      change.cash_tracking ?? null,
      change.allow_negative ?? null,
    ],
  );
  return toPortfolio(row!);
}

export async function deletePortfolio(q: TQueryable, id: string): Promise<void> {
  await q.query('DELETE FROM portfolios WHERE id = $1', [id]);
}

type TTransactionRow = Omit<TTransactionRecord, 'timestamp' | 'created_at' | 'sequence'> & {
  timestamp: Date;
  created_at: Date;
  sequence: string;
};

const TRANSACTION_COLUMNS =
  // trim_scale: "0.5", not NUMERIC(38,18)'s "0.500000000000000000".
  'id, portfolio_id, sequence, type, symbol, trim_scale(quantity)::text AS quantity, trim_scale(price)::text AS price, trim_scale(fee)::text AS fee, "timestamp", notes, external_id, lot_ids, created_at';

const toTransaction = (row: TTransactionRow): TTransactionRecord => ({
  ...row,
  sequence: Number(row.sequence),
  timestamp: row.timestamp.toISOString(),
  created_at: row.created_at.toISOString(),
});

/** Every transaction of a portfolio in ledger order (time, then entry order). */
export async function allTransactions(q: TQueryable, portfolioId: string): Promise<TTransactionRecord[]> {
  const rows: TTransactionRow[] = await q.query(
    `SELECT ${TRANSACTION_COLUMNS} FROM portfolio_transactions WHERE portfolio_id = $1 ORDER BY "timestamp", sequence`,
    [portfolioId],
  );
  return rows.map(toTransaction);
}

/** What the daily valuation reads of a transaction (no notes, external ids or entry times). */
export type TValuationRow = Pick<
  TTransactionRecord,
  'id' | 'type' | 'symbol' | 'quantity' | 'price' | 'fee' | 'lot_ids'
> & { sequence: string; timestamp: Date };

/** Every transaction of a portfolio in ledger order, as the daily valuation reads them. */
export function valuationRows(q: TQueryable, portfolioId: string): Promise<TValuationRow[]> {
  return q.query(
    `SELECT id, sequence, type, symbol, trim_scale(quantity)::text AS quantity, trim_scale(price)::text AS price,
            trim_scale(fee)::text AS fee, "timestamp", lot_ids
     FROM portfolio_transactions WHERE portfolio_id = $1 ORDER BY "timestamp", sequence`,
    [portfolioId],
  );
}

/** The symbols a portfolio's transactions name (cash among them when it has cash rows), in no order. */
export async function tradedSymbols(q: TQueryable, portfolioId: string): Promise<string[]> {
  const rows: { symbol: string }[] = await q.query(
    'SELECT DISTINCT symbol FROM portfolio_transactions WHERE portfolio_id = $1',
    [portfolioId],
  );
  return rows.map((row) => row.symbol);
}

export type TTransactionFilter = {
  symbol?: string;
  type?: TTransactionType;
  from?: Date;
  to?: Date;
  limit: number;
  after?: { timestamp: string; sequence: number };
};

/** A page of transactions, oldest first, after the keyset cursor. */
export async function listTransactions(
  q: TQueryable,
  portfolioId: string,
  filter: TTransactionFilter,
): Promise<TTransactionRecord[]> {
  const params: unknown[] = [portfolioId];
  const where = ['portfolio_id = $1'];
  if (filter.symbol) where.push(`symbol = $${params.push(filter.symbol)}`);
  if (filter.type) where.push(`type = $${params.push(filter.type)}`);
  if (filter.from) where.push(`"timestamp" >= $${params.push(filter.from)}`);
  if (filter.to) where.push(`"timestamp" <= $${params.push(filter.to)}`);
  if (filter.after) {
    where.push(
      `("timestamp", sequence) > ($${params.push(filter.after.timestamp)}::timestamptz, $${params.push(filter.after.sequence)})`,
    );
  }
  const rows: TTransactionRow[] = await q.query(
    `SELECT ${TRANSACTION_COLUMNS} FROM portfolio_transactions WHERE ${where.join(' AND ')}
     ORDER BY "timestamp", sequence LIMIT $${params.push(filter.limit)}`,
    params,
  );
  return rows.map(toTransaction);
}

/** Inserts transactions with one statement (unnest of arrays); returns them in input order. */
export async function insertTransactions(
  q: TQueryable,
  portfolioId: string,
  transactions: readonly TTransaction[],
): Promise<TTransactionRecord[]> {
  if (!transactions.length) return [];
  const column = <K extends keyof TTransaction>(key: K) => transactions.map((tx) => tx[key]);
  const rows: (TTransactionRow & { ordinal: string })[] = await q.query(
    `INSERT INTO portfolio_transactions (portfolio_id, type, symbol, quantity, price, fee, "timestamp", notes, external_id, lot_ids)
     SELECT $1, t.type, t.symbol, t.quantity, t.price, t.fee, t.at, t.notes, t.external_id,
            CASE WHEN t.lot_ids IS NULL THEN NULL ELSE string_to_array(t.lot_ids, ',')::uuid[] END
     FROM unnest($2::text[], $3::text[], $4::numeric[], $5::numeric[], $6::numeric[], $7::timestamptz[], $8::text[], $9::text[], $10::text[])
          WITH ORDINALITY AS t(type, symbol, quantity, price, fee, at, notes, external_id, lot_ids, ordinal)
     ORDER BY t.ordinal
     RETURNING ${TRANSACTION_COLUMNS}`,
    [
      portfolioId,
      column('type'),
      column('symbol'),
      column('quantity'),
      column('price'),
      column('fee'),
      column('timestamp').map((at) => at.toISOString()),
      column('notes'),
      column('external_id'),
      column('lot_ids').map((ids) => (ids ? ids.join(',') : null)),
    ],
  );
  return rows.map(toTransaction);
}

export async function updateTransaction(
  q: TQueryable,
  id: string,
  tx: TTransaction,
): Promise<TTransactionRecord> {
  const [row] = await changedRows<TTransactionRow>(
    q,
    `UPDATE portfolio_transactions SET type = $2, symbol = $3, quantity = $4, price = $5, fee = $6, "timestamp" = $7,
       notes = $8, external_id = $9, lot_ids = $10::uuid[]
     WHERE id = $1 RETURNING ${TRANSACTION_COLUMNS}`,
    [
      id,
      tx.type,
      tx.symbol,
      tx.quantity,
      tx.price,
      tx.fee,
      tx.timestamp,
      tx.notes,
      tx.external_id,
      tx.lot_ids,
    ],
  );
  return toTransaction(row!);
}

export async function deleteTransaction(q: TQueryable, id: string): Promise<void> {
  await q.query('DELETE FROM portfolio_transactions WHERE id = $1', [id]);
}

export async function bumpRevision(q: TQueryable, portfolioId: string): Promise<void> {
  await q.query('UPDATE portfolios SET revision = revision + 1, updated_at = now() WHERE id = $1', [
    portfolioId,
  ]);
}
