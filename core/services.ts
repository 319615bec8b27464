import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { alertChannel, createAlertsService } from './alerts/index.ts';
import { createAuditService } from './audit/index.ts';
import {
  createApiKeyService,
  createAuthService,
  createKeyRing,
  createLoginLimiter,
  createUserAdminService,
  credentialsChannel,
} from './auth/index.ts';
import { createJobAdminService, createJobService, type TQueues } from './jobs/index.ts';
import { createCryptocurrencyRepository, createMarketService, createMarketSource } from './market/index.ts';
import type { TConfig } from './platform/config/env.ts';
import { createLimitsService, createPortfoliosService } from './portfolios/index.ts';
import { bumpResourceVersion, readDataVersion } from './platform/cache/versions.ts';
import { createRiskRepository, createRiskService } from './risk/index.ts';
import {
  createSecretBox,
  createWebhookTrust,
  createWebhooksService,
  dnsServersResolve,
  systemResolve,
} from './webhooks/index.ts';

export type TServiceDeps = {
  config: TConfig;
  db: DataSource;
  /** The queue store: what must not be evicted (job requesters, login failures, alert pub/sub). */
  redis: Redis;
  /** The cache store: cache versions and computed rankings (default: `redis`). */
  cacheRedis?: Redis;
  queues: TQueues;
  logger: Logger;
};

/**
 * The one composition of the domain services, built the same way by the API and the worker (and by
 * the tests): each feature's service over its repositories and the shared infrastructure.
 */
export function createServices(deps: TServiceDeps) {
  const { config, db, redis } = deps;
  const cacheRedis = deps.cacheRedis ?? redis;
  const prefix = config.REDIS_KEY_PREFIX;
  const audit = createAuditService({ db });
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
    keyPrefix: config.REDIS_KEY_PREFIX,
    limits: {
      perAccountClient: config.LOGIN_MAX_FAILURES_PER_ACCOUNT_CLIENT,
      perAccount: config.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      perIp: config.LOGIN_MAX_FAILURES_PER_IP,
      windowSeconds: config.LOGIN_FAILURE_WINDOW_SECONDS,
    },
  });
  // Live streams of the user listen on this channel and re-check their own session or key.
  const credentialsChanged = async (userId: string) => {
    await redis.publish(credentialsChannel(config.REDIS_KEY_PREFIX, userId), 'changed');
  };
  const portfolios = createPortfoliosService({
    db,
    quotas: {
      portfoliosPerUser: config.PORTFOLIOS_PER_USER,
      transactionsPerPortfolio: config.TRANSACTIONS_PER_PORTFOLIO,
      importMaxRows: config.IMPORT_MAX_ROWS,
      targetsPerPortfolio: config.TARGETS_PER_PORTFOLIO,
      limitsPerPortfolio: config.LIMITS_PER_PORTFOLIO,
    },
    onChange: async (id) => {
      await bumpResourceVersion(cacheRedis, prefix, `portfolio:${id}`);
      // Its limit and risk alerts are evaluated in the worker, never in the request.
      await deps.queues.enqueue('evaluate-alerts', { portfolio_id: id });
    },
  });
  const limits = createLimitsService({ db, portfolios, maxLimits: config.LIMITS_PER_PORTFOLIO });
  const risk = createRiskService({
    risk: createRiskRepository(db),
    cache: {
      version: () => readDataVersion(cacheRedis, prefix),
      get: (key) => cacheRedis.get(`${prefix}${key}`),
      set: async (key, value, ttlSeconds) => {
        await cacheRedis.set(`${prefix}${key}`, value, 'EX', ttlSeconds);
      },
    },
  });
  const webhooks = createWebhooksService({
    db,
    audit,
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
    schedule: async (deliveryId, step, delayMs) => {
      await deps.queues.enqueue('deliver-webhook', { delivery_id: deliveryId, step }, Date.now(), {
        delayMs,
      });
    },
    deadLetter: (entry) => deps.queues.toDeadLetter({ source: 'webhook', ...entry }),
  });
  return {
    audit,
    webhooks,
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
    market: createMarketService({ coins: createCryptocurrencyRepository(db) }),
    marketSource: createMarketSource({ db, provider: config.MARKET_DATA_PROVIDER }),
    risk,
    portfolios,
    limits,
    alerts: createAlertsService({
      db,
      portfolios,
      limits,
      risk,
      webhooks,
      maxAlerts: config.ALERTS_PER_USER,
      publish: async (ownerId, event) => {
        await redis.publish(alertChannel(config.REDIS_KEY_PREFIX, ownerId), JSON.stringify(event));
      },
    }),
    jobAdmin: createJobAdminService({
      queues: deps.queues,
      audit,
      replayDelivery: (id) => webhooks.replay(id),
    }),
    jobs: createJobService({ queues: deps.queues, redis, keyPrefix: config.REDIS_KEY_PREFIX, audit }),
  };
}

export type TServices = ReturnType<typeof createServices>;
