import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { QueryFailedError } from 'typeorm';
import {
  AppError,
  CODE_TO_STATUS,
  CODE_TO_TITLE,
  ErrorCode,
  type TErrorCode,
} from '../../core/platform/errors/app-error.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
export const problemType = (code: string) => `urn:trading-backend:problem:${code}`;

// Errors that mean "PostgreSQL is not reachable or not answering in time", not "the request is wrong".
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);
const UNAVAILABLE_SQLSTATES = new Set([
  '57014',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
  '53300',
]);

/**
 * PostgreSQL's data exceptions (SQLSTATE class 22: invalid text, numeric out of range, bad dates…):
 * a value in the request that the database cannot take. Input validation refuses these first; this is
 * the backstop, so that one it missed is a 400 rather than a 500.
 */
function dataException(error: unknown): string | undefined {
  const driver = (error instanceof QueryFailedError ? error.driverError : undefined) as
    { code?: string; message?: string } | undefined;
  return driver?.code?.startsWith('22') ? (driver.message ?? driver.code) : undefined;
}

/**
 * A unique or foreign-key violation (SQLSTATE 23505 / 23503) that a service did not turn into its own
 * conflict first: two writers raced, or a referenced row went away. A 409, with no SQL in the detail.
 */
function constraintViolation(error: unknown): string | undefined {
  const driver = (error instanceof QueryFailedError ? error.driverError : undefined) as
    { code?: string } | undefined;
  if (driver?.code === '23505')
    return 'The change conflicts with existing data (a value that must be unique is taken).';
  if (driver?.code === '23503') return 'The change refers to something that does not exist (any more).';
  return undefined;
}

function isDependencyFailure(error: unknown): boolean {
  const candidate = (error instanceof QueryFailedError ? error.driverError : error) as
    { code?: string; message?: string } | undefined;
  if (!candidate) return false;
  if (candidate.code && (UNAVAILABLE_CODES.has(candidate.code) || UNAVAILABLE_SQLSTATES.has(candidate.code)))
    return true;
  const message = candidate.message ?? '';
  return /timeout exceeded when trying to connect|Connection terminated|connection error|Client has encountered a connection error|DataSource is not initialized|Cannot use a pool after calling end/i.test(
    message,
  );
}

export function sendProblem(
  req: Request,
  res: Response,
  code: TErrorCode | 'internal_error' | 'route_not_found',
  status: number,
  detail: string,
  extra: Record<string, unknown> = {},
): void {
  const title =
    code === 'internal_error'
      ? 'Internal Server Error'
      : code === 'route_not_found'
        ? 'Not Found'
        : CODE_TO_TITLE[code];
  res
    .status(status)
    .type(PROBLEM_CONTENT_TYPE)
    .setHeader('Cache-Control', 'no-store')
    .send(
      JSON.stringify({
        type: problemType(code),
        title,
        status,
        detail,
        instance: req.originalUrl.slice(0, 2048),
        request_id: res.locals.requestId,
        ...extra,
      }),
    );
}

/** Unknown routes: a 404 problem rather than Express's HTML page. */
export const notFoundHandler: RequestHandler = (req, res) => {
  sendProblem(req, res, 'route_not_found', 404, `No route for ${req.method} ${req.path.slice(0, 200)}.`);
};

/** The single translation point from errors to application/problem+json. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (error instanceof AppError) {
      const extra: Record<string, unknown> = { ...error.extensions };
      if (error.errors) extra.errors = error.errors;
      if (error.code === ErrorCode.DependencyUnavailable || error.code === ErrorCode.DeadlineExceeded)
        res.setHeader('Retry-After', '5');
      const retryAfter = error.extensions?.retry_after;
      if (
        error.code === ErrorCode.RateLimited &&
        typeof retryAfter === 'number' &&
        !res.getHeader('Retry-After')
      )
        res.setHeader('Retry-After', String(retryAfter));
      if (error.code === ErrorCode.Unauthorized && !res.getHeader('WWW-Authenticate')) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="trading-backend"');
      }
      sendProblem(req, res, error.code, CODE_TO_STATUS[error.code], error.detail, extra);
      return;
    }
    const httpError = error as { type?: string; status?: number; statusCode?: number; message?: string };
    if (httpError.type === 'entity.too.large') {
      sendProblem(
        req,
        res,
        ErrorCode.PayloadTooLarge,
        413,
        'The request body is larger than the allowed limit.',
      );
      return;
    }
    const status = httpError.status ?? httpError.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const detail =
        httpError.type === 'entity.parse.failed'
          ? 'The request body is not valid JSON.'
          : 'The request is malformed.';
      sendProblem(req, res, ErrorCode.ValidationFailed, status === 413 ? 413 : 400, detail);
      return;
    }
    const conflict = constraintViolation(error);
    if (conflict) {
      sendProblem(req, res, ErrorCode.Conflict, 409, conflict);
      return;
    }
    const invalidValue = dataException(error);
    if (invalidValue) {
      logger.warn({ err: error }, 'a request value was refused by PostgreSQL');
      sendProblem(
        req,
        res,
        ErrorCode.ValidationFailed,
        400,
        `A value in the request cannot be stored or compared: ${invalidValue.slice(0, 200)}.`,
      );
      return;
    }
    if (isDependencyFailure(error)) {
      logger.warn({ err: error }, 'database unavailable');
      res.setHeader('Retry-After', '5');
      sendProblem(
        req,
        res,
        ErrorCode.DependencyUnavailable,
        503,
        'The database is unavailable; retry shortly.',
      );
      return;
    }
    logger.error({ err: error }, 'unhandled error');
    sendProblem(req, res, 'internal_error', 500, 'An unexpected error occurred.');
  };
}
