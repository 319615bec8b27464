import { z } from 'zod';
import { bool, commaList } from './env-parts.ts';
import { checkSecretKey, processSecretKey, SECURITY_ENV } from './env-security.ts';
import { REDIS_SETTINGS, redisTargets } from './redis-config.ts';
import { LIVE_MARKET_SETTINGS } from './live-market-config.ts';
import { OPERATOR_SETTINGS } from './operator-config.ts';
import { QUOTA_SHAPE } from './quotas.ts';
import { TRACING_SETTINGS } from './tracing-config.ts';

// The whole runtime configuration, parsed once at start-up. Nothing else in the code base reads
// `process.env`; composition roots call `loadConfig()` and pass the frozen result down.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/** A comma list of durations such as `5s,30s,2m,1h` (units ms, s, m, h), in milliseconds. */
const durations = z
  .string()
  .regex(/^\s*\d+(ms|s|m|h)(\s*,\s*\d+(ms|s|m|h))*\s*$/, 'must be a comma list of durations such as 5s,2m,1h')
  .transform((value) =>
    value.split(',').map((part) => {
      const [, amount, unit] = /^(\d+)(ms|s|m|h)$/.exec(part.trim())!;
      return Number(amount) * UNIT_MS[unit!]!;
    }),
  );

export const ZConfig = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    SERVICE_NAME: z.string().default('trading-backend'),
    HOST: z.string().default('0.0.0.0').describe('Interface the HTTP servers bind to'),
    PORT: z.coerce.number().int().min(0).max(65535).default(8000).describe('API port'),
    WORKER_PORT: z.coerce
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(9100)
      .describe('Worker health/metrics port'),
    DATABASE_URL: z.url().default('postgres://trading:trading@127.0.0.1:5432/trading'),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
    DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
    DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).default(1500),
    ...REDIS_SETTINGS,
    ...SECURITY_ENV,
    JWT_PRIVATE_KEY: z
      .string()
      .optional()
      .describe('PEM of the Ed25519 key that signs access tokens (default: one derived from SECRET_KEY)'),
    JWT_PREVIOUS_PUBLIC_KEYS: z
      .string()
      .optional()
      .describe('PEMs of earlier signing keys still accepted, for a rotation without logging anyone out'),
    JWT_ISSUER: z.string().min(1).default('trading-backend'),
    JWT_AUDIENCE: z.string().min(1).default('trading-backend-api'),
    ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(3600).default(900),
    REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(90).default(30),
    BOOTSTRAP_ADMIN_EMAIL: z
      .email()
      .optional()
      .describe('Creates this admin at start when no active admin exists'),
    BOOTSTRAP_ADMIN_PASSWORD: z.string().optional(),
    AUTH_SIGNUP: z.enum(['closed', 'open']).default('closed'),
    AUTH_SIGNUP_ROLE: z.enum(['trader', 'analyst']).default('trader'),
    LOGIN_MAX_FAILURES_PER_ACCOUNT_CLIENT: z.coerce.number().int().min(1).default(10),
    LOGIN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).default(100),
    LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().min(1).default(50),
    LOGIN_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(10).default(900),
    RATE_LIMIT_ROLE_QUOTAS: z
      .string()
      .default('admin=6000,service=3000,trader=600,analyst=600')
      .transform((value, ctx) => {
        const quotas: Partial<Record<'admin' | 'trader' | 'analyst' | 'service', number>> = {};
        for (const part of value
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean)) {
          const [role, count] = part.split('=');
          if (!['admin', 'trader', 'analyst', 'service'].includes(role ?? '') || !/^\d+$/.test(count ?? '')) {
            ctx.addIssue({ code: 'custom', message: `"${part}" is not role=requests-per-minute` });
            return z.NEVER;
          }
          quotas[role as 'admin'] = Number(count);
        }
        return quotas;
      })
      .describe(
        'Requests per minute per authenticated principal, by role; anonymous callers get RATE_LIMIT_PER_MINUTE',
      ),
    ALERT_STREAMS_PER_USER: z.coerce.number().int().min(1).max(100).default(5),
    ALERT_STREAM_RECHECK_SECONDS: z.coerce.number().int().min(1).max(300).default(30),
    AUDIT_RETENTION_DAYS: z.coerce.number().int().min(30).default(365),
    ...LIVE_MARKET_SETTINGS,
    REPORT_RETENTION_DAYS: z.coerce
      .number()
      .int()
      .min(1)
      .max(3650)
      .default(90)
      .describe('Days a generated report is kept; the cleanup-reports job deletes it after'),
    REPORT_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(64 * 1024)
      .max(4 * 1024 * 1024 * 1024)
      .default(256 * 1024 * 1024)
      .describe('Size cap of one report; a larger one fails (report_too_large)'),
    COINGECKO_API_KEY: z.string().optional(),
    COINGECKO_API_PLAN: z.enum(['demo', 'pro']).default('demo'),
    COINGECKO_BASE_URL: z.url().optional(),
    COINGECKO_CALLS_PER_MINUTE: z.coerce.number().int().min(1).default(30),
    COINGECKO_CALLS_PER_MONTH: z.coerce
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        "The plan's monthly call cap; paces the live ticker (default 10,000 with a demo key, else none)",
      ),
    COINMARKETCAP_API_KEY: z.string().optional(),
    COINMARKETCAP_BASE_URL: z.url().default('https://pro-api.coinmarketcap.com'),
    COINMARKETCAP_CALLS_PER_MINUTE: z.coerce
      .number()
      .int()
      .min(1)
      .default(30)
      .describe("The client's own CoinMarketCap call budget (Basic: 30 per minute)"),
    COINMARKETCAP_CALLS_PER_MONTH: z.coerce
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        "The plan's monthly credit cap; paces the live ticker (default 10,000 with a key: Basic, else none)",
      ),
    PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
    PROVIDER_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
    MARKET_DATA_PROVIDER: z.enum(['replay', 'coingecko', 'coinmarketcap']).default('replay'),
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(60),
    SYNC_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(10),
    AUTH_RATE_LIMIT_PER_MINUTE: z.coerce
      .number()
      .int()
      .min(1)
      .default(20)
      .describe('Login, refresh and sign-up requests per minute per client'),
    CACHE_TTL_SECONDS: z.coerce.number().int().min(1).default(300),
    CACHE_MEMORY_MB: z.coerce
      .number()
      .min(0)
      .default(32)
      .describe('Responses kept in each API process in front of Redis (MiB, 0 = off)'),
    HTTP_MAX_AGE_SECONDS: z.coerce.number().int().min(0).default(15),
    CORS_ORIGINS: commaList.default(['*']),
    TRUST_PROXY: z
      .string()
      .default('false')
      .describe('Express trust proxy: false, true, a hop count or CIDR list'),
    BODY_LIMIT: z.string().default('100kb'),
    IMPORT_BODY_LIMIT: z.string().default('10mb').describe('Largest CSV body of a transaction import'),
    // Time budget of the expensive reads (risk, rankings, correlations, performance), then a 503.
    REQUEST_DEADLINE_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
    // The largest answer kept for Idempotency-Key replays; a larger one is kept as a reference.
    IDEMPOTENCY_MAX_BODY_BYTES: z.coerce.number().int().min(0).default(65_536),
    ...TRACING_SETTINGS,
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    SHUTDOWN_DELAY_MS: z.coerce
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('Time to keep serving after SIGTERM so load balancers drop the pod first'),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(1000).default(25_000),
    HISTORY_RETENTION_DAYS: z.coerce.number().int().min(1).default(365),
    SCHEDULER: z.enum(['none', 'internal']).default('none'),
    QUEUE_PREFIX: z.string().min(1).default('tb').describe('BullMQ key prefix'),
    BACKFILL_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(2),
    WORKER_LOCK_DURATION_MS: z.coerce
      .number()
      .int()
      .min(1000)
      .default(30_000)
      .describe('A job whose worker stops renewing its lock this long is handed to another worker'),
    WORKER_STALLED_INTERVAL_MS: z.coerce.number().int().min(500).default(30_000),
    WEBHOOK_ALLOW_PRIVATE_TARGETS: bool
      .default(false)
      .describe(
        'Deliver webhooks to private, loopback and link-local addresses (tests, in-cluster receivers)',
      ),
    WEBHOOK_RETRY_SCHEDULE: durations
      .default([
        5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000, 28_800_000, 28_800_000,
      ])
      .describe('Delay before each retry of a failed delivery (about a day in all); then the dead letter'),
    WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
    WEBHOOK_MAX_RESPONSE_BYTES: z.coerce.number().int().min(0).default(65_536),
    WEBHOOK_DISABLE_AFTER_DEAD: z.coerce.number().int().min(1).default(5),
    WEBHOOK_SECRET_GRACE_HOURS: z.coerce.number().min(0).max(720).default(24),
    WEBHOOK_MAX_ENDPOINTS: z.coerce.number().int().min(1).max(1000).default(20),
    ...QUOTA_SHAPE,
    QUEUE_CONCURRENCY: z
      .string()
      .default('')
      .transform((value, ctx) => {
        const limits: Record<string, number> = {};
        for (const part of value
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean)) {
          const [queue, count] = part.split('=');
          if (!/^[a-z-]{1,40}$/.test(queue ?? '') || !/^\d{1,3}$/.test(count ?? '') || Number(count) < 1) {
            ctx.addIssue({ code: 'custom', message: `"${part}" is not queue=jobs-at-once (1..999)` });
            return z.NEVER;
          }
          limits[queue!] = Number(count);
        }
        return limits;
      })
      .describe('Jobs at once per queue in each worker, e.g. deliver-webhook=32,evaluate-alerts=4'),
    WORKER_QUEUES: commaList
      .optional()
      .describe('Queues this worker serves (comma list of job names); default every queue'),
    WORKER_SKIP_QUEUES: commaList
      .default([])
      .describe('Queues this worker leaves to others (deliver-webhook, say)'),
    ...OPERATOR_SETTINGS,
    SEED_ON_START: bool.default(false),
    PUBLIC_MARKET_DATA: bool
      .default(true)
      .describe(
        'Anonymous callers may read market data and risk (the quick start); false requires credentials',
      ),
  })
  .superRefine((config, ctx) => {
    checkSecretKey(config, ctx);
    if (Boolean(config.BOOTSTRAP_ADMIN_EMAIL) !== Boolean(config.BOOTSTRAP_ADMIN_PASSWORD)) {
      ctx.addIssue({
        code: 'custom',
        path: ['BOOTSTRAP_ADMIN_PASSWORD'],
        message: 'BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD go together',
      });
    }
  })
  .transform((config) => ({
    ...config,
    SECRET_KEY: config.SECRET_KEY ?? processSecretKey(),
    /** True when no SECRET_KEY was given: this process's own key (sealed secrets die with it). */
    SECRET_KEY_GENERATED: !config.SECRET_KEY,
    // A free key's monthly cap unless told otherwise (CoinGecko Demo, CoinMarketCap Basic: 10,000), so that
    // the live ticker never spends a month's calls in a day; keyless and paid plans: the figure given, if any.
    COINGECKO_CALLS_PER_MONTH:
      config.COINGECKO_CALLS_PER_MONTH ??
      (config.COINGECKO_API_KEY && config.COINGECKO_API_PLAN === 'demo' ? 10_000 : undefined),
    COINMARKETCAP_CALLS_PER_MONTH:
      config.COINMARKETCAP_CALLS_PER_MONTH ?? (config.COINMARKETCAP_API_KEY ? 10_000 : undefined),
    /** Where the queue store's and the cache store's connections go (a URL, or the master Sentinels name). */
    ...redisTargets(config),
  }));

export type TConfig = Readonly<z.output<typeof ZConfig>>;

export class ConfigError extends Error {}

/** Parses the environment; empty strings count as unset so `FOO=` in a .env file means "default". */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): TConfig {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = ZConfig.safeParse(present);
  if (!result.success) {
    const lines = result.error.issues.map(
      (issue) => `  ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return Object.freeze(result.data);
}

/**
 * Composition roots call this: a bad value stops start-up with one clear message and exit code 78.
 * `secretKey: 'unused'` is for the processes that never seal a secret or sign a token (migrate, the
 * operator): without SECRET_KEY they get a key made for this process instead of a refusal, so their
 * pods need no Secret (a pre-install hook runs before the chart's Secret exists).
 */
export function loadConfigOrExit(options: { secretKey?: 'unused' } = {}): TConfig {
  try {
    const env =
      options.secretKey === 'unused' && !process.env.SECRET_KEY
        ? { ...process.env, SECRET_KEY: processSecretKey() }
        : process.env;
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(78);
  }
}
