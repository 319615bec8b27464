import type { Response } from 'express';
import type { TActor } from '../../core/platform/access/index.ts';

// What the middleware chain hands on to later middleware and handlers (res.locals), typed once.
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express declares res.locals' type here.
  namespace Express {
    interface Locals {
      /** x-request-id (request-context.ts). */
      requestId?: string;
      /** The matched route pattern, for metrics (validate.ts). */
      route?: string;
      /** The validated input (validate.ts, mount-routes.ts): handlers read only this. */
      input?: unknown;
      /** Who is asking (authenticate.ts): anonymous without credentials. */
      actor?: TActor;
      /** The data version the rate limiter's round trip read, for the response cache. */
      cacheVersion?: string;
      /** The route's cost for a priced rate-limit policy (route-budget.ts). */
      rateLimitCost?: number;
      /** A pending Idempotency-Key record (idempotency.ts). */
      idempotency?: { target: string; fingerprint: string };
    }
  }
}

/** The actor authenticate() put on the response; the one place that reads it from res.locals. */
export const actorOf = (res: Response): TActor => res.locals.actor!;
