import type { TPriceReader } from '../market/index.ts';
import { timestampOutOfBounds } from './bounds.ts';
import { isoDay } from './performance.ts';
import { unprocessable } from './refusals.ts';
import { CASH, CASH_TYPES, PRICED_TYPES, type TTransaction, type TTransactionBody } from './transaction.ts';

export type TPrepare = (bodies: readonly TTransactionBody[]) => Promise<TTransaction[]>;

/** A refusal of the symbols the platform does not know (none: nothing happens). */
export function refuseUnknown(coins: readonly string[], known: ReadonlyMap<string, unknown>): void {
  const unknown = coins.filter((symbol) => !known.has(symbol));
  if (unknown.length)
    throw unprocessable(`unknown symbol(s): ${unknown.join(', ')}`, {
      reason: 'unknown_symbol',
      symbols: unknown,
    });
}

/** The checks of one transaction that need no data: cash symbols, time bounds, a given price. */
function check(body: TTransactionBody, now: Date): { isCash: boolean } {
  const isCash = CASH_TYPES.includes(body.type) || (body.type === 'fee' && body.symbol === CASH);
  if (CASH_TYPES.includes(body.type) && body.symbol !== CASH)
    throw unprocessable(`${body.type}s move cash: their symbol is ${CASH}`, { reason: 'cash_symbol' });
  if (!isCash && body.symbol === CASH)
    throw unprocessable(`a ${body.type} needs a coin, not ${CASH}`, { reason: 'cash_symbol' });
  const outside = timestampOutOfBounds(body.timestamp, now);
  if (outside)
    throw unprocessable(`timestamp: ${body.timestamp.toISOString()} is ${outside}`, {
      reason: outside === 'in the future' ? 'future' : 'too_early',
    });
  if (PRICED_TYPES.includes(body.type) && (body.price ?? null) === null)
    throw unprocessable(`a ${body.type} needs its price`, { reason: 'price_required' });
  return { isCash };
}

/**
 * Checks symbols and fills in prices: a coin must be one the platform knows (cash movements use USD);
 * income and transfers without a price take that day's close.
 */
export function createPrepare(deps: { prices: TPriceReader; now: () => Date }): TPrepare {
  const { prices } = deps;
  return async (bodies) => {
    const coins = [...new Set(bodies.filter((body) => body.symbol !== CASH).map((body) => body.symbol))];
    refuseUnknown(coins, await prices.coins(coins));
    const closes = new Map<string, Map<string, string>>();
    const closeOn = async (symbol: string, day: string) => {
      if (!closes.has(day)) closes.set(day, await prices.closesOn(coins, day));
      return closes.get(day)!.get(symbol) ?? null;
    };
    const prepared: TTransaction[] = [];
    for (const body of bodies) {
      const { isCash } = check(body, deps.now());
      let price = body.price ?? null;
      if (!isCash && price === null) {
        const day = isoDay(body.timestamp);
        price = await closeOn(body.symbol, day);
        if (price === null)
          throw unprocessable(
            `no close of ${body.symbol} on ${day} to value this ${body.type}; give its price`,
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
  };
}
