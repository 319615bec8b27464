import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { alertChannel } from './channel.ts';
import { createPriceReader } from '../market/index.ts';
import { requireOwned, requirePermission, requireUser, type TActor } from '../platform/access/index.ts';
import { inTransaction, lockKey } from '../platform/db/tx.ts';
import { AppError, ErrorCode } from '../platform/errors/app-error.ts';
import { keysetPage } from '../platform/paging.ts';
import type { TLimitsService, TPortfoliosService } from '../portfolios/index.ts';
import type { TRiskService } from '../risk/index.ts';
import type { TWebhooksService } from '../webhooks/index.ts';
import { createAlertEvaluation } from './alert-evaluation.ts';
import {
  countAlerts,
  deleteAlert,
  eventsAfter,
  findAlert,
  insertAlert,
  listAlerts,
  listEvents,
  updateAlert,
  type TAlertEventRecord,
  type TAlertRecord,
} from './alerts.repository.ts';
import type { TAlertKind, TAlertMetric } from './rules.ts';

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
 * Alerts, owner-scoped (404 to others): created, listed, changed, their events read. Their evaluation
 * (after syncs and portfolio changes) is alert-evaluation.ts; the deps are the feature's one entry point.
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

  const owned = (actor: TActor, id: string): Promise<TAlertRecord> =>
    requireOwned(
      actor,
      { manage: 'alerts:manage', admin: 'alerts:admin' },
      () => findAlert(db, id),
      () => notFound(id),
    );

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
      return keysetPage(
        page.limit,
        (limit) => listEvents(db, id, { limit, ...(page.cursor ? { before: page.cursor } : {}) }),
        (last) => last.id,
      );
    },

    /** The caller's events after an event id (SSE `Last-Event-ID`), oldest first. */
    async eventsSince(actor: TActor, afterId: string, limit = 500) {
      requirePermission(actor, 'alerts:manage');
      return eventsAfter(db, requireUser(actor).userId, afterId, limit);
    },

    ...createAlertEvaluation({ ...deps, prices, now, publish }),
  };
}
