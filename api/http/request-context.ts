import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { logContext } from '../../core/platform/logging/logger.ts';
import { activeTraceFields } from '../../core/platform/tracing/index.ts';

const VALID_REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Gives every request an id (kept from X-Request-Id when it is sane), echoes it in the response,
 * binds it to every log line through AsyncLocalStorage, and writes one access log line at the end.
 */
export function requestContext(logger: Logger, isShuttingDown: () => boolean = () => false): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    // While draining, ask clients not to reuse the connection so the listener can close promptly.
    if (isShuttingDown()) res.setHeader('Connection', 'close');
    const started = process.hrtime.bigint();
    // The server span's ids, taken now: 'finish' fires outside the request's trace context.
    const trace = activeTraceFields();
    res.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const level = res.statusCode >= 500 ? 'error' : 'info';
      logger[level](
        {
          requestId,
          method: req.method,
          url: req.originalUrl.slice(0, 512),
          status: res.statusCode,
          duration_ms: Math.round(durationMs * 100) / 100,
          ip: req.ip,
          cache: res.getHeader('X-Cache'),
          ...trace,
        },
        'request completed',
      );
    });
    logContext.run({ requestId }, next);
  };
}
