import type { RequestHandler, Response, Router } from 'express';
import { can, requirePermission, type TPermission } from '../../core/platform/access/index.ts';
import type { TIdempotency } from '../http/idempotency.ts';
import { actorOf } from '../http/locals.ts';
import type { TResponseCache } from '../http/response-cache.ts';
import { priceRequest, runWithin } from '../http/route-budget.ts';
import { textBody } from '../http/text-body.ts';
import { validate } from '../http/validate.ts';
import {
  API_PREFIX,
  toExpressPath,
  type TAnyRoute,
  type TRouteContext,
  type TRouteInput,
} from './define-route.ts';
import type { TRouteDeps } from './route-deps.ts';

export type TRouteEdge = {
  cache: TResponseCache;
  /** Puts the request's actor on it (a 401 for invalid credentials). */
  authenticate: RequestHandler;
  /** The actor of routes that take no credentials (logging in, say): anonymous, whatever was sent. */
  anonymous: RequestHandler;
  /** The default budget per principal, on every API route. */
  defaultLimit: RequestHandler;
  /** Named extra rate-limit policies a route can ask for. */
  limits: Record<string, RequestHandler>;
  idempotency: TIdempotency;
  /** Largest CSV body (imports). */
  csvLimit: string;
  /** The time budget of routes that declare a deadline (REQUEST_DEADLINE_MS). */
  deadlineMs: number;
};

/** The coarse check of a route's permission; services then decide what the actor may see. */
function authorize(permission: TPermission, route: TAnyRoute, deps: TRouteDeps): RequestHandler {
  return async (_req, res, next) => {
    const actor = actorOf(res);
    if (!can(actor, permission) && actor.kind !== 'anonymous') {
      // An authenticated caller trying what its role or key does not allow is worth an audit row.
      await deps.services.audit.recordAlone(actor, {
        action: 'authz.denied',
        outcome: 'denied',
        details: { route: `${route.method.toUpperCase()} ${route.path}`, permission },
      });
    }
    requirePermission(actor, permission);
    next();
  };
}

function contextOf(
  input: Partial<TRouteInput<never>>,
  deps: TRouteDeps,
  req: TRouteContext<never>['req'],
  res: Response,
): TRouteContext<never> {
  return {
    input: { params: input.params ?? {}, query: input.query ?? {}, body: input.body ?? {} },
    actor: actorOf(res),
    deps,
    req,
    res,
  } as TRouteContext<never>;
}

/** The route's handler, within its time budget when it declares one. */
function handle(route: TAnyRoute, context: TRouteContext<never>, edge: TRouteEdge): Promise<unknown> {
  if (!route.deadline) return route.handler(context);
  return runWithin(edge.deadlineMs, route.method === 'get', (deadline) =>
    route.handler({ ...context, deadline }),
  );
}

function runner(route: TAnyRoute, deps: TRouteDeps, edge: TRouteEdge): RequestHandler {
  if (route.cache) {
    return edge.cache.json<Partial<TRouteInput<never>>>(
      route.path,
      (input, req, res) => handle(route, contextOf(input, deps, req, res), edge),
      {
        scope: route.cache,
        // A replay (api/http/replay.ts) spends only the default budget: not for routes with one of their own.
        replayable: !route.rateLimit,
        ...(route.cacheResource
          ? { resource: (input) => route.cacheResource!(input as TRouteInput<never>) }
          : {}),
      },
    );
  }
  return async (req, res) => {
    const input = res.locals.input as Partial<TRouteInput<never>>;
    let result: unknown;
    try {
      result = await handle(route, contextOf(input, deps, req, res), edge);
    } catch (error) {
      if (route.idempotent) await edge.idempotency.release(res);
      throw error;
    }
    if (res.headersSent) return; // a raw handler answered itself
    // Uncached answers are not for shared caches, unless the handler said otherwise (public keys).
    if (!res.getHeader('Cache-Control')) res.setHeader('Cache-Control', 'no-store');
    // A handler may answer another of its documented statuses (a 503 health document) with res.status().
    const status = res.statusCode === 200 ? route.response.status : res.statusCode;
    if (route.idempotent) await edge.idempotency.remember(res, status, result);
    if (status === 204) {
      res.status(204).end();
      return;
    }
    res.status(status).json(result);
  };
}

/**
 * Mounts declared routes in their order: those under /api/v1 on the API router, the others (probes,
 * metrics, documents) on the app. An API route gets authentication and the default rate limit; each
 * route its permission check, its extra rate limit, validation of params/query/body, and its handler,
 * cached when the route says so.
 */
export function mountRoutes(
  target: { api: Router; app: Router },
  routes: readonly TAnyRoute[],
  deps: TRouteDeps,
  edge: TRouteEdge,
): void {
  for (const route of routes) {
    const onApi = route.path.startsWith(`${API_PREFIX}/`);
    const handlers: RequestHandler[] = [];
    // API routes: who is asking, then their budget. A route without a permission ignores credentials, so
    // that an expired token sent along does not stop its holder from logging in or refreshing.
    if (onApi) {
      handlers.push(route.permission ? edge.authenticate : edge.anonymous);
      if (route.cost !== undefined) handlers.push(priceRequest(route.cost));
      handlers.push(edge.defaultLimit);
    }
    if (route.permission) handlers.push(authorize(route.permission, route, deps));
    if (route.rateLimit) {
      const limit = edge.limits[route.rateLimit];
      if (!limit) throw new Error(`${route.method} ${route.path}: no rate-limit policy "${route.rateLimit}"`);
      handlers.push(limit);
    }
    if (route.bodyType === 'csv')
      handlers.push(...textBody({ types: ['text/csv', 'text/plain'], limit: edge.csvLimit }));
    handlers.push(validate(route.request ?? {}));
    if (route.idempotent) {
      const applies = route.idempotent;
      handlers.push(
        edge.idempotency.guard(
          typeof applies === 'function'
            ? (res) => applies(res.locals.input as TRouteInput<never>)
            : undefined,
        ),
      );
    }
    handlers.push(runner(route, deps, edge));
    const path = toExpressPath(onApi ? route.path.slice(API_PREFIX.length) : route.path);
    (onApi ? target.api : target.app)[route.method](path, ...handlers);
  }
}
