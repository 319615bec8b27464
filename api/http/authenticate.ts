import type { RequestHandler } from 'express';
import type { TActor } from '../../core/platform/access/index.ts';

/** Resolves the credentials of a request (Authorization / X-API-Key) into an actor, or throws a 401. */
export type TResolveActor = (request: {
  authorization: string | undefined;
  apiKey: string | undefined;
  ip: string;
}) => Promise<TActor>;

/**
 * Puts the actor on every request it guards (res.locals.actor): anonymous without credentials,
 * the user or API key behind valid ones. Credentials that are present but not valid are a 401,
 * even on routes anonymous callers may use: a client should learn its token is bad.
 */
export function authenticate(resolve: TResolveActor): RequestHandler {
  return async (req, res, next) => {
    res.locals.actor = await resolve({
      authorization: req.get('authorization'),
      apiKey: req.get('x-api-key'),
      ip: req.ip ?? 'unknown',
    });
    next();
  };
}
