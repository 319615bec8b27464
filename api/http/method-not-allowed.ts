import type { RequestHandler } from 'express';
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
    pattern: new RegExp(`^${template.replace(/\/$/, '').replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
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
    if (allowed.has('GET')) allowed.add('HEAD');
    allowed.add('OPTIONS');
    const allow = [...allowed].sort().join(', ');
    res.setHeader('Allow', allow);
    next(
      new AppError(ErrorCode.MethodNotAllowed, {
        detail: `${req.method} is not supported on ${req.path.slice(0, 200)}; allowed: ${allow}.`,
      }),
    );
  };
}
