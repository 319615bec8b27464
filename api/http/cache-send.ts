import type { Request, Response } from 'express';
import type { TCacheEntry } from './cache-codec.ts';

export type TCacheScope = 'public' | 'private';

/** Whether an If-None-Match names this ETag (weakly or not) or `*`. */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  // split + trim, not /\s*,\s*/: that regex is quadratic on a header of blanks (0.5 s for 16 KiB).
  return ifNoneMatch
    .split(',')
    .map((tag) => tag.trim())
    .some((tag) => tag === etag || tag === `W/${etag}` || tag === '*');
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
  res.setHeader('X-Cache', result);
  // The body depends on Accept-Encoding (and a private one on the credentials): caches must key on them.
  res.setHeader(
    'Vary',
    scope === 'private' ? 'Accept-Encoding, Authorization, X-API-Key' : 'Accept-Encoding',
  );
  res.setHeader('ETag', entry.etag);
  res.setHeader(
    'Cache-Control',
    scope === 'private' ? 'private, no-cache' : `public, max-age=${maxAgeSeconds}`,
  );
  if (matches(req.get('if-none-match'), entry.etag)) {
    res.status(304).end();
    return;
  }
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  if (entry.encoding !== 'identity') res.setHeader('Content-Encoding', entry.encoding);
  res.end(entry.body);
}
