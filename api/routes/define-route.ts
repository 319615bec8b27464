import type { ResponseConfig } from '@asteasolutions/zod-to-openapi';
import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { TActor, TPermission } from '../../core/platform/access/index.ts';
import type { TDeadline } from '../../core/platform/deadline.ts';
import type { TCost } from '../http/route-budget.ts';
import type { TRouteDeps } from './route-deps.ts';

export type THttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type TRequestSchemas = { params?: z.ZodType; query?: z.ZodType; body?: z.ZodType };

type TPart<S extends TRequestSchemas, K extends keyof TRequestSchemas> = S[K] extends z.ZodType
  ? z.output<S[K]>
  : Record<string, never>;

/** The validated request, typed from the route's own schemas. */
export type TRouteInput<S extends TRequestSchemas> = {
  params: TPart<S, 'params'>;
  query: TPart<S, 'query'>;
  body: TPart<S, 'body'>;
};

export type TRouteContext<S extends TRequestSchemas> = {
  input: TRouteInput<S>;
  actor: TActor;
  deps: TRouteDeps;
  req: Request;
  res: Response;
  /** The request's time budget, on routes that declare `deadline`: pass it to the work that can run long. */
  deadline?: TDeadline;
};

/** Problem statuses a route documents beyond the ones every API route has (400, 401, 403, 429, 503). */
export type TProblemStatus = 404 | 409 | 413 | 422;

export type TRouteResponse<O extends z.ZodType | undefined> = {
  /** 101: a WebSocket endpoint (the upgrade happens on the HTTP server; a plain GET reaches the handler). */
  status: 101 | 200 | 201 | 202 | 204;
  description: string;
  /** The JSON body; the handler must return its input type. Omitted for raw handlers and 204s. */
  schema?: O;
  /** A raw handler's media types (it writes the response itself). */
  content?: ResponseConfig['content'];
  headers?: ResponseConfig['headers'];
};

export type TRouteDefinition<S extends TRequestSchemas, O extends z.ZodType | undefined> = {
  method: THttpMethod;
  /** OpenAPI form (`/api/v1/cryptocurrencies/{symbol}`); routes under /api/v1 get the API edge. */
  path: string;
  tags: string[];
  summary: string;
  description?: string;
  request?: S;
  /**
   * What the caller must hold. `null`: no authentication at all (probes, metrics, documents).
   * Anonymous callers hold the public permissions while PUBLIC_MARKET_DATA is on.
   */
  permission: TPermission | null;
  response: TRouteResponse<O>;
  problems?: TProblemStatus[];
  /** Further documented answers that are not problems (a 503 health document, say). */
  otherResponses?: Record<number, ResponseConfig>;
  /**
   * 'public': one cached answer shared by every caller (market data). 'private': cached per
   * principal, never in the shared entries. Without it the answer is `no-store`.
   */
  cache?: 'public' | 'private';
  /**
   * For private answers about one owned resource (`portfolio:<id>`): they are retired when that
   * resource changes, for every principal who read them.
   */
  cacheResource?: (input: TRouteInput<S>) => string;
  /** A rate-limit policy on top of the default one (e.g. 'sync', 'login'). */
  rateLimit?: string;
  /**
   * Requests whose work grows with the input spend more of the caller's rate limit (default 1): a number,
   * or by body size (`base` plus one per started `perBytes`). OpenAPI states it as `x-rate-limit-cost`.
   */
  cost?: TCost;
  /**
   * GETs whose work grows with the input get a time budget (REQUEST_DEADLINE_MS): past it the answer is a
   * 503 problem, and the work, which the handler hands `deadline`, stops at its next check.
   */
  deadline?: boolean;
  /**
   * POSTs that honour `Idempotency-Key` (api/http/idempotency.ts); a function says which requests do (a dry
   * run changes nothing, so there is nothing to replay and nothing is stored).
   */
  idempotent?: boolean | ((input: TRouteInput<S>) => boolean);
  /** The request body's media type: JSON (the default) or CSV text (then `request.body` is a string schema). */
  bodyType?: 'json' | 'csv';
  handler: (ctx: TRouteContext<S>) => Promise<O extends z.ZodType ? z.input<O> : unknown>;
};

/** Any route, for lists that mix them (the handler's input type no longer matters there). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TAnyRoute = TRouteDefinition<any, any>;

/** Declares one endpoint; typing happens here, mounting (mount-routes.ts) and documentation (openapi/) elsewhere. */
export function defineRoute<
  S extends TRequestSchemas = Record<never, never>,
  O extends z.ZodType | undefined = undefined,
>(definition: TRouteDefinition<S, O>): TRouteDefinition<S, O> {
  return definition;
}

export const API_PREFIX = '/api/v1';

/** `/cryptocurrencies/{symbol}/history` -> `/cryptocurrencies/:symbol/history`. */
export const toExpressPath = (path: string): string => path.replace(/\{([^{}]+)\}/g, ':$1');
