import { z } from './zod.ts';

export const ZProblem = z
  .object({
    type: z.string().openapi({ example: 'urn:trading-backend:problem:validation_failed' }),
    title: z.string().openapi({ example: 'Invalid request parameters' }),
    status: z.number().int().openapi({ example: 400 }),
    detail: z.string().openapi({ example: 'limit: must be at most 250' }),
    instance: z.string().openapi({ example: '/api/v1/cryptocurrencies/?limit=1000' }),
    request_id: z.string().optional(),
    errors: z
      .array(
        z.object({
          name: z.string().openapi({ example: 'limit' }),
          in: z.enum(['path', 'query', 'body', 'header']),
          detail: z.string(),
        }),
      )
      .optional(),
    valid_categories: z.array(z.string()).optional(),
    unknown_symbols: z.array(z.string()).optional(),
  })
  .openapi('Problem', { description: 'RFC 9457 problem details (application/problem+json).' });

const problemContent = { 'application/problem+json': { schema: ZProblem } };

/** Every problem status a route can document, with what it means here. */
export const problemResponses = {
  400: { description: 'Invalid parameters (each one named in `errors`)', content: problemContent },
  401: {
    description:
      'No valid credentials: a missing, expired, revoked or malformed access token or API key (see WWW-Authenticate)',
    content: problemContent,
  },
  403: { description: 'The caller lacks the permission this needs', content: problemContent },
  404: { description: 'Not found (or not visible to this caller)', content: problemContent },
  409: { description: 'Conflicts with existing data', content: problemContent },
  413: { description: 'The request body is larger than the limit', content: problemContent },
  414: {
    description: 'The URL is longer than the server accepts (16 KiB with the headers)',
    content: problemContent,
  },
  422: {
    description: 'Understood but cannot be answered (e.g. too little history)',
    content: problemContent,
  },
  429: {
    description: 'Rate limit exceeded (see Retry-After and the RateLimit-* headers)',
    content: problemContent,
  },
  431: { description: 'The header block is larger than 16 KiB', content: problemContent },
  503: {
    description:
      'A dependency (PostgreSQL or the job queue) is unavailable, or the request ran out of its time budget (deadline_exceeded)',
    content: problemContent,
  },
} as const;

export const rateLimitHeaders = z.object({
  'RateLimit-Limit': z.string().openapi({ description: 'Requests allowed in the window' }),
  'RateLimit-Remaining': z.string().openapi({ description: 'Requests left in the window' }),
  'RateLimit-Reset': z.string().openapi({ description: 'Seconds until the window resets' }),
  'X-Request-Id': z.string().openapi({ description: 'Request id, also in every log line' }),
});

export const cachedHeaders = rateLimitHeaders.extend({
  ETag: z.string().openapi({ description: 'Strong validator; send it back in If-None-Match for a 304' }),
  'X-Cache': z.enum(['HIT', 'MISS']).openapi({ description: 'Whether the shared Redis cache answered' }),
  'Cache-Control': z.string(),
  Vary: z.literal('Accept-Encoding').openapi({ description: 'The body depends on Accept-Encoding' }),
  'Content-Encoding': z
    .enum(['br', 'gzip'])
    .optional()
    .openapi({
      description:
        'br or gzip when the client accepts it (Accept-Encoding, q-values honoured) and the body is at least 1 KiB; ' +
        'each coding has its own ETag',
    }),
});

// A private answer also varies on the credentials (api/http/response-cache.ts sends exactly this).
const privateCachedHeaders = cachedHeaders.extend({
  Vary: z
    .literal('Accept-Encoding, Authorization, X-API-Key')
    .openapi({ description: 'The body depends on Accept-Encoding and on who asks' }),
  'X-Cache': z
    .enum(['HIT', 'MISS'])
    .openapi({ description: 'Whether the cache answered (per caller: never a shared entry)' }),
});

/** A cached JSON response (ETag, X-Cache, rate-limit headers) and the 304 that goes with it. */
export const cachedJson = (
  schema: z.ZodType,
  description: string,
  scope: 'public' | 'private' = 'public',
) => ({
  description,
  headers: scope === 'private' ? privateCachedHeaders : cachedHeaders,
  content: { 'application/json': { schema } },
});
export const notModified = { 304: { description: 'Not modified (If-None-Match matched the ETag)' } } as const;
