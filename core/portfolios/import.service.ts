import type { DataSource } from 'typeorm';
import type { TActor } from '../platform/access/index.ts';
import { inTransaction, type TQueryable } from '../platform/db/tx.ts';
import { AppError, ErrorCode } from '../platform/errors/app-error.ts';
import {
  IMPORT_MAX_FIELDS,
  IMPORT_MAX_RECORD_CHARS,
  quotaExceeded,
  type TPortfolioQuotas,
} from './bounds.ts';
import { guardFormula, toCsv } from './csv.ts';
import { CsvRefusal, readCsv } from './csv-reader.ts';
import { GENERIC_COLUMNS, readRows, requiredColumns, type TImportFormat } from './import-formats.ts';
import { allTransactions, type TPortfolioRecord } from './portfolios.repository.ts';
import type { TPrepare } from './prepare.ts';
import type { TTransactionRecord } from './transaction.ts';
import type { TInsertChecked } from './transactions.service.ts';

/** What the portfolios service lends the import: access, its lock, and its checked writes. */
export type TTransferDeps = {
  db: DataSource;
  quotas: TPortfolioQuotas;
  now: () => Date;
  access: (actor: TActor, id: string, q?: TQueryable, forUpdate?: boolean) => Promise<TPortfolioRecord>;
  change: <T>(
    actor: TActor,
    id: string,
    work: (tx: TQueryable, portfolio: TPortfolioRecord) => Promise<T>,
  ) => Promise<T>;
  prepare: TPrepare;
  insertChecked: TInsertChecked;
};

const unprocessable = (detail: string, extensions: Record<string, unknown>) =>
  new AppError(ErrorCode.Unprocessable, { detail, extensions });

/** The ids a re-import recognises: each transaction's external id, and the `id:<uuid>` the export gives one without. */
const knownIds = (records: readonly TTransactionRecord[]) =>
  new Set(records.flatMap((tx) => (tx.external_id ? [tx.external_id, `id:${tx.id}`] : [`id:${tx.id}`])));

/** Thrown to roll back a dry run's transaction after its checks passed. */
class DryRunDone extends Error {}

/**
 * CSV import and export of a portfolio's transactions. The export writes the generic format with every
 * transaction's id, so importing an export into the same portfolio adds nothing, and into another gives
 * the same history.
 */
export function createCsvTransfer(deps: TTransferDeps) {
  const { db, quotas } = deps;

  /** The file's rows, read with every limit checked while streaming; a file that cannot be read is a 422. */
  async function rowsOf(format: TImportFormat, csv: string) {
    try {
      const file = await readCsv(
        csv,
        { required: requiredColumns(format), format },
        {
          maxRows: quotas.importMaxRows,
          maxFields: IMPORT_MAX_FIELDS,
          maxRecordChars: IMPORT_MAX_RECORD_CHARS,
        },
      );
      return readRows(format, file, { delimiter: file.delimiter, now: deps.now() });
    } catch (error) {
      if (error instanceof CsvRefusal)
        throw unprocessable(`body: ${error.message}`, { reason: error.reason });
      throw error;
    }
  }

  /** Past the portfolio's transaction quota nothing is written (checked again under the lock). */
  function checkQuota(existing: number, adding: number) {
    if (existing + adding > quotas.transactionsPerPortfolio)
      throw quotaExceeded(
        'transactions_per_portfolio',
        quotas.transactionsPerPortfolio,
        `transactions per portfolio: it holds ${existing}, the file adds ${adding}`,
      );
  }

  return {
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
      await deps.access(actor, id);
      const rows = await rowsOf(input.format, input.csv);
      const records = await allTransactions(db, id);
      const existing = knownIds(records);
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
      const bad = preview.filter((row) => row.status === 'error');
      if (bad.length && !input.dryRun) {
        throw unprocessable(`${bad.length} row(s) cannot be imported; nothing was written`, {
          reason: 'invalid_rows',
          rows: bad.slice(0, 100).map((row) => ({ row: row.row, errors: row.errors })),
        });
      }
      let problem: Record<string, unknown> | null = null;
      const write = async (tx: TQueryable, locked: TPortfolioRecord) => {
        checkQuota((await allTransactions(tx, id)).length, fresh.length);
        return deps.insertChecked(tx, locked, await deps.prepare(fresh));
      };
      if (!bad.length && fresh.length) {
        try {
          checkQuota(records.length, fresh.length);
          if (input.dryRun) {
            // The whole import in a transaction that is always rolled back: the same checks, nothing kept.
            await inTransaction(db, async (tx) => {
              await write(tx, await deps.access(actor, id, tx, true));
              throw new DryRunDone();
            });
          } else {
            await deps.change(actor, id, (tx, locked) => write(tx, locked));
          }
        } catch (error) {
          if (error instanceof DryRunDone) {
            // nothing to report
          } else if (error instanceof AppError && error.code === ErrorCode.Unprocessable && input.dryRun) {
            problem = { detail: error.detail, ...error.extensions };
          } else throw error;
        }
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
      await deps.access(actor, id);
      const records = await allTransactions(db, id);
      return toCsv(
        GENERIC_COLUMNS,
        records.map((tx) => [
          tx.timestamp,
          tx.type,
          tx.symbol,
          tx.quantity,
          tx.price,
          tx.fee,
          tx.notes === null ? null : guardFormula(tx.notes),
          guardFormula(tx.external_id ?? `id:${tx.id}`),
          tx.lot_ids?.join(';') ?? null,
        ]),
      );
    },
  };
}
