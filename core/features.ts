import type { Redis } from 'ioredis';
import type { z } from 'zod';
import { ALERT_JOBS, ALERT_MIGRATIONS, createAlertsService } from './alerts/index.ts';
import { createAuditService, type TAuditService } from './audit/index.ts';
import {
  AUTH_MIGRATIONS,
  createApiKeyService,
  createAuthService,
  createKeyRing,
  createLoginLimiter,
  createUserAdminService,
  credentialsChannel,
} from './auth/index.ts';
import { createJobAdminService, createJobService } from './jobs/index.ts';
import {
  createCryptocurrencyRepository,
  createMarketIngestion,
  createMarketService,
  createMarketSource,
  createTicker,
  MARKET_JOBS,
  MARKET_MIGRATIONS,
} from './market/index.ts';
import type { TMigration } from './platform/db/data-source.ts';
import { feature } from './platform/feature.ts';
import { createQueues, type TAnyJob } from './platform/jobs/index.ts';
import {
  createLimitsService,
  createPortfoliosService,
  PORTFOLIO_MIGRATIONS,
  type TLimitsService,
  type TPortfoliosService,
} from './portfolios/index.ts';
import {
  createRiskRepository,
  createRiskService,
  RISK_JOBS,
  RISK_MIGRATIONS,
  type TRiskService,
} from './risk/index.ts';
import {
  createSecretBox,
  createWebhookTrust,
  createWebhooksService,
  dnsServersResolve,
  systemResolve,
  WEBHOOK_JOBS,
  WEBHOOK_MIGRATIONS,
  type TWebhooksService,
} from './webhooks/index.ts';
import { readDataVersion } from './platform/cache/versions.ts';
import { flowOf } from './workflows.ts';

export { feature, type TAnyFeature, type TFeature, type TFeatureDeps } from './platform/feature.ts';

/**
 * Every feature, in the order their services are built (a feature may use those before it). The roots
 * (api, worker, the migration CLI) and the test helpers read this list: the services, the jobs the worker
 * runs, the schema (and so the tables a test truncates, test/db.ts). The operator reads core/schedules.ts.
 */
export const FEATURES = [
  feature({
    name: 'audit',
    migrations: [],
    jobs: [],
    routes: [],
    services: ({ db, config }) => ({
      audit: createAuditService({ db, retentionDays: config.AUDIT_RETENTION_DAYS }),
    }),
  }),
  feature({
    name: 'auth',
    migrations: AUTH_MIGRATIONS,
    jobs: [],
    routes: ['api/routes/auth/auth.routes.ts', 'api/routes/admin/admin.routes.ts'],
    services: ({ db, redis, config }, { audit }: { audit: TAuditService }) => {
      const prefix = config.REDIS_KEY_PREFIX;
      const keys = createKeyRing({
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
        ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
        privateKeyPem: config.JWT_PRIVATE_KEY,
        previousPublicKeysPem: config.JWT_PREVIOUS_PUBLIC_KEYS,
        secret: config.SECRET_KEY,
        previousSecrets: config.SECRET_KEY_PREVIOUS,
      });
      const limiter = createLoginLimiter({
        redis,
        keyPrefix: prefix,
        limits: {
          perAccountClient: config.LOGIN_MAX_FAILURES_PER_ACCOUNT_CLIENT,
          perAccount: config.LOGIN_MAX_FAILURES_PER_ACCOUNT,
          perIp: config.LOGIN_MAX_FAILURES_PER_IP,
          windowSeconds: config.LOGIN_FAILURE_WINDOW_SECONDS,
        },
      });
      // Live streams of the user listen on this channel and re-check their own session or key.
      const credentialsChanged = async (userId: string) => {
        await redis.publish(credentialsChannel(prefix, userId), 'changed');
      };
      return {
        auth: createAuthService({
          db,
          keys,
          limiter,
          audit,
          settings: {
            refreshTokenDays: config.REFRESH_TOKEN_TTL_DAYS,
            publicMarketData: config.PUBLIC_MARKET_DATA,
            signup: config.AUTH_SIGNUP,
            signupRole: config.AUTH_SIGNUP_ROLE,
          },
          credentialsChanged,
        }),
        apiKeys: createApiKeyService({ db, audit, credentialsChanged, maxKeys: config.API_KEYS_PER_USER }),
        users: createUserAdminService({ db, audit, credentialsChanged }),
      };
    },
  }),
  feature({
    name: 'market',
    migrations: MARKET_MIGRATIONS,
    jobs: MARKET_JOBS,
    routes: ['api/routes/market/market.routes.ts'],
    services: ({ config, db, redis, logger, jobs, metrics }) => ({
      market: createMarketService({ coins: createCryptocurrencyRepository(db) }),
      // Started by the worker only (worker/main.ts); the API reads what it publishes.
      ticker: createTicker({
        db,
        redis,
        announce: jobs.announce,
        keyPrefix: config.REDIS_KEY_PREFIX,
        intervalSeconds: config.TICK_INTERVAL_SECONDS,
        replay: config.MARKET_TICK_REPLAY,
        logger,
      }),
      marketSource: createMarketSource({ db, provider: config.MARKET_DATA_PROVIDER }),
      ingestion: createMarketIngestion({
        config,
        db,
        redis,
        logger,
        jobs,
        ...(metrics ? { registry: metrics } : {}),
      }),
    }),
  }),
  feature({
    name: 'risk',
    migrations: RISK_MIGRATIONS,
    jobs: RISK_JOBS,
    routes: ['api/routes/risk/risk.routes.ts'],
    services: ({ db, cacheRedis, config }) => {
      const prefix = config.REDIS_KEY_PREFIX;
      return {
        risk: createRiskService({
          risk: createRiskRepository(db),
          cache: {
            version: () => readDataVersion(cacheRedis, prefix),
            get: (key) => cacheRedis.get(`${prefix}${key}`),
            set: async (key, value, ttlSeconds) => {
              await cacheRedis.set(`${prefix}${key}`, value, 'EX', ttlSeconds);
            },
          },
        }),
      };
    },
  }),
  feature({
    name: 'portfolios',
    migrations: PORTFOLIO_MIGRATIONS,
    jobs: [],
    routes: [
      'api/routes/portfolios/portfolios.routes.ts',
      'api/routes/portfolios/analytics.routes.ts',
      'api/routes/portfolios/limits.routes.ts',
    ],
    services: ({ db, config, jobs }) => {
      const portfolios = createPortfoliosService({
        db,
        quotas: {
          portfoliosPerUser: config.PORTFOLIOS_PER_USER,
          transactionsPerPortfolio: config.TRANSACTIONS_PER_PORTFOLIO,
          importMaxRows: config.IMPORT_MAX_ROWS,
          targetsPerPortfolio: config.TARGETS_PER_PORTFOLIO,
          limitsPerPortfolio: config.LIMITS_PER_PORTFOLIO,
        },
        jobs,
      });
      return {
        portfolios,
        limits: createLimitsService({ db, portfolios, maxLimits: config.LIMITS_PER_PORTFOLIO }),
      };
    },
  }),
  feature({
    name: 'webhooks',
    migrations: WEBHOOK_MIGRATIONS,
    jobs: WEBHOOK_JOBS,
    routes: ['api/routes/webhooks/webhooks.routes.ts'],
    services: ({ db, config, jobs }, { audit }: { audit: TAuditService }) => ({
      webhooks: createWebhooksService({
        db,
        audit,
        jobs,
        box: createSecretBox(config.SECRET_KEY, config.SECRET_KEY_PREVIOUS),
        resolve: config.WEBHOOK_DNS_SERVERS.length
          ? dnsServersResolve(config.WEBHOOK_DNS_SERVERS)
          : systemResolve,
        trust: createWebhookTrust(config.WEBHOOK_CA_FILE?.pems ?? []),
        settings: {
          allowPrivate: config.WEBHOOK_ALLOW_PRIVATE_TARGETS,
          requireHttps: config.NODE_ENV === 'production',
          retrySchedule: config.WEBHOOK_RETRY_SCHEDULE,
          timeoutMs: config.WEBHOOK_TIMEOUT_MS,
          deadlineMs: config.WEBHOOK_DEADLINE_MS,
          maxResponseBytes: config.WEBHOOK_MAX_RESPONSE_BYTES,
          disableAfterDead: config.WEBHOOK_DISABLE_AFTER_DEAD,
          secretGraceMs: config.WEBHOOK_SECRET_GRACE_HOURS * 3_600_000,
          maxEndpoints: config.WEBHOOK_MAX_ENDPOINTS,
        },
      }),
    }),
  }),
  feature({
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
  }),
  feature({
    name: 'jobs',
    migrations: [],
    jobs: [],
    routes: ['api/routes/jobs/jobs.routes.ts', 'api/routes/jobs/job-admin.routes.ts'],
    services: (
      { queues, redis, config },
      { audit, webhooks }: { audit: TAuditService; webhooks: TWebhooksService },
    ) => ({
      jobAdmin: createJobAdminService({ queues, audit, webhooks }),
      jobs: createJobService({ queues, redis, keyPrefix: config.REDIS_KEY_PREFIX, audit }),
    }),
  }),
] as const;

type TFeatures = (typeof FEATURES)[number];
type TUnionToIntersection<U> = (U extends unknown ? (value: U) => void : never) extends (
  value: infer I,
) => void
  ? I
  : never;

/** Every feature's services, by name. */
export type TFeatureServices = TUnionToIntersection<ReturnType<TFeatures['services']>>;

/** Every job the platform runs, feature by feature; each name is also its queue. */
type TJob = TFeatures['jobs'][number];
export const JOBS: TJob[] = FEATURES.flatMap((entry): TJob[] => [...entry.jobs]);
export type TJobName = TJob['name'];
export const JOB_NAMES: TJobName[] = JOBS.map((job) => job.name);
export type TJobPayloads = { [J in TJob as J['name']]: z.output<J['schema']> };

/** The schema: every feature's migrations, oldest first (TypeORM runs them in this order). */
export const MIGRATIONS: TMigration[] = FEATURES.flatMap((entry) => [...entry.migrations]).sort(
  (a, b) => stamp(a) - stamp(b),
);
function stamp(migration: TMigration): number {
  return Number(/(\d{13})$/.exec(migration.name)?.[1] ?? 0);
}

/** The producer over every feature's jobs (or `jobs`), with the flows core/workflows.ts declares. */
export function createJobQueues<const Registry extends readonly TAnyJob[] = typeof JOBS>(
  connection: Redis,
  prefix: string,
  onError?: (error: Error) => void,
  jobs: Registry = JOBS as unknown as Registry,
) {
  return createQueues(jobs, connection, prefix, { flowOf, ...(onError ? { onError } : {}) });
}

export type TJobQueues = ReturnType<typeof createJobQueues<typeof JOBS>>;
