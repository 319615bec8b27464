import { feature } from '../platform/feature.ts';
import type { TLimitsService, TPortfoliosService } from '../portfolios/index.ts';
import type { TRiskService } from '../risk/index.ts';
import type { TWebhooksService } from '../webhooks/index.ts';
import { ALERT_JOBS, ALERT_MIGRATIONS, createAlertsService } from './index.ts';

/** The alerts feature as core/features.ts lists it: its schema, jobs, routes and how its services are built. */
export const alertsFeature = feature({
  name: 'alerts',
  migrations: ALERT_MIGRATIONS,
  jobs: ALERT_JOBS,
  routes: ['api/routes/alerts/alerts.routes.ts'],
  services: (
    { db, redis, config },
    built: {
      portfolios: TPortfoliosService;
      limits: TLimitsService;
      risk: TRiskService;
      webhooks: TWebhooksService;
    },
  ) => ({
    alerts: createAlertsService({
      db,
      portfolios: built.portfolios,
      limits: built.limits,
      risk: built.risk,
      webhooks: built.webhooks,
      maxAlerts: config.ALERTS_PER_USER,
      pubsub: { redis, keyPrefix: config.REDIS_KEY_PREFIX },
    }),
  }),
});
