import {
  addDays,
  dec,
  GENERIC_COLUMNS,
  type Decimal,
  type TLedgerTransaction,
  type TTransactionType,
} from '../core/portfolios/index.ts';

/** A small deterministic PRNG (mulberry32), so a generated history is the same on every run. */
export function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type TGeneratedHistory = {
  symbols: string[];
  transactions: (TLedgerTransaction & { sequence: number })[];
  /** Daily closes per coin as decimal strings (the last coin skips some days). */
  closes: Record<string, [string, string][]>;
  from: string;
  to: string;
};

/**
 * A portfolio history for the reference check and the benchmarks: daily random-walk closes for `coins`
 * coins over `days` days from `from`, and about `transactions` transactions on them (buys, sells,
 * income, transfers in and out; deposits and withdrawals with cash tracking) that never sell more
 * than is held and never spend cash that is not there.
 */
export function generateHistory(options: {
  seed: number;
  coins: number;
  days: number;
  transactions: number;
  cashTracking: boolean;
  from: string;
}): TGeneratedHistory {
  const next = random(options.seed);
  const symbols = Array.from({ length: options.coins }, (_, index) => `C${String(index).padStart(2, '0')}`);
  const closes: Record<string, [string, string][]> = {};
  const price: Record<string, number> = {};
  for (const [index, symbol] of symbols.entries()) price[symbol] = 10 ** ((index % 5) - 1) * (1 + next() * 9);
  const held: Record<string, Decimal> = Object.fromEntries(symbols.map((symbol) => [symbol, dec(0)]));
  const transactions: (TLedgerTransaction & { sequence: number })[] = [];
  const perDay = options.transactions / options.days;
  let cash = dec(0);
  for (let day = 0; day < options.days; day += 1) {
    const date = addDays(options.from, day);
    for (const symbol of symbols) {
      price[symbol] = price[symbol]! * Math.exp((next() - 0.5) * 0.08);
      // The last coin has gaps: a day without a close carries the last one forward.
      if (symbol === symbols.at(-1) && next() < 0.15) continue;
      (closes[symbol] ??= []).push([date, price[symbol]!.toFixed(8)]);
    }
    const count = Math.floor(perDay) + (next() < perDay - Math.floor(perDay) ? 1 : 0);
    for (let slot = 0; slot < count; slot += 1) {
      const symbol = symbols[Math.floor(next() * symbols.length)]!;
      const close = dec(price[symbol]!.toFixed(8));
      const quantity = dec((next() * 5 + 0.01).toFixed(8));
      const roll = next();
      let type: TTransactionType;
      if (options.cashTracking && (roll < 0.1 || cash.lt(close.times(quantity).times(2)))) type = 'deposit';
      else if (roll < 0.45) type = 'buy';
      else if (roll < 0.75) type = 'sell';
      else if (roll < 0.83) type = 'income';
      else if (roll < 0.9) type = 'transfer_in';
      else if (roll < 0.95) type = 'transfer_out';
      else type = options.cashTracking ? 'withdrawal' : 'buy';
      let amount = quantity;
      if ((type === 'sell' || type === 'transfer_out') && held[symbol]!.lt(quantity)) {
        if (held[symbol]!.isZero()) type = 'buy';
        else amount = held[symbol]!;
      }
      if (type === 'withdrawal' && cash.lt(100)) type = 'buy';
      const fee = type === 'buy' || type === 'sell' ? dec((next() * 2).toFixed(2)) : dec(0);
      const tradePrice = close.times(dec(1 + (next() - 0.5) * 0.02)).toDecimalPlaces(8);
      const cashMove = type === 'deposit' || type === 'withdrawal';
      // Later slots are later in the day, so the ledger (ordered by time) sees what was generated in order.
      const minute = 30 + slot * 7 + Math.floor(next() * 7);
      const tx = {
        id: `tx-${transactions.length}`,
        sequence: transactions.length,
        type,
        symbol: cashMove ? 'USD' : symbol,
        quantity: cashMove ? dec((1000 + next() * 5000).toFixed(2)) : amount,
        price: cashMove ? null : type === 'income' ? close : tradePrice,
        fee,
        timestamp: new Date(Date.parse(`${date}T00:00:00Z`) + minute * 60_000),
        lot_ids: null,
      };
      if (type === 'withdrawal') tx.quantity = dec(Math.min(500, cash.toNumber() / 2).toFixed(2));
      if (type === 'buy' && options.cashTracking && cash.lt(tx.quantity.times(tx.price!).plus(fee))) continue;
      transactions.push(tx);
      const gross = tx.price ? tx.quantity.times(tx.price) : dec(0);
      if (type === 'buy' || type === 'income' || type === 'transfer_in')
        held[symbol] = held[symbol]!.plus(tx.quantity);
      if (type === 'sell' || type === 'transfer_out') held[symbol] = held[symbol]!.minus(tx.quantity);
      if (type === 'deposit') cash = cash.plus(tx.quantity);
      else if (type === 'withdrawal') cash = cash.minus(tx.quantity);
      else if (type === 'buy') cash = cash.minus(gross.plus(fee));
      else if (type === 'sell') cash = cash.plus(gross.minus(fee));
    }
  }
  return { symbols, transactions, closes, from: options.from, to: addDays(options.from, options.days - 1) };
}

/** The history as rows of the generic import format (GENERIC_COLUMNS), external ids `<prefix>-<sequence>`. */
export function genericRows(history: TGeneratedHistory, prefix: string): string[][] {
  return history.transactions.map((tx) => [
    tx.timestamp.toISOString(),
    tx.type,
    tx.symbol,
    tx.quantity.toFixed(),
    tx.price?.toFixed() ?? '',
    tx.fee.toFixed(),
    '',
    `${prefix}-${tx.sequence}`,
    '',
  ]);
}

/** The history as a generic-format CSV import. */
export const genericCsv = (history: TGeneratedHistory, prefix: string): string =>
  [GENERIC_COLUMNS.join(','), ...genericRows(history, prefix).map((row) => row.join(','))].join('\n');

/** Stores the history's coins and their daily closes (at 23:00 UTC, as a day's last sync would). */
export async function storeHistoryPrices(
  db: { query: (sql: string, parameters?: unknown[]) => Promise<unknown> },
  history: TGeneratedHistory,
): Promise<void> {
  for (const symbol of history.symbols) {
    const closes = history.closes[symbol]!;
    const [{ id }] = (await db.query(
      `INSERT INTO cryptocurrencies (symbol, name, slug, current_price) VALUES ($1::varchar, $1::text, lower($1::text), $2::numeric) RETURNING id`,
      [symbol, closes.at(-1)![1]],
    )) as [{ id: number }];
    await db.query(
      `INSERT INTO price_history (cryptocurrency_id, "timestamp", price)
       SELECT $1, (d::date + time '23:00') AT TIME ZONE 'UTC', p FROM unnest($2::date[], $3::numeric[]) AS t(d, p)`,
      [id, closes.map(([date]) => date), closes.map(([, price]) => price)],
    );
  }
}
