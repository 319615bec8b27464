import type { Request, RequestHandler } from 'express';
import { startDeadline, type TDeadline } from '../../core/platform/deadline.ts';

/** A route's price in rate-limit units: fixed, or by body size (base + one per started `perBytes`). */
export type TCost = number | { base: number; perBytes: number };

/**
 * What this request costs. A sized cost reads Content-Length (the body is not read yet); a body sent
 * without one is priced as unbounded, which the limiter caps at the caller's whole budget.
 */
export function costOf(cost: TCost, req: Request): number {
  if (typeof cost === 'number') return cost;
  const length = Number(req.get('content-length'));
  if (!Number.isSafeInteger(length) || length < 0) return Number.POSITIVE_INFINITY;
  return cost.base + Math.ceil(length / cost.perBytes);
}

/** Hands the route's cost to the rate limiter that runs next (res.locals.rateLimitCost). */
export const priceRequest =
  (cost: TCost): RequestHandler =>
  (req, res, next) => {
    res.locals.rateLimitCost = costOf(cost, req);
    next();
  };

/**
 * Runs `work` with a deadline `budgetMs` from now. A read answers the deadline's problem as soon as it
 * passes (the work stops at its next check of `deadline`, its queries at their statement_timeout); a
 * write waits for its work to settle, so that a 503 never stands for a change that then commits.
 */
export async function runWithin<T>(
  budgetMs: number,
  read: boolean,
  work: (deadline: TDeadline) => Promise<T>,
): Promise<T> {
  const deadline = startDeadline(budgetMs);
  const running = work(deadline).finally(deadline.stop);
  if (!read) return running;
  running.catch(() => undefined); // a read that gave up no longer waits for its work's outcome
  const expired = new Promise<never>((_, reject) => {
    const fail = () => reject(deadline.signal.reason);
    if (deadline.signal.aborted) fail();
    else deadline.signal.addEventListener('abort', fail, { once: true });
  });
  expired.catch(() => undefined);
  return Promise.race([running, expired]);
}
