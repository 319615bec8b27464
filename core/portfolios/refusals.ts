import { AppError, ErrorCode } from '../platform/errors/app-error.ts';

/** 404: a portfolio (or one of its parts) the actor may not see answers as if it did not exist. */
export const notFound = (what: string, id: string) =>
  new AppError(ErrorCode.NotFound, { detail: `No ${what} with id "${id}".` });

/** 422 with the reason (and the details) a client can act on. */
export const unprocessable = (detail: string, extensions?: Record<string, unknown>) =>
  new AppError(ErrorCode.Unprocessable, { detail, ...(extensions ? { extensions } : {}) });

/** 404 for a benchmark the platform does not know. */
export const unknownBenchmark = (symbol: string) =>
  new AppError(ErrorCode.NotFound, { detail: `No cryptocurrency with symbol "${symbol}".` });

/** A unique-index violation (external_id) as a 409, anything else as it was. */
export const conflictOn23505 =
  (detail: string) =>
  (error: unknown): never => {
    if ((error as { driverError?: { code?: string } }).driverError?.code === '23505')
      throw new AppError(ErrorCode.Conflict, { detail });
    throw error;
  };
