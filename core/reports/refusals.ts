import { AppError, ErrorCode } from '../platform/errors/app-error.ts';

/** Who reaches a report or schedule: its owner with reports:manage, anyone's with reports:admin. */
export const PERMISSIONS = { manage: 'reports:manage', admin: 'reports:admin' } as const;

/** 404: what the actor may not see answers as if it did not exist. */
export const notFound = (what: string, id: string) =>
  new AppError(ErrorCode.NotFound, { detail: `No ${what} with id "${id}".` });

/** 409 naming the quota (docs/reliability.md lists them). */
export const quotaExceeded = (quota: string, limit: number, what: string) =>
  new AppError(ErrorCode.Conflict, {
    detail: `At most ${limit} ${what} (${quota.toUpperCase()}); delete some first.`,
    extensions: { reason: 'quota_exceeded', quota, limit },
  });

/** 422: a period no report could cover (after today, before the portfolio's first transaction). */
export const beyondData = (detail: string) =>
  new AppError(ErrorCode.Unprocessable, { detail, extensions: { reason: 'period_beyond_data' } });

export const isoDay = (date: Date) => date.toISOString().slice(0, 10);
