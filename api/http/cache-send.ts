import type { Request, Response } from 'express';
import type { TCacheEntry } from './cache-codec.ts';

export type TCacheScope = 'public' | 'private';

/** Whether an If-None-Match names this ETag (weakly or not) or `*`. */
export function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  // split + trim, not /\s*,\s*/: that regex is quadratic on a header of blanks (0.5 s for 16 KiB).
  return ifNoneMatch
    .split(',')
    .map((tag) => tag.trim())
    .some((tag) => tag === etag || tag === `W/${etag}` || tag === '*');
}

const PUBLIC_VARY = 'Accept-Encoding';
// The body depends on Accept-Encoding (and a private one on the credentials): caches must key on them.
const PRIVATE_VARY = 'Accept-Encoding, Authorization, X-API-Key';
const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The headers of a cached answer, as name/value pairs: its validators and caching rules, and for a
 * 200 its type and coding. `notModified` when the client holds it already (a 304 then).
 */
export function cachedHeaders(
  entry: TCacheEntry,
  result: 'HIT' | 'MISS',
  scope: TCacheScope,
  maxAgeSeconds: number,
  notModified: boolean,
): string[] {
  const headers = [
    'X-Cache',
    result,
    'Vary',
    scope === 'private' ? PRIVATE_VARY : PUBLIC_VARY,
    'ETag',
    entry.etag,
    'Cache-Control',
    scope === 'private' ? 'private, no-cache' : `public, max-age=${maxAgeSeconds}`,
  ];
  if (notModified) return headers;
  headers.push('Content-Type', JSON_TYPE);
  if (entry.encoding !== 'identity') headers.push('Content-Encoding', entry.encoding);
  return headers;
}

/** Sends a cached answer with its validators: 304 when the client holds it already. */
export function sendCached(
  req: Request,
  res: Response,
  entry: TCacheEntry,
  result: 'HIT' | 'MISS',
  scope: TCacheScope,
  maxAgeSeconds: number,
): void {
  const notModified = matches(req.get('if-none-match'), entry.etag);
  const headers = cachedHeaders(entry, result, scope, maxAgeSeconds, notModified);
  for (let index = 0; index < headers.length; index += 2) res.setHeader(headers[index]!, headers[index + 1]!);
  if (notModified) {
    res.status(304).end();
    return;
  }
  res.end(entry.body);
}
