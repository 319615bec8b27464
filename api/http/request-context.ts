import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { accessWriterOf, logContext } from '../../core/platform/logging/logger.ts';
import { activeTraceFields, type TTraceFields } from '../../core/platform/tracing/index.ts';

const VALID_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The request's id: the client's X-Request-Id when it is sane, a new UUID otherwise. */
export function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

export type TAccessLine = {
  requestId: string;
  method: string | undefined;
  url: string;
  status: number;
  started: bigint;
  ip: string | undefined;
  cache: unknown;
  /** The request's trace and span ids (tracing on). */
  trace?: TTraceFields | undefined;
};

/** The one access log line of a request (every path that answers one writes it through here). */
export function logAccess(logger: Logger, line: TAccessLine): void {
  const durationMs = Number(process.hrtime.bigint() - line.started) / 1e6;
  const level = line.status >= 500 ? 'error' : 'info';
  const fields = {
    requestId: line.requestId,
    method: line.method,
    url: line.url.slice(0, 512),
    status: line.status,
    duration_ms: Math.round(durationMs * 100) / 100,
    ip: line.ip,
    cache: line.cache,
  };
  // The access logger's own writer knows the seven fields; a line with trace ids goes through pino.
  const writer = line.trace ? undefined : accessWriterOf(logger);
  if (writer) writer(level, fields);
  else logger[level]({ ...fields, ...line.trace }, 'request completed');
}

/**
 * Gives every request an id (kept from X-Request-Id when it is sane), echoes it in the response,
 * binds it to every log line through AsyncLocalStorage, and writes one access log line at the end.
 */
export function requestContext(logger: Logger, isShuttingDown: () => boolean = () => false): RequestHandler {
  return (req, res, next) => {
    const requestId = requestIdOf(req);
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    // While draining, ask clients not to reuse the connection so the listener can close promptly.
    if (isShuttingDown()) res.setHeader('Connection', 'close');
    const started = process.hrtime.bigint();
    // The server span's ids, taken now: 'finish' fires outside the request's trace context.
    const trace = activeTraceFields();
    res.on('finish', () =>
      logAccess(logger, {
        requestId,
        method: req.method,
        url: req.originalUrl,
        status: res.statusCode,
        started,
        ip: req.ip,
        cache: res.getHeader('X-Cache'),
        trace,
      }),
    );
    logContext.run({ requestId }, next);
  };
}
