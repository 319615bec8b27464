import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AppError, ErrorCode } from '../../core/platform/errors/app-error.ts';

type TRoute = { pattern: RegExp; methods: string[] };

/**
 * A request whose path exists but not for its method (PUT on a read, TRACE anywhere) is a 405
 * problem with an `Allow` header listing what the path takes, rather than a 404 that says the
 * resource is missing. The known paths and methods are the OpenAPI document's (plus extra pages).
 */
export function methodNotAllowed(
  paths: Record<string, Record<string, unknown>>,
  extra: Record<string, string[]> = {},
): RequestHandler {
  const routes: TRoute[] = Object.entries({
    ...Object.fromEntries(Object.entries(paths).map(([path, item]) => [path, Object.keys(item)])),
    ...extra,
  }).map(([template, methods]) => ({
    // Express matches with or without a trailing slash; a path parameter is one segment.
    pattern: new RegExp(`^${template.replace(/\/$/, '').replace(/\{[^{}]+\}/g, '[^/]+')}/?$`),
    methods: methods.map((method) => method.toUpperCase()),
  }));

  return (req, res, next) => {
    const allowed = new Set<string>();
    for (const route of routes)
      if (route.pattern.test(req.path)) for (const m of route.methods) allowed.add(m);
    if (!allowed.size || allowed.has(req.method)) {
      next();
      return;
    }
    refuse(req, res, next, allowed);
  };
}

/** The 405 problem with `Allow` (HEAD goes with GET; OPTIONS always answers). */
function refuse(req: Request, res: Response, next: NextFunction, methods: ReadonlySet<string>): void {
  const allowed = new Set(methods);
  if (allowed.has('GET')) allowed.add('HEAD');
  allowed.add('OPTIONS');
  const allow = [...allowed].sort().join(', ');
  res.setHeader('Allow', allow);
  next(
    new AppError(ErrorCode.MethodNotAllowed, {
      detail: `${req.method} is not supported on ${`${req.baseUrl}${req.path}`.slice(0, 200)}; allowed: ${allow}.`,
    }),
  );
}

/**
 * A literal segment wins over a template, as in OpenAPI path matching: `PATCH …/transactions/export` is
 * a 405 (that path takes GET only), not a PATCH of a transaction whose id is "export"; likewise
 * `GET /cryptocurrencies/sync` is not the coin SYNC. Only the paths that shadow another are checked,
 * so other requests pass straight through. Mounted before the routes.
 */
export function shadowingPathMethods(paths: Record<string, Record<string, unknown>>): RequestHandler {
  const segments = (path: string) => path.replace(/\/$/, '').split('/');
  const isParam = (segment: string) => segment.startsWith('{');
  const templates = Object.keys(paths);
  const shadows = (a: string, b: string) => {
    const [sa, sb] = [segments(a), segments(b)];
    return (
      a !== b &&
      sa.length === sb.length &&
      sa.every((segment, index) => segment === sb[index] || (!isParam(segment) && isParam(sb[index]!)))
    );
  };
  const guarded = templates
    .filter((a) => templates.some((b) => shadows(a, b)))
    .map((template) => ({
      pattern: new RegExp(`^${template.replace(/\/$/, '').replace(/\{[^{}]+\}/g, '[^/]+')}/?$`),
      methods: new Set(Object.keys(paths[template]!).map((method) => method.toUpperCase())),
    }));
  return (req, res, next) => {
    const path = `${req.baseUrl}${req.path}`;
    const match = guarded.find((candidate) => candidate.pattern.test(path));
    if (
      !match ||
      match.methods.has(req.method) ||
      req.method === 'OPTIONS' ||
      (req.method === 'HEAD' && match.methods.has('GET'))
    ) {
      next();
      return;
    }
    refuse(req, res, next, match.methods);
  };
}
