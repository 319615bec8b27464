import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import { AppError, ErrorCode, type TFieldError } from '../../core/platform/errors/app-error.ts';
import { setRequestRoute } from '../../core/platform/tracing/index.ts';

type TRequestSchemas = { params?: z.ZodType; query?: z.ZodType; body?: z.ZodType };
const LOCATION = { params: 'path', query: 'query', body: 'body' } as const;

/** A route without query parameters takes none: an unknown one is a 400, never silently ignored. */
export const ZNoQuery = z.strictObject({});

/** Distinct URLs remembered per route; the memory starts over when full (bounded whatever clients send). */
const MAX_REMEMBERED_URLS = 1000;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * Validates params, query and body once at the edge and stores the parsed values in
 * res.locals.input; handlers read only that. Every invalid parameter is named in the 400 problem.
 *
 * Without a body, the input is a function of the URL alone, so the parsed input of a URL already
 * seen is reused (deep-frozen: handlers must not change it): clients poll the same URLs, and
 * parsing the query string and running zod was a tenth of a cached answer's cost. Schemas must
 * therefore not read the clock or anything else outside the request (defaults like "today" belong
 * in the service).
 */
export function validate<S extends TRequestSchemas>(schemas: S): RequestHandler {
  const remembered = schemas.body ? undefined : new Map<string, Record<string, unknown>>();
  return (req: Request, res: Response, next: NextFunction) => {
    res.locals.route = `${req.baseUrl}${String(req.route?.path ?? '')}`;
    setRequestRoute(res.locals.route);
    const known = remembered?.get(req.url);
    if (known) {
      res.locals.input = known;
      next();
      return;
    }
    const input: Record<string, unknown> = {};
    const errors: TFieldError[] = [];
    for (const part of ['params', 'query', 'body'] as const) {
      const schema = part === 'query' ? (schemas.query ?? ZNoQuery) : schemas[part];
      if (!schema) continue;
      const result = schema.safeParse(part === 'body' ? (req.body ?? {}) : req[part]);
      if (result.success) {
        input[part] = result.data;
        continue;
      }
      for (const issue of result.error.issues) {
        const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys : [];
        if (unknownKeys.length) {
          for (const key of unknownKeys)
            errors.push({ name: key, in: LOCATION[part], detail: 'unknown parameter' });
          continue;
        }
        const name = issue.path.length ? issue.path.map(String).join('.') : part;
        errors.push({ name, in: LOCATION[part], detail: issue.message });
      }
    }
    if (errors.length) {
      next(
        new AppError(ErrorCode.ValidationFailed, {
          detail: errors.map((error) => `${error.name}: ${error.detail}`).join('; '),
          errors,
        }),
      );
      return;
    }
    if (remembered) {
      if (remembered.size >= MAX_REMEMBERED_URLS) remembered.clear();
      remembered.set(req.url, deepFreeze(input));
    }
    res.locals.input = input;
    next();
  };
}
