import type { DataSource, EntityManager } from 'typeorm';

/** What a repository function runs its SQL on: the data source, or a transaction in progress. */
export type TQueryable = Pick<EntityManager, 'query'>;

/**
 * Runs `work` in one transaction. Repository functions take the `tx` they are given, so that, for
 * example, an audit row commits or rolls back with the change it records.
 */
export function inTransaction<T>(db: DataSource, work: (tx: TQueryable) => Promise<T>): Promise<T> {
  return db.transaction((manager) => work(manager));
}

/**
 * The RETURNING rows of an UPDATE or DELETE. TypeORM answers those two commands with
 * `[rows, rowCount]` rather than the rows it returns for every other statement.
 */
export async function changedRows<T>(q: TQueryable, sql: string, parameters: unknown[]): Promise<T[]> {
  const [rows]: [T[], number] = await q.query(sql, parameters);
  return rows;
}
