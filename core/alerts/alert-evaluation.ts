import type { DataSource } from 'typeorm';
import type { TPriceReader } from '../market/index.ts';
import { inTransaction } from '../platform/db/tx.ts';
import type { TLimitsService, TPortfoliosService } from '../portfolios/index.ts';
import { DEFAULT_BENCHMARK, DEFAULT_WINDOW, type TRiskService } from '../risk/index.ts';
import type { TWebhooksService } from '../webhooks/index.ts';
import {
  alertsToEvaluate,
  findAlert,
  insertEvent,
  recordEvaluation,
  type TAlertEventRecord,
  type TAlertRecord,
} from './alerts.repository.ts';
import { step } from './rules.ts';
import { lostStanding } from './standing.ts';

/**
 * The evaluation of alerts: after every sync for the coins it touched, after a portfolio's changes for
 * its alerts. Each alert is evaluated under its row lock, so concurrent evaluations fire a crossing
 * once; a firing is stored as an event (the history, and what SSE clients resume from), published for
 * live streams and fanned out to the owner's webhooks.
 */
export function createAlertEvaluation(deps: {
  db: DataSource;
  prices: TPriceReader;
  portfolios: TPortfoliosService;
  limits: TLimitsService;
  risk: TRiskService;
  webhooks: TWebhooksService;
  publish: (ownerId: string, event: TAlertEventRecord) => Promise<void>;
  now: () => Date;
}) {
  const { db, prices, now } = deps;

  /** The value an alert watches now (null when there is none yet: no price, too little history). */
  async function observe(alert: TAlertRecord, at: Date): Promise<string | null> {
    switch (alert.kind) {
      case 'price_above':
      case 'price_below':
        return (await prices.coins([alert.symbol!])).get(alert.symbol!)?.price ?? null;
      case 'pct_change': {
        const current = (await prices.coins([alert.symbol!])).get(alert.symbol!)?.price;
        const before = (
          await prices.pricesAt([alert.symbol!], new Date(at.getTime() - alert.window_hours! * 3_600_000))
        ).get(alert.symbol!);
        if (!current || !before || Number(before) === 0) return null;
        return String(Number(current) / Number(before) - 1);
      }
      case 'risk_metric': {
        const metrics: Record<string, unknown> | null = alert.symbol
          ? await deps.risk
              .report(alert.symbol, {
                window: DEFAULT_WINDOW,
                benchmark: DEFAULT_BENCHMARK,
                risk_free_rate: 0,
              })
              .then((report) => ({ ...report.metrics, risk_score: report.risk_score }))
              .catch(() => null)
          : await portfolioMetrics(alert.portfolio_id!);
        const value = metrics?.[alert.metric!];
        return typeof value === 'number' ? String(value) : null;
      }
      case 'limit_breach': {
        const portfolio = await deps.portfolios.find(alert.portfolio_id!);
        return portfolio ? (await deps.limits.statusOf(portfolio)).state : null;
      }
    }
  }

  async function portfolioMetrics(portfolioId: string): Promise<Record<string, unknown> | null> {
    const portfolio = await deps.portfolios.find(portfolioId);
    if (!portfolio) return null;
    const risk = await deps.portfolios
      .riskOf(portfolio, { window: DEFAULT_WINDOW, benchmark: DEFAULT_BENCHMARK, risk_free_rate: 0 })
      .catch(() => null);
    return risk ? { ...risk.metrics, risk_score: risk.risk_score } : null;
  }

  /** Evaluates alerts; returns how many were evaluated, which fired and which no longer act for their owner. */
  async function evaluate(alerts: TAlertRecord[]) {
    const fired: string[] = [];
    const skipped: string[] = [];
    for (const candidate of alerts) {
      // Nothing is observed for an owner who may no longer see it; checked again under the locks below.
      if (await lostStanding(db, candidate)) {
        skipped.push(candidate.id);
        continue;
      }
      const at = now();
      const value = await observe(candidate, at);
      const event = await inTransaction(db, async (tx) => {
        const alert = await findAlert(tx, candidate.id, { forUpdate: true });
        if (!alert || !alert.enabled || (await lostStanding(tx, alert, { share: true }))) return null;
        const next = step({
          rule: {
            kind: alert.kind,
            direction: alert.direction,
            threshold: alert.threshold === null ? null : Number(alert.threshold),
          },
          state: alert.state,
          value,
          lastFiredAt: alert.last_fired_at ? new Date(alert.last_fired_at) : null,
          cooldownSeconds: alert.cooldown_seconds,
          now: at,
        });
        await recordEvaluation(tx, alert.id, { state: next.state, value, fired: next.fire, at });
        if (!next.fire) return null;
        const stored = await insertEvent(tx, {
          alert_id: alert.id,
          owner_id: alert.owner_id,
          at,
          event: {
            alert_id: alert.id,
            kind: alert.kind,
            symbol: alert.symbol,
            portfolio_id: alert.portfolio_id,
            metric: alert.metric,
            direction: alert.direction,
            threshold: alert.threshold,
            window_hours: alert.window_hours,
            value,
            fired_at: at.toISOString(),
          },
        });
        // The deliveries commit with the event: a firing is never stored without them, nor they without it.
        const deliveries = await deps.webhooks.stage(
          tx,
          alert.owner_id,
          alert.kind === 'limit_breach' ? 'limit.breached' : 'alert.fired',
          { event_id: stored.id, ...stored.event },
        );
        return { stored, deliveries };
      });
      if (!event) continue;
      fired.push(candidate.id);
      await deps.publish(candidate.owner_id, event.stored).catch(() => undefined);
      await deps.webhooks.schedule(event.deliveries);
    }
    return { evaluated: alerts.length - skipped.length, fired, skipped };
  }

  return {
    /** After a sync: the coin alerts on `symbols` (all coins when null) and, for a full sync, portfolio alerts. */
    async evaluateMarket(symbols: string[] | null) {
      return evaluate(await alertsToEvaluate(db, { symbols }));
    },

    /** After a portfolio's change: its alerts (limit breaches, risk metrics). */
    async evaluatePortfolio(portfolioId: string) {
      return evaluate(await alertsToEvaluate(db, { portfolioId }));
    },
  };
}
