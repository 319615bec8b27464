import { z } from 'zod';

/**
 * The whole runtime configuration, parsed once at start-up. Nothing else in the code base reads
 * `process.env`; composition roots call `loadConfig()` and pass the frozen result down.
 */
const DEV_SECRET = 'dev-only-secret-key-change-me-in-production-000';

const csv = z.string().transform((value) =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean),
);

const bool = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

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
    REDIS_URL: z.url().default('redis://127.0.0.1:6379'),
    REDIS_KEY_PREFIX: z.string().default('tb:').describe('Prefix of every cache and rate-limit key'),
    SECRET_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
    ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    COINGECKO_API_KEY: z.string().optional(),
    COINGECKO_API_PLAN: z.enum(['demo', 'pro']).default('demo'),
    COINGECKO_BASE_URL: z.url().optional(),
    COINGECKO_CALLS_PER_MINUTE: z.coerce.number().int().min(1).default(30),
    COINMARKETCAP_API_KEY: z.string().optional(),
    COINMARKETCAP_BASE_URL: z.url().default('https://pro-api.coinmarketcap.com'),
    PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
    PROVIDER_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
    MARKET_DATA_PROVIDER: z.enum(['replay', 'coingecko', 'coinmarketcap']).default('replay'),
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(60),
    SYNC_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(10),
    CACHE_TTL_SECONDS: z.coerce.number().int().min(1).default(300),
    CACHE_MEMORY_MB: z.coerce
      .number()
      .min(0)
      .default(32)
      .describe('Responses kept in each API process in front of Redis (MiB, 0 = off)'),
    HTTP_MAX_AGE_SECONDS: z.coerce.number().int().min(0).default(15),
    CORS_ORIGINS: csv.default(['*']),
    TRUST_PROXY: z
      .string()
      .default('false')
      .describe('Express trust proxy: false, true, a hop count or CIDR list'),
    BODY_LIMIT: z.string().default('100kb'),
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
    SEED_ON_START: bool.default(false),
  })
  .superRefine((config, ctx) => {
    if (config.NODE_ENV === 'production' && !config.SECRET_KEY) {
      ctx.addIssue({ code: 'custom', path: ['SECRET_KEY'], message: 'is required when NODE_ENV=production' });
    }
  })
  .transform((config) => ({ ...config, SECRET_KEY: config.SECRET_KEY ?? DEV_SECRET }));

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

/** Composition roots call this: a bad value stops start-up with one clear message and exit code 78. */
export function loadConfigOrExit(): TConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(78);
  }
}
