import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { alertChannel } from './channel.ts';
import { createPriceReader } from '../market/index.ts';
import { ownsOrMay, requirePermission, requireUser, type TActor } from '../platform/access/index.ts';
import { inTransaction, lockKey } from '../platform/db/tx.ts';
import { AppError, ErrorCode } from '../platform/errors/app-error.ts';
import type { TLimitsService, TPortfoliosService } from '../portfolios/index.ts';
import { DEFAULT_BENCHMARK, DEFAULT_WINDOW, type TRiskService } from '../risk/index.ts';
import type { TWebhooksService } from '../webhooks/index.ts';
import {
  alertsToEvaluate,
  countAlerts,
  deleteAlert,
  eventsAfter,
  findAlert,
  insertAlert,
  insertEvent,
  listAlerts,
  listEvents,
  recordEvaluation,
  updateAlert,
  type TAlertEventRecord,
  type TAlertRecord,
} from './alerts.repository.ts';
import { step, type TAlertKind, type TAlertMetric } from './rules.ts';
import { lostStanding } from './standing.ts';

export type TAlertInput = {
  kind: TAlertKind;
  symbol?: string | null;
  portfolio_id?: string | null;
  metric?: TAlertMetric | null;
  direction?: 'above' | 'below';
  threshold?: string | null;
  window_hours?: number | null;
  cooldown_seconds?: number;
  enabled?: boolean;
};

const MAX_ALERTS = 100;
const DEFAULT_WINDOW_HOURS = 24;
const notFound = (id: string) => new AppError(ErrorCode.NotFound, { detail: `No alert with id "${id}".` });
const unprocessable = (detail: string, reason: string) =>
  new AppError(ErrorCode.Unprocessable, { detail, extensions: { reason } });

export type TAlertsService = ReturnType<typeof createAlertsService>;

/**
 * Alerts (owner-scoped, 404 to others) and their evaluation: after every sync for the coins it
 * touched, after a portfolio's changes for its alerts. Each alert is evaluated under its row lock, so
 * concurrent evaluations fire a crossing once; a firing is stored as an event (the history, and what
 * SSE clients resume from), published for live streams and fanned out to the owner's webhooks.
 */
export function createAlertsService(deps: {
  db: DataSource;
  portfolios: TPortfoliosService;
  limits: TLimitsService;
  risk: TRiskService;
  webhooks: TWebhooksService;
  /** Live delivery to the owner's open streams: Redis pub/sub on alertChannel (the queue store). */
  pubsub: { redis: Redis; keyPrefix: string };
  now?: () => Date;
  /** ALERTS_PER_USER. */
  maxAlerts?: number;
}) {
  const maxAlerts = deps.maxAlerts ?? MAX_ALERTS;
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const prices = createPriceReader(db);
  const publish = async (ownerId: string, event: TAlertEventRecord) => {
    await deps.pubsub.redis.publish(alertChannel(deps.pubsub.keyPrefix, ownerId), JSON.stringify(event));
  };

  async function owned(actor: TActor, id: string): Promise<TAlertRecord> {
    requirePermission(actor, 'alerts:manage');
    const user = requireUser(actor);
    const alert = await findAlert(db, id);
    if (!alert || !ownsOrMay(user, alert.owner_id, 'alerts:admin')) throw notFound(id);
    return alert;
  }

  async function validated(actor: TActor, input: TAlertInput) {
    const symbol = input.symbol ? input.symbol.toUpperCase() : null;
    const portfolioId = input.portfolio_id ?? null;
    const coinOnly =
      input.kind === 'price_above' || input.kind === 'price_below' || input.kind === 'pct_change';
    if (coinOnly && !symbol)
      throw unprocessable(`${input.kind} watches a coin: give symbol`, 'symbol_required');
    if (input.kind === 'limit_breach' && !portfolioId)
      throw unprocessable('limit_breach watches a portfolio: give portfolio_id', 'portfolio_required');
    if (input.kind === 'risk_metric' && Boolean(symbol) === Boolean(portfolioId))
      throw unprocessable(
        'risk_metric watches a coin or a portfolio: give symbol or portfolio_id',
        'target_required',
      );
    if ((coinOnly || input.kind === 'limit_breach') && symbol && portfolioId)
      throw unprocessable('give symbol or portfolio_id, not both', 'target_required');
    if (input.kind === 'risk_metric' && !input.metric)
      throw unprocessable('risk_metric needs the metric it watches', 'metric_required');
    if (input.kind !== 'risk_metric' && input.metric)
      throw unprocessable('only risk_metric alerts take a metric', 'metric_not_allowed');
    if (input.kind !== 'limit_breach' && (input.threshold === undefined || input.threshold === null))
      throw unprocessable(`${input.kind} needs a threshold`, 'threshold_required');
    if (input.kind === 'limit_breach' && input.threshold)
      throw unprocessable(
        'limit_breach fires on the limits’ own thresholds; give no threshold',
        'threshold_not_allowed',
      );
    if (input.kind !== 'pct_change' && input.window_hours)
      throw unprocessable('only pct_change alerts take window_hours', 'window_not_allowed');
    if (symbol && (await prices.coins([symbol])).size === 0)
      throw new AppError(ErrorCode.NotFound, { detail: `No cryptocurrency with symbol "${symbol}".` });
    // The portfolio must be one the caller may see (the portfolios service answers 404 otherwise).
    if (portfolioId) await deps.portfolios.owned(actor, portfolioId);
    return {
      kind: input.kind,
      symbol,
      portfolio_id: portfolioId,
      metric: input.metric ?? null,
      direction: input.direction ?? 'above',
      threshold: input.threshold ?? null,
      window_hours: input.kind === 'pct_change' ? (input.window_hours ?? DEFAULT_WINDOW_HOURS) : null,
      cooldown_seconds: input.cooldown_seconds ?? 3600,
      enabled: input.enabled ?? true,
    };
  }

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
      await publish(candidate.owner_id, event.stored).catch(() => undefined);
      await deps.webhooks.schedule(event.deliveries);
    }
    return { evaluated: alerts.length - skipped.length, fired, skipped };
  }

  return {
    async create(actor: TActor, input: TAlertInput): Promise<TAlertRecord> {
      requirePermission(actor, 'alerts:manage');
      const user = requireUser(actor);
      const alert = await validated(actor, input);
      return inTransaction(db, async (tx) => {
        // Counted under a lock per owner: racing creations cannot pass the quota.
        await lockKey(tx, `quota:alerts:${user.userId}`);
        if ((await countAlerts(tx, user.userId)) >= maxAlerts)
          throw new AppError(ErrorCode.Conflict, {
            detail: `At most ${maxAlerts} alerts per user (ALERTS_PER_USER).`,
            extensions: { reason: 'quota_exceeded', quota: 'alerts_per_user', limit: maxAlerts },
          });
        return insertAlert(tx, { ...alert, owner_id: user.userId });
      });
    },

    async list(actor: TActor) {
      requirePermission(actor, 'alerts:manage');
      return { data: await listAlerts(db, requireUser(actor).userId) };
    },

    get: owned,

    async update(
      actor: TActor,
      id: string,
      change: { enabled?: boolean; threshold?: string; cooldown_seconds?: number },
    ) {
      const alert = await owned(actor, id);
      if (change.threshold !== undefined && alert.kind === 'limit_breach')
        throw unprocessable(
          'limit_breach fires on the limits’ own thresholds; give no threshold',
          'threshold_not_allowed',
        );
      return updateAlert(db, id, change);
    },

    async remove(actor: TActor, id: string): Promise<void> {
      await owned(actor, id);
      await deleteAlert(db, id);
    },

    async events(actor: TActor, id: string, page: { limit: number; cursor?: string }) {
      await owned(actor, id);
      const rows = await listEvents(db, id, {
        limit: page.limit + 1,
        ...(page.cursor ? { before: page.cursor } : {}),
      });
      const data = rows.slice(0, page.limit);
      return {
        data,
        pagination: { limit: page.limit, next_cursor: rows.length > page.limit ? data.at(-1)!.id : null },
      };
    },

    /** The caller's events after an event id (SSE `Last-Event-ID`), oldest first. */
    async eventsSince(actor: TActor, afterId: string, limit = 500) {
      requirePermission(actor, 'alerts:manage');
      return eventsAfter(db, requireUser(actor).userId, afterId, limit);
    },

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
