import { allocate, type Decimal, SCALE, ZERO } from './decimal.ts';
import { CASH, type TLedgerTransaction } from './transaction.ts';

/**
 * The lot ledger: transactions in time order in, open lots, disposals and cash out. Pure and
 * deterministic: the same transactions give the same lots whatever order they were entered in, so an
 * edited or deleted past transaction gives what entering the history fresh would have
 * (docs/portfolio-methodology.md).
 */
export const COST_BASIS_METHODS = ['fifo', 'lifo', 'hifo', 'average', 'specific'] as const;
export type TCostBasisMethod = (typeof COST_BASIS_METHODS)[number];

export type TLedgerSettings = {
  method: TCostBasisMethod;
  /** Buy fees add to the cost, sell fees come off the proceeds; otherwise fees stay apart from both. */
  feesInCostBasis: boolean;
  cashTracking: boolean;
  allowNegative: boolean;
};

/** An open lot: long (quantity > 0, cost ≥ 0) or, when negative positions are allowed, short (both < 0). */
export type TLot = {
  id: string;
  symbol: string;
  opened_at: Date;
  quantity: Decimal;
  /** What the lot cost (long) or minus what it was sold for (short); 0 for a zero-cost lot. */
  cost: Decimal;
  order: number;
};

export type TDisposal = {
  transaction_id: string;
  symbol: string;
  lot_id: string;
  acquired_at: Date;
  disposed_at: Date;
  quantity: Decimal;
  cost: Decimal;
  proceeds: Decimal;
  gain: Decimal;
  holding_days: number;
  /** A short position closed by a purchase (the "acquired" date is when it was opened). */
  short: boolean;
};

export type TLedgerProblemCode =
  'shortfall' | 'negative_cash' | 'unknown_lot' | 'cash_tracking_off' | 'price_required';

export class LedgerError extends Error {
  readonly code: TLedgerProblemCode;
  readonly transactionId: string;
  readonly shortfall: Decimal | undefined;

  constructor(code: TLedgerProblemCode, transactionId: string, message: string, shortfall?: Decimal) {
    super(message);
    this.code = code;
    this.transactionId = transactionId;
    this.shortfall = shortfall;
  }
}

export type TLedger = {
  lots: Map<string, TLot[]>;
  disposals: TDisposal[];
  cash: Decimal;
  fees: Decimal;
  income: Decimal;
};

const DAY_MS = 86_400_000;
const holdingDays = (from: Date, to: Date) => Math.floor((to.getTime() - from.getTime()) / DAY_MS);

/** Transactions in ledger order: by time, then by the order they were entered (ids compared last). */
export function ledgerOrder<T extends { timestamp: Date; sequence?: number; id: string }>(
  transactions: readonly T[],
): T[] {
  return [...transactions].sort(
    (a, b) =>
      a.timestamp.getTime() - b.timestamp.getTime() ||
      (a.sequence ?? 0) - (b.sequence ?? 0) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

type TPool = { quantity: Decimal; cost: Decimal };
/** What a transaction takes from one lot: how much of it, and at what share of its cost. */
type TTake = { lot: TLot; quantity: Decimal; cost: Decimal };

/** One symbol's open lots and, for the average method, the pooled quantity and cost. */
class Position {
  lots: TLot[] = [];
  pool: TPool = { quantity: ZERO, cost: ZERO };

  readonly symbol: string;
  readonly method: TCostBasisMethod;

  constructor(symbol: string, method: TCostBasisMethod) {
    this.symbol = symbol;
    this.method = method;
  }

  get quantity(): Decimal {
    return this.pool.quantity;
  }

  /** Lots in the order a reduction consumes them. */
  private ordered(lotIds: string[] | null, transactionId: string): TLot[] {
    if (this.method === 'specific' && lotIds?.length) {
      return lotIds.map((id) => {
        const lot = this.lots.find((candidate) => candidate.id === id);
        if (!lot)
          throw new LedgerError('unknown_lot', transactionId, `lot ${id} is not an open ${this.symbol} lot`);
        return lot;
      });
    }
    if (this.method === 'lifo') return [...this.lots].reverse();
    if (this.method === 'hifo') {
      const unit = (lot: TLot) => lot.cost.div(lot.quantity).abs();
      return [...this.lots].sort((a, b) => unit(b).comparedTo(unit(a)) || a.order - b.order);
    }
    return this.lots; // fifo, average (dates only), specific without lot ids
  }

  /** The cost a reduction of `take` from `lot` removes, and removes it. */
  private takeCost(lot: TLot, take: Decimal): Decimal {
    if (this.method === 'average') {
      const cost = take.eq(this.pool.quantity.abs())
        ? this.pool.cost
        : this.pool.cost.times(take).div(this.pool.quantity.abs()).toDecimalPlaces(SCALE);
      return cost;
    }
    return take.eq(lot.quantity.abs())
      ? lot.cost
      : lot.cost.times(take).div(lot.quantity.abs()).toDecimalPlaces(SCALE);
  }

  /**
   * Takes up to `amount` out of the lots on the side of `sign` (1: long lots, -1: short lots), in the
   * method's order. Returns what each lot gave (quantity and cost, both positive) and what was left.
   */
  reduce(amount: Decimal, lotIds: string[] | null, transactionId: string): { takes: TTake[]; left: Decimal } {
    const takes: TTake[] = [];
    let left = amount;
    for (const lot of this.ordered(lotIds, transactionId)) {
      if (left.isZero()) break;
      const available = lot.quantity.abs();
      const quantity = available.lt(left) ? available : left;
      const cost = this.takeCost(lot, quantity).abs();
      const sign = lot.quantity.isNegative() ? -1 : 1;
      lot.quantity = lot.quantity.minus(quantity.times(sign));
      lot.cost = lot.cost.minus(cost.times(sign));
      this.pool.quantity = this.pool.quantity.minus(quantity.times(sign));
      this.pool.cost = this.pool.cost.minus(cost.times(sign));
      takes.push({ lot, quantity, cost });
      left = left.minus(quantity);
    }
    this.lots = this.lots.filter((lot) => !lot.quantity.isZero());
    if (this.pool.quantity.isZero()) this.pool.cost = ZERO;
    return { takes, left };
  }

  open(lot: TLot): void {
    this.lots.push(lot);
    this.pool.quantity = this.pool.quantity.plus(lot.quantity);
    this.pool.cost = this.pool.cost.plus(lot.cost);
  }

  /** Open lots with their costs; under the average method every lot carries the pool's unit cost. */
  openLots(): TLot[] {
    if (this.method !== 'average' || this.pool.quantity.isZero()) return this.lots.map((lot) => ({ ...lot }));
    const costs = allocate(
      this.pool.cost,
      this.lots.map((lot) => lot.quantity.abs()),
    );
    return this.lots.map((lot, index) => ({ ...lot, cost: costs[index]! }));
  }
}

/**
 * Runs `transactions` (any order; they are put in ledger order) through the lots of `settings.method`.
 * Throws a LedgerError for the first transaction the rules refuse: a reduction larger than the holding
 * (unless negative positions are allowed), cash below zero while cash is tracked, an unknown lot.
 */
export function runLedger(
  transactions: readonly (TLedgerTransaction & { sequence?: number })[],
  settings: TLedgerSettings,
): TLedger {
  const positions = new Map<string, Position>();
  const disposals: TDisposal[] = [];
  let cash = ZERO;
  let fees = ZERO;
  let income = ZERO;
  let order = 0;
  const position = (symbol: string) => {
    let found = positions.get(symbol);
    if (!found) positions.set(symbol, (found = new Position(symbol, settings.method)));
    return found;
  };

  const moveCash = (tx: TLedgerTransaction, delta: Decimal) => {
    if (!settings.cashTracking) return;
    cash = cash.plus(delta);
    if (cash.isNegative()) {
      throw new LedgerError(
        'negative_cash',
        tx.id,
        `cash would be ${cash.toFixed()} USD after this transaction; deposit first`,
        cash.neg(),
      );
    }
  };

  /** Records the disposal of what a transaction took from one lot. */
  const realize = (tx: TLedgerTransaction, take: TTake, cost: Decimal, proceeds: Decimal, short: boolean) => {
    disposals.push({
      transaction_id: tx.id,
      symbol: tx.symbol,
      lot_id: take.lot.id,
      acquired_at: take.lot.opened_at,
      disposed_at: tx.timestamp,
      quantity: take.quantity,
      cost,
      proceeds,
      gain: proceeds.minus(cost),
      holding_days: holdingDays(take.lot.opened_at, tx.timestamp),
      short,
    });
  };

  /** Adds `quantity` at a total `cost`: covers short lots first (realizing), then opens a long lot. */
  const acquire = (tx: TLedgerTransaction, quantity: Decimal, cost: Decimal) => {
    const held = position(tx.symbol);
    let opening = quantity;
    let openingCost = cost;
    if (held.quantity.isNegative()) {
      const { takes, left } = held.reduce(quantity, null, tx.id);
      const costs = allocate(cost, [...takes.map((take) => take.quantity), left]);
      // Covering a short: what is paid now is the cost, what the short lot took in the proceeds.
      takes.forEach((take, index) => realize(tx, take, costs[index]!, take.cost, true));
      opening = left;
      openingCost = costs.at(-1)!;
    }
    if (opening.gt(0)) {
      held.open({
        id: tx.id,
        symbol: tx.symbol,
        opened_at: tx.timestamp,
        quantity: opening,
        cost: openingCost,
        order: order++,
      });
    }
  };

  /**
   * Removes `quantity`, realizing `proceeds` (null: the lots leave without a sale, as in a transfer).
   * Beyond the holding: a short lot when allowed, else a shortfall.
   */
  const dispose = (tx: TLedgerTransaction, quantity: Decimal, proceeds: Decimal | null) => {
    const held = position(tx.symbol);
    const longHeld = held.quantity.gt(0) ? held.quantity : ZERO;
    if (quantity.gt(longHeld) && (!settings.allowNegative || proceeds === null)) {
      const shortfall = quantity.minus(longHeld);
      throw new LedgerError(
        'shortfall',
        tx.id,
        `${tx.type} of ${quantity.toFixed()} ${tx.symbol} exceeds the ${longHeld.toFixed()} held by ${shortfall.toFixed()}`,
        shortfall,
      );
    }
    const { takes, left } = longHeld.gt(0)
      ? held.reduce(quantity, tx.lot_ids, tx.id)
      : { takes: [], left: quantity };
    if (tx.lot_ids?.length && settings.method === 'specific' && left.gt(0)) {
      throw new LedgerError(
        'shortfall',
        tx.id,
        `the lots named cover ${quantity.minus(left).toFixed()} of the ${quantity.toFixed()} ${tx.symbol} sold`,
        left,
      );
    }
    if (proceeds === null) return;
    const shares = allocate(proceeds, [...takes.map((take) => take.quantity), left]);
    takes.forEach((take, index) => realize(tx, take, take.cost, shares[index]!, false));
    if (left.gt(0)) {
      held.open({
        id: tx.id,
        symbol: tx.symbol,
        opened_at: tx.timestamp,
        quantity: left.neg(),
        cost: shares.at(-1)!.neg(),
        order: order++,
      });
    }
  };

  for (const tx of ledgerOrder(transactions)) {
    const gross = tx.price ? tx.quantity.times(tx.price) : ZERO;
    switch (tx.type) {
      case 'buy':
        acquire(tx, tx.quantity, settings.feesInCostBasis ? gross.plus(tx.fee) : gross);
        moveCash(tx, gross.plus(tx.fee).neg());
        fees = fees.plus(tx.fee);
        break;
      case 'sell':
        dispose(tx, tx.quantity, settings.feesInCostBasis ? gross.minus(tx.fee) : gross);
        moveCash(tx, gross.minus(tx.fee));
        fees = fees.plus(tx.fee);
        break;
      case 'transfer_in':
        // The lot keeps the cost it is given (its price: what it cost before it came in).
        acquire(tx, tx.quantity, gross.plus(settings.feesInCostBasis ? tx.fee : ZERO));
        moveCash(tx, tx.fee.neg());
        fees = fees.plus(tx.fee);
        break;
      case 'transfer_out':
        dispose(tx, tx.quantity, null);
        moveCash(tx, tx.fee.neg());
        fees = fees.plus(tx.fee);
        break;
      case 'income':
        // Staking, interest, airdrops: a lot at that day's market value, counted as income.
        acquire(tx, tx.quantity, gross);
        income = income.plus(gross);
        break;
      case 'fee':
        if (tx.symbol === CASH) {
          moveCash(tx, tx.quantity.neg());
          fees = fees.plus(tx.quantity);
        } else {
          // A fee paid in a coin: those units leave, a disposal for nothing.
          dispose(tx, tx.quantity, ZERO);
          fees = fees.plus(gross);
        }
        break;
      case 'deposit':
      case 'withdrawal':
        if (!settings.cashTracking) {
          throw new LedgerError(
            'cash_tracking_off',
            tx.id,
            `${tx.type}s need cash tracking; turn cash_tracking on for this portfolio`,
          );
        }
        moveCash(tx, tx.type === 'deposit' ? tx.quantity : tx.quantity.neg());
        break;
    }
  }

  const lots = new Map<string, TLot[]>();
  for (const [symbol, held] of positions) {
    const open = held.openLots();
    if (open.length) lots.set(symbol, open);
  }
  return { lots, disposals, cash, fees, income };
}

/** A transaction's signed change to its symbol's quantity (cash movements change no coin). */
export function quantityDelta(tx: Pick<TLedgerTransaction, 'type' | 'symbol' | 'quantity'>): Decimal {
  switch (tx.type) {
    case 'buy':
    case 'transfer_in':
    case 'income':
      return tx.quantity;
    case 'sell':
    case 'transfer_out':
      return tx.quantity.neg();
    case 'fee':
      return tx.symbol === CASH ? ZERO : tx.quantity.neg();
    default:
      return ZERO;
  }
}

/** A transaction's signed change to tracked cash. */
export function cashDelta(tx: TLedgerTransaction): Decimal {
  const gross = tx.price ? tx.quantity.times(tx.price) : ZERO;
  switch (tx.type) {
    case 'buy':
      return gross.plus(tx.fee).neg();
    case 'sell':
      return gross.minus(tx.fee);
    case 'transfer_in':
    case 'transfer_out':
      return tx.fee.neg();
    case 'fee':
      return tx.symbol === CASH ? tx.quantity.neg() : ZERO;
    case 'deposit':
      return tx.quantity;
    case 'withdrawal':
      return tx.quantity.neg();
    default:
      return ZERO;
  }
}
