import { AsyncLocalStorage } from 'node:async_hooks';
import { destination, pino, type DestinationStream, type Logger } from 'pino';
import { activeTraceFields } from '../tracing/index.ts';

export type TLogContext = { requestId?: string; jobId?: string };

/** Carries the request or job id to every log line written while handling it. */
export const logContext = new AsyncLocalStorage<TLogContext>();

const REDACT = [
  'password',
  '*.password',
  'secret',
  '*.secret',
  'SECRET_KEY',
  '*.SECRET_KEY',
  'BOOTSTRAP_ADMIN_PASSWORD',
  '*.BOOTSTRAP_ADMIN_PASSWORD',
  'JWT_PRIVATE_KEY',
  '*.JWT_PRIVATE_KEY',
  '*.COINGECKO_API_KEY',
  '*.COINMARKETCAP_API_KEY',
  '*.DATABASE_URL',
  '*.REDIS_URL',
  '*.CACHE_REDIS_URL',
  '*.REDIS_PASSWORD',
  '*.CACHE_REDIS_PASSWORD',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  '*.access_token',
  '*.refresh_token',
  '*.current_password',
  '*.new_password',
  'headers["x-cg-demo-api-key"]',
  'headers["x-cg-pro-api-key"]',
  'headers["X-CMC_PRO_API_KEY"]',
];

/** The process logger, to stdout unless given another destination (tests capture the stream). */
export function createLogger(options: {
  level: string;
  name: string;
  destination?: DestinationStream;
}): Logger {
  return pino(
    {
      name: options.name,
      level: options.level,
      redact: { paths: REDACT, censor: '[redacted]' },
      base: { service: options.name },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // The request or job id, and with tracing on the active span's trace_id and span_id.
      mixin: () => {
        const ids = logContext.getStore() ?? {};
        const trace = activeTraceFields();
        return trace ? { ...ids, ...trace } : ids;
      },
    },
    options.destination,
  );
}

/** Strips credentials from a connection URL before it is logged or shown. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '[unparsable url]';
  }
}

/** pino's ISO time, formatted once per millisecond: a busy API writes many lines within one. */
function isoTimeByMillisecond(): () => string {
  let lastMs = -1;
  let stamp = '';
  return () => {
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      stamp = `,"time":"${new Date(now).toISOString()}"`;
    }
    return stamp;
  };
}

/** The fields of an access log line, in the order they are written. */
export type TAccessFields = {
  requestId: string;
  method: string | undefined;
  url: string;
  status: number;
  duration_ms: number;
  ip: string | undefined;
  cache: unknown;
};

type TAccessWriter = (level: 'info' | 'error', fields: TAccessFields) => void;

const accessWriters = new WeakMap<Logger, TAccessWriter>();

/**
 * The access logger's own line writer, if `logger` is one (createAccessLogger): the same line pino
 * would write, composed directly. pino's generic serializer walks and type-checks every field of every
 * line; an access line has seven known ones, and the API writes one per request.
 */
export const accessWriterOf = (logger: Logger): TAccessWriter | undefined => accessWriters.get(logger);

/** `,"name":value` as JSON, or nothing for undefined (pino leaves such fields out). */
const jsonField = (name: string, value: unknown): string =>
  value === undefined ? '' : `,"${name}":${JSON.stringify(value)}`;

/**
 * The per-request access log: one line per request, fields we choose (no secrets), so no redaction
 * pass, and buffered asynchronous writes to keep it off the hot path: a write at 32 KiB or after a
 * second at the latest (so a quiet API's lines still show promptly); `flush()` writes the rest
 * synchronously (on shutdown, before exit).
 */
export function createAccessLogger(options: {
  level: string;
  name: string;
  /** Where lines go instead of standard output (tests). */
  destination?: { write(line: Buffer): unknown; flushSync(): void };
}): Logger {
  // Buffer mode: in its string mode sonic-boom measures the byte length of the whole pending
  // buffer on every write, which cost more than formatting the line.
  const sink =
    options.destination ??
    destination({
      dest: 1,
      sync: false,
      minLength: 32 * 1024,
      maxWrite: 64 * 1024,
      periodicFlush: 1000,
      contentMode: 'buffer',
    });
  const write = (line: string) => sink.write(Buffer.from(line) as unknown as string & Buffer);
  const stream = {
    write,
    flush: (callback?: () => void) => {
      sink.flushSync();
      callback?.();
    },
  };
  const time = isoTimeByMillisecond();
  const logger = pino(
    {
      name: options.name,
      level: options.level,
      base: { service: options.name },
      timestamp: time,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
  const names = `${jsonField('service', options.name)}${jsonField('name', options.name)}`;
  accessWriters.set(logger, (level, fields) => {
    if (!logger.isLevelEnabled(level)) return;
    write(
      `{"level":"${level}"${time()}${names}${jsonField('requestId', fields.requestId)}${jsonField('method', fields.method)}` +
        `${jsonField('url', fields.url)},"status":${fields.status},"duration_ms":${fields.duration_ms}` +
        `${jsonField('ip', fields.ip)}${jsonField('cache', fields.cache)},"msg":"request completed"}\n`,
    );
  });
  return logger;
}
