import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { testConfig } from '../../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../../test/db.ts';
import { inTransaction } from './tx.ts';

let database: TTestDatabase;
beforeAll(async () => {
  database = await createTestDatabase(testConfig());
  await database.db.query(`CREATE TABLE tx_rows (id int PRIMARY KEY, touched int NOT NULL DEFAULT 0)`);
});
afterAll(() => database.drop());

/** Resolves once both transactions hold their first lock, so the second locks cross for certain. */
function barrier(parties: number) {
  let arrived = 0;
  let release!: () => void;
  const open = new Promise<void>((resolve) => (release = resolve));
  return () => {
    arrived += 1;
    if (arrived === parties) release();
    return open;
  };
}

test('When two transactions lock rows in opposite orders (a real deadlock), then the victim runs again and both commit', async () => {
  await database.db.query(`INSERT INTO tx_rows (id) VALUES (1), (2)`);
  const bothHoldOne = barrier(2);
  let attempts = 0;
  const lockBoth = (first: number, second: number) =>
    inTransaction(database.db, async (tx) => {
      attempts += 1;
      await tx.query(`UPDATE tx_rows SET touched = touched + 1 WHERE id = $1`, [first]);
      if (attempts <= 2) await bothHoldOne();
      await tx.query(`UPDATE tx_rows SET touched = touched + 1 WHERE id = $1`, [second]);
    });

  await Promise.all([lockBoth(1, 2), lockBoth(2, 1)]);

  expect(attempts).toBe(3);
  const rows: { id: number; touched: number }[] = await database.db.query(
    `SELECT id, touched FROM tx_rows ORDER BY id`,
  );
  expect(rows).toEqual([
    { id: 1, touched: 2 },
    { id: 2, touched: 2 },
  ]);
});

test('When work fails for any other reason, then it runs once and the error surfaces', async () => {
  let attempts = 0;
  await expect(
    inTransaction(database.db, async (tx) => {
      attempts += 1;
      await tx.query(`SELECT 1 / 0`);
    }),
  ).rejects.toThrow('division by zero');
  expect(attempts).toBe(1);
});
