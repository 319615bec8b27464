import type { DataSource } from 'typeorm';
import type { TPriceReader } from '../market/index.ts';
import type { TActor } from '../platform/access/index.ts';
import type { TPortfolioQuotas } from './bounds.ts';
import { dec, type Decimal, money, sum, ZERO } from './decimal.ts';
import { decimalOrNull, driftOf } from './holdings.ts';
import { ledgerOf } from './ledger-of.ts';
import type { TPortfolioAccess } from './portfolio-access.ts';
import { allTransactions } from './portfolios.repository.ts';
import { refuseUnknown } from './prepare.ts';
import { unprocessable } from './refusals.ts';
import { readTargets, replaceTargets } from './targets.repository.ts';
import { CASH } from './transaction.ts';

/** The weights, checked: each symbol once (case-insensitive), within the quota, adding up to 1. */
function checkedWeights(weights: Record<string, string>, maxEntries: number) {
  const entries = Object.entries(weights).map(
    ([symbol, weight]) => [symbol.toUpperCase(), dec(weight)] as const,
  );
  const symbols = entries.map(([symbol]) => symbol);
  const repeated = [...new Set(symbols.filter((symbol, index) => symbols.indexOf(symbol) !== index))];
  if (repeated.length)
    throw unprocessable(
      `weights: ${repeated.join(', ')} given more than once (symbols are case-insensitive)`,
      {
        reason: 'duplicate_symbol',
        symbols: repeated,
      },
    );
  if (entries.length > maxEntries)
    throw unprocessable(`${entries.length} target weights; at most ${maxEntries} (TARGETS_PER_PORTFOLIO)`, {
      reason: 'too_many_entries',
      limit: maxEntries,
    });
  const total = sum(entries.map(([, weight]) => weight));
  if (total.minus(1).abs().gt('1e-9'))
    throw unprocessable(`weights add up to ${money(total)}, not 1`, { reason: 'weights_sum' });
  return entries;
}

/** Target weights of a portfolio and how far its holdings drift from them. */
export function createTargetsService(deps: {
  db: DataSource;
  prices: TPriceReader;
  quotas: TPortfolioQuotas;
  access: TPortfolioAccess;
}) {
  const { db, prices } = deps;
  const { access, change } = deps.access;
  return {
    /** Target weights (they must add up to 1); coins the platform knows, or USD for cash. */
    setTargets(actor: TActor, id: string, weights: Record<string, string>) {
      return change(actor, id, async (tx) => {
        const entries = checkedWeights(weights, deps.quotas.targetsPerPortfolio);
        const coins = entries.map(([symbol]) => symbol).filter((symbol) => symbol !== CASH);
        refuseUnknown(coins, await prices.coins(coins));
        const stored = new Map(entries.map(([symbol, weight]) => [symbol, money(weight)]));
        await replaceTargets(tx, id, stored);
        return { portfolio_id: id, weights: Object.fromEntries(stored) };
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
