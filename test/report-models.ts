/**
 * Generated report models of every kind, the same for the same seed: for the renderers' tests, the
 * benchmark (scripts/bench/report-render.ts) and the README's sample page (scripts/report-sample.ts). Prices
 * follow a seeded random walk; totals are the sums of their rows, as the services answer them.
 */
import type { TAuditRow } from '../core/audit/index.ts';
import { dec, type Decimal } from '../core/portfolios/index.ts';
import type { TRiskMetrics, TRiskReport } from '../core/risk/index.ts';
import { random } from './portfolio-history.ts';
import {
  allocationOf,
  benchmarkSeries,
  drawdownSeries,
  gainsByMonth,
  realizedGainsModel,
  statementDrawdown,
  type TAuditExportModel,
  type TCoinRiskModel,
  type THoldingsAnswer,
  type TPerformanceAnswer,
  type TRealizedAnswer,
  type TRealizedGainsModel,
  type TReportPortfolio,
  type TStatementModel,
  type TStatementTransaction,
} from '../core/reports/index.ts';

const DAY_MS = 86_400_000;
const dayAfter = (day: string, days: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
const fixed = (value: Decimal, places: number) => {
  const text = value.toDecimalPlaces(places).toFixed();
  return text === '-0' ? '0' : text;
};
const money = (value: Decimal) => fixed(value, 18);

const SYMBOLS = ['BTC', 'ETH', 'SOL', 'ADA'] as const;
const START_PRICES: Record<string, number> = { BTC: 42000, ETH: 2300, SOL: 95, ADA: 0.55 };

export const SAMPLE_PORTFOLIO: TReportPortfolio = {
  id: '7f3c2a9e-1b4d-4c8e-9a2f-5d6e7f8a9b0c',
  name: 'Long-term crypto',
  cost_basis_method: 'fifo',
  currency: 'USD',
};

function priceWalk(seed: number, from: string, days: number) {
  const next = random(seed);
  const prices = new Map<string, number[]>();
  for (const symbol of SYMBOLS) {
    const series: number[] = [];
    let price = START_PRICES[symbol]!;
    for (let day = 0; day < days; day += 1) {
      price *= 1 + (next() - 0.48) * 0.06;
      series.push(Number(price.toPrecision(8)));
    }
    prices.set(symbol, series);
  }
  const dates = Array.from({ length: days }, (_, index) => dayAfter(from, index));
  return { dates, prices };
}

function holdingsOf(
  quantities: ReadonlyMap<string, Decimal>,
  costs: ReadonlyMap<string, Decimal>,
  priceOf: (symbol: string) => Decimal,
  cash: Decimal,
  at: string,
): THoldingsAnswer {
  const rows = [...quantities]
    .filter(([, quantity]) => !quantity.isZero())
    .map(([symbol, quantity]) => {
      const price = priceOf(symbol);
      const value = quantity.times(price);
      const cost = costs.get(symbol) ?? dec(0);
      return { symbol, quantity, price, value, cost };
    });
  const marketValue = rows.reduce((sum, row) => sum.plus(row.value), dec(0));
  const total = marketValue.plus(cash);
  const costBasis = rows.reduce((sum, row) => sum.plus(row.cost), dec(0));
  return {
    portfolio_id: SAMPLE_PORTFOLIO.id,
    at,
    holdings: rows
      .sort((a, b) => b.value.comparedTo(a.value) || a.symbol.localeCompare(b.symbol))
      .map((row) => ({
        symbol: row.symbol,
        quantity: money(row.quantity),
        cost_basis: money(row.cost),
        average_cost: money(row.cost.div(row.quantity)),
        price: money(row.price),
        market_value: money(row.value),
        unrealized_pnl: money(row.value.minus(row.cost)),
        unrealized_pnl_pct: row.cost.isZero() ? null : row.value.minus(row.cost).div(row.cost).toNumber(),
        weight: total.isZero() ? null : row.value.div(total).toNumber(),
        lots: [],
      })),
    cash: money(cash),
    totals: {
      market_value: money(marketValue),
      cost_basis: money(costBasis),
      unrealized_pnl: money(marketValue.minus(costBasis)),
      value: money(total),
      unpriced: [],
    },
    income: '0',
    fees: '0',
  };
}

/**
 * A statement of `transactions` trades over `days` days from `from` (buys and sells of four coins
 * after one deposit, average-cost lots per coin, FIFO-like disposals one lot each), with the
 * transactions as an async iterable made as they are read (so that a long statement streams).
 */
export function sampleStatementModel(
  options: { transactions?: number; days?: number; seed?: number; from?: string } = {},
): TStatementModel {
  const count = options.transactions ?? 120;
  const days = options.days ?? 365;
  const from = options.from ?? '2025-01-01';
  const seed = options.seed ?? 7;
  const { dates, prices } = priceWalk(seed, from, days);
  const to = dates.at(-1)!;
  const price = (symbol: string, day: number) => dec(prices.get(symbol)![day]!);

  // One pass that generates the trades and keeps their effects (the transactions themselves are made
  // again, lazily, by the iterable below from the same seed).
  function* trades() {
    const next = random(seed * 31 + 1);
    const held = new Map<string, Decimal>(SYMBOLS.map((symbol) => [symbol, dec(0)]));
    for (let index = 0; index < count; index += 1) {
      const day = Math.min(days - 1, Math.floor((index / count) * days));
      const symbol = SYMBOLS[Math.floor(next() * SYMBOLS.length)]!;
      const unit = price(symbol, day);
      const sell = index > 8 && next() < 0.3 && held.get(symbol)!.gt(0);
      const quantity = sell
        ? dec(fixed(held.get(symbol)!.times(0.25), 8))
        : dec(fixed(dec(150 + Math.floor(next() * 900)).div(unit), 8));
      if (quantity.isZero()) continue;
      held.set(symbol, sell ? held.get(symbol)!.minus(quantity) : held.get(symbol)!.plus(quantity));
      const tx: TStatementTransaction = {
        id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
        type: sell ? 'sell' : 'buy',
        symbol,
        quantity: money(quantity),
        price: money(unit),
        fee: fixed(unit.times(quantity).times('0.001'), 2),
        timestamp: new Date(Date.parse(`${dates[day]}T00:00:00Z`) + (index % 86_400) * 1000).toISOString(),
        notes:
          index % 97 === 5
            ? '=HYPERLINK("http://example.com")'
            : index % 13 === 0
              ? `rebalance, "${symbol}" leg`
              : null,
        external_id: null,
      };
      yield { tx, day };
    }
  }

  // Effects: quantities, cost (average cost per coin), disposals, daily values.
  const quantities = new Map<string, Decimal>(SYMBOLS.map((symbol) => [symbol, dec(0)]));
  const costs = new Map<string, Decimal>(SYMBOLS.map((symbol) => [symbol, dec(0)]));
  const acquired = new Map<string, string>();
  const deposit = dec(count * 520);
  let cash = deposit;
  let fees = dec(0);
  const disposals: TRealizedAnswer['disposals'] = [];
  const byDay = new Map<number, { tx: TStatementTransaction }[]>();
  for (const trade of trades()) byDay.set(trade.day, [...(byDay.get(trade.day) ?? []), trade]);
  const values: { date: string; value: Decimal; flow: Decimal }[] = [];
  let startHoldings: THoldingsAnswer | null = null;
  for (let day = 0; day < days; day += 1) {
    if (day === 0)
      startHoldings = holdingsOf(quantities, costs, (s) => price(s, 0), cash, `${from}T00:00:00.000Z`);
    for (const { tx } of byDay.get(day) ?? []) {
      const quantity = dec(tx.quantity);
      const gross = quantity.times(tx.price!);
      const fee = dec(tx.fee);
      fees = fees.plus(fee);
      if (tx.type === 'buy') {
        cash = cash.minus(gross).minus(fee);
        costs.set(tx.symbol, costs.get(tx.symbol)!.plus(gross).plus(fee));
        quantities.set(tx.symbol, quantities.get(tx.symbol)!.plus(quantity));
        if (!acquired.has(tx.symbol)) acquired.set(tx.symbol, tx.timestamp);
      } else {
        const held = quantities.get(tx.symbol)!;
        const cost = dec(money(costs.get(tx.symbol)!.times(quantity).div(held)));
        const proceeds = gross.minus(fee);
        cash = cash.plus(proceeds);
        costs.set(tx.symbol, costs.get(tx.symbol)!.minus(cost));
        quantities.set(tx.symbol, held.minus(quantity));
        const acquiredAt = acquired.get(tx.symbol)!;
        const holdingDays = Math.floor((Date.parse(tx.timestamp) - Date.parse(acquiredAt)) / DAY_MS);
        disposals.push({
          transaction_id: tx.id,
          symbol: tx.symbol,
          lot_id: `lot-${tx.symbol}-1`,
          acquired_at: acquiredAt,
          disposed_at: tx.timestamp,
          quantity: money(quantity),
          cost: money(cost),
          proceeds: money(proceeds),
          gain: money(proceeds.minus(cost)),
          holding_days: holdingDays,
          short: false,
        });
      }
    }
    const marketValue = [...quantities].reduce(
      (sum, [symbol, q]) => sum.plus(q.times(price(symbol, day))),
      dec(0),
    );
    values.push({ date: dates[day]!, value: marketValue.plus(cash), flow: day === 0 ? deposit : dec(0) });
  }
  const endHoldings = holdingsOf(quantities, costs, (s) => price(s, days - 1), cash, `${to}T23:59:59.999Z`);
  endHoldings.fees = money(fees);
  const sum = (pick: (d: (typeof disposals)[number]) => string) =>
    money(disposals.reduce((total, d) => total.plus(pick(d)), dec(0)));
  const realized: TRealizedAnswer = {
    portfolio_id: SAMPLE_PORTFOLIO.id,
    cost_basis_method: SAMPLE_PORTFOLIO.cost_basis_method,
    disposals,
    totals: {
      proceeds: sum((d) => d.proceeds),
      cost: sum((d) => d.cost),
      gain: sum((d) => d.gain),
      by_symbol: {},
    },
  };

  let growth = 1;
  const series = values.map((point, index) => {
    const before = index === 0 ? point.flow : values[index - 1]!.value;
    growth *= before.isZero() ? 1 : point.value.div(before).toNumber();
    return {
      date: point.date,
      value: money(point.value),
      net_flow: money(point.flow),
      twr_cumulative: growth - 1,
    };
  });
  const end = values.at(-1)!.value;
  const benchmarkCloses = dates.map((date, index) => ({ date, price: String(prices.get('BTC')![index]) }));
  const bench = benchmarkSeries(benchmarkCloses, dates);
  const benchmarkTwr = bench.at(-1)!.value;
  const performance: TPerformanceAnswer = {
    portfolio_id: SAMPLE_PORTFOLIO.id,
    from,
    to,
    days,
    value_start: '0',
    value_end: money(end),
    net_flows: money(deposit),
    inflows: money(deposit),
    outflows: '0',
    income: '0',
    fees: money(fees),
    gain: money(end.minus(deposit)),
    simple_return: end.minus(deposit).div(deposit).toNumber(),
    twr: growth - 1,
    twr_annualized: days >= 365 ? growth ** (365 / days) - 1 : null,
    mwr: growth - 1,
    mwr_annualized: days >= 365 ? growth ** (365 / days) - 1 : null,
    mwr_reason: null,
    series,
    benchmark: { symbol: 'BTC', twr: benchmarkTwr },
    excess_return: growth - 1 - benchmarkTwr,
  };
  const metrics = sampleMetrics(random(seed + 5));
  const period = { from, to };

  return {
    portfolio: SAMPLE_PORTFOLIO,
    period,
    holdings_start: startHoldings!,
    holdings_end: endHoldings,
    transactions: {
      async *[Symbol.asyncIterator]() {
        for (const trade of trades()) yield trade.tx;
      },
    },
    realized,
    income: '0',
    fees: money(fees),
    performance,
    benchmark_series: bench,
    drawdown: statementDrawdown(performance),
    gains_by_month: gainsByMonth(realized, period),
    risk: {
      portfolio_id: SAMPLE_PORTFOLIO.id,
      window: days,
      from,
      to,
      observations: days - 1,
      benchmark: 'BTC',
      metrics,
      risk_score: 62,
      risk_level: 'high',
      concentration: { holdings: 4, hhi: 0.31, effective_n: 3.2258, top_symbol: 'BTC', top_weight: 0.44 },
      correlations: { symbols: [], matrix: [] },
    },
    risk_unavailable_reason: null,
    allocation: allocationOf(endHoldings),
    drift: {
      portfolio_id: SAMPLE_PORTFOLIO.id,
      total_value: endHoldings.totals.value,
      rows: [
        {
          symbol: 'BTC',
          current_weight: 0.44,
          target_weight: 0.5,
          drift: -0.06,
          trade_quantity: '0.01',
          trade_value: '600',
        },
        {
          symbol: 'ETH',
          current_weight: 0.3,
          target_weight: 0.3,
          drift: 0,
          trade_quantity: '0',
          trade_value: '0',
        },
        {
          symbol: 'USD',
          current_weight: 0.26,
          target_weight: 0.2,
          drift: 0.06,
          trade_quantity: null,
          trade_value: '-600',
        },
      ],
    },
  };
}

function sampleMetrics(next: () => number): TRiskMetrics {
  return {
    volatility_daily: 0.031 + next() * 0.01,
    volatility_annualized: 0.62 + next() * 0.1,
    return_total: 0.35 - next() * 0.2,
    return_annualized: 0.41 - next() * 0.2,
    max_drawdown: -0.28 - next() * 0.1,
    max_drawdown_peak_date: '2025-03-14',
    max_drawdown_trough_date: '2025-06-02',
    max_drawdown_recovery_date: null,
    var_95: 0.048,
    var_99: 0.081,
    cvar_95: 0.067,
    cvar_99: 0.094,
    parametric_var_95: 0.051,
    parametric_var_99: 0.072,
    sharpe_ratio: 1.12,
    sortino_ratio: 1.64,
    calmar_ratio: 1.35,
    beta: 0.92,
    alpha_annualized: 0.04,
    correlation_to_benchmark: 0.81,
    liquidity_ratio: 0.07,
  };
}

/** A realized-gains model from a generated statement's disposals (a tax year). */
export function sampleRealizedGainsModel(seed = 7): TRealizedGainsModel {
  const statement = sampleStatementModel({ seed, transactions: 300, days: 730, from: '2024-01-01' });
  const disposals = statement.realized.disposals.filter((d) => d.disposed_at.startsWith('2025'));
  const sum = (pick: (d: (typeof disposals)[number]) => string) => {
    const total = disposals.reduce((acc, d) => acc.plus(pick(d)), dec(0));
    return money(total);
  };
  return realizedGainsModel({
    portfolio: SAMPLE_PORTFOLIO,
    period: { from: '2025-01-01', to: '2025-12-31' },
    tax_year: 2025,
    realized: {
      ...statement.realized,
      disposals,
      totals: {
        proceeds: sum((d) => d.proceeds),
        cost: sum((d) => d.cost),
        gain: sum((d) => d.gain),
        by_symbol: {},
      },
    },
  });
}

/** A coin risk model of `symbols` over a 90-day window. */
export function sampleCoinRiskModel(
  symbols: readonly string[] = ['BTC', 'ETH', 'SOL'],
  seed = 11,
): TCoinRiskModel {
  const window = 90;
  const from = '2025-09-02';
  const { dates, prices } = priceWalk(seed, from, window + 1);
  const to = dates.at(-1)!;
  const next = random(seed + 3);
  const coins = symbols.map((symbol) => {
    const closes = (prices.get(symbol) ?? prices.get('BTC')!).map((price, index) => ({
      date: dates[index]!,
      value: price,
    }));
    const report: TRiskReport = {
      symbol,
      benchmark: 'BTC',
      window_days: window,
      from,
      to,
      observations: window,
      annualization_factor: 365,
      metrics: sampleMetrics(next),
      risk_score: 40 + Math.floor(next() * 50),
      risk_level: 'high',
      data_last_timestamp: `${to}T23:55:00.000Z`,
      computed_at: `${to}T23:59:00.000Z`,
    };
    return { report, drawdown: drawdownSeries(closes) };
  });
  const matrix = symbols.map((a, i) =>
    symbols.map((b, j) => (i === j ? 1 : Number((0.5 + ((i + j) % 3) * 0.12).toFixed(6)))),
  );
  return {
    window_days: window,
    to,
    benchmark: 'BTC',
    risk_free_rate: 0.02,
    coins,
    correlation:
      symbols.length > 1 ? { symbols: [...symbols], from, to, observations: window, matrix } : null,
  };
}

/** An audit export of `count` events, one every ten minutes from `from`. */
export function sampleAuditModel(count = 200, from = '2025-11-01'): TAuditExportModel {
  const start = Date.parse(`${from}T00:00:00Z`);
  const actions = [
    'auth.login',
    'api_key.create',
    'portfolio.update',
    'authz.denied',
    'report.create',
  ] as const;
  const to = new Date(start + (count - 1) * 600_000).toISOString().slice(0, 10);
  return {
    period: { from, to },
    rows: {
      async *[Symbol.asyncIterator]() {
        for (let index = 0; index < count; index += 1) {
          const row: TAuditRow = {
            id: String(index + 1),
            at: new Date(start + index * 600_000).toISOString(),
            actor_type: index % 7 === 0 ? 'api_key' : 'user',
            actor_id: `user-${index % 5}`,
            actor_user_id: `user-${index % 5}`,
            ip: `203.0.113.${index % 250}`,
            request_id: `req-${index}`,
            action: actions[index % actions.length]!,
            target_type: 'portfolio',
            target_id: index % 11 === 0 ? '@SUM(A1:A2)' : `p-${index % 3}`,
            outcome: index % 9 === 0 ? 'denied' : 'success',
            details: { note: index % 4 === 0 ? 'has "quotes", commas\nand a newline' : 'ok' },
          };
          yield row;
        }
      },
    },
  };
}
