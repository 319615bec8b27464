import {
  OpenAPIRegistry,
  OpenApiGeneratorV31,
  type ResponseConfig,
  type RouteConfig,
} from '@asteasolutions/zod-to-openapi';
import { PUBLIC_PERMISSIONS } from '../../core/platform/access/index.ts';
import { API_PREFIX, type TAnyRoute } from '../routes/define-route.ts';
import { ROUTES } from '../routes/index.ts';
import { z } from './zod.ts';
import { cachedJson, notModified, problemResponses, rateLimitHeaders, ZProblem } from './registry.ts';

export type TOpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

const SECURED: Record<string, string[]>[] = [{ bearerAuth: [] }, { apiKeyAuth: [] }];

/**
 * Every API route can answer these (414 and 431 come from Node's parser, before any route: a URL or a
 * header block over 16 KiB); a route adds its own (404, 409, 413, 422).
 */
const API_PROBLEMS = [400, 401, 403, 414, 429, 431, 503] as const;

function responsesOf(route: TAnyRoute): Record<number, ResponseConfig> {
  const onApi = route.path.startsWith(`${API_PREFIX}/`);
  const { status, description, schema, content, headers } = route.response;
  const main: ResponseConfig = route.cache
    ? cachedJson(schema, description, route.cache)
    : schema
      ? {
          description,
          headers: headers ?? (onApi ? rateLimitHeaders : undefined),
          content: { 'application/json': { schema } },
        }
      : { description, ...(content ? { content } : {}), ...(headers ? { headers } : {}) };
  // Idempotency-Key: a retry while the first still runs is a 409, the key with another request a 422.
  const own = [...(route.problems ?? []), ...(route.idempotent ? ([409, 422] as const) : [])];
  const problems = [...new Set(onApi ? [...API_PROBLEMS, ...own] : [400, ...own])];
  return {
    [status]: main,
    ...(route.cache ? (notModified as Record<number, ResponseConfig>) : {}),
    ...Object.fromEntries(
      problems.sort().map((code) => [code, problemResponses[code as keyof typeof problemResponses]]),
    ),
    ...route.otherResponses,
  };
}

function describe(route: TAnyRoute): RouteConfig {
  const { params, query, body } = route.request ?? {};
  const anonymousAllowed = route.permission !== null && PUBLIC_PERMISSIONS.includes(route.permission);
  const permissionNote = route.permission
    ? `\n\nPermission: \`${route.permission}\`${anonymousAllowed ? ' (anonymous callers hold it while PUBLIC_MARKET_DATA is on)' : ''}.`
    : '';
  const cost = route.cost;
  const costNote =
    cost === undefined
      ? ''
      : typeof cost === 'number'
        ? `\n\nRate limit: each request counts as ${cost} requests of the caller's per-minute budget (\`x-rate-limit-cost\`).`
        : `\n\nRate limit: each request counts as ${cost.base} plus 1 per started ${cost.perBytes / 1024} KiB of body (Content-Length; without one, the whole budget) of the caller's per-minute budget (\`x-rate-limit-cost\`).`;
  const deadlineNote = route.deadline
    ? '\n\nTime budget: REQUEST_DEADLINE_MS (10 s by default); past it the answer is a 503 problem (`deadline_exceeded`, with Retry-After).'
    : '';
  return {
    method: route.method,
    path: route.path,
    tags: route.tags,
    summary: route.summary,
    description: `${route.description ?? route.summary}${permissionNote}${costNote}${deadlineNote}`,
    ...(cost === undefined
      ? {}
      : {
          'x-rate-limit-cost':
            typeof cost === 'number' ? cost : { base: cost.base, per_body_bytes: cost.perBytes },
        }),
    request: {
      ...(params ? { params } : {}),
      ...(query ? { query } : {}),
      ...(body
        ? {
            body: {
              required: true,
              content: { [route.bodyType === 'csv' ? 'text/csv' : 'application/json']: { schema: body } },
            },
          }
        : {}),
      ...(route.idempotent
        ? {
            headers: z.object({
              'Idempotency-Key': z
                .string()
                .min(1)
                .max(255)
                .regex(/^[\x21-\x7e]{1,255}$/)
                .optional()
                .openapi({
                  maxLength: 255,
                  description:
                    'Retries with the same key and request get the first answer again (24 h, per caller); another request with the key is a 422, one still running a 409. ' +
                    'An answer larger than IDEMPOTENCY_MAX_BODY_BYTES (64 KiB) is kept as a reference only: its retry is a 409 naming the original status (and `resource_id`). ' +
                    `${typeof route.idempotent === 'function' ? 'Dry runs ignore the key (they change nothing and keep nothing). ' : ''}1 to 255 visible ASCII characters (400 otherwise).`,
                }),
            }),
          }
        : {}),
    },
    responses: responsesOf(route),
    // No security at all for probes and documents; optional credentials where anonymous callers may read.
    security: route.permission === null ? [] : anonymousAllowed ? [{}, ...SECURED] : SECURED,
  };
}

/** The OpenAPI 3.1 document of `routes` (by default every route the API serves), from their declarations. */
export function generateOpenApiDocument(
  version: string,
  routes: readonly TAnyRoute[] = ROUTES,
): TOpenApiDocument {
  const registry = new OpenAPIRegistry();
  registry.register('Problem', ZProblem);
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'An access token from POST /api/v1/auth/login (a JWT, 15 minutes), or an API key (tbk_…)',
  });
  registry.registerComponent('securitySchemes', 'apiKeyAuth', {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
    description: 'An API key from POST /api/v1/api-keys',
  });
  for (const route of routes) registry.registerPath(describe(route));
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'trading-backend API',
      version,
      description:
        'Real-time cryptocurrency market data, risk assessment and portfolio management. ' +
        'Errors are RFC 9457 application/problem+json; a method a path does not take is a 405 with Allow. ' +
        'Data provided by CoinGecko.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'Market data', description: 'Listings, detail, history and top lists' },
      { name: 'Risk', description: 'Volatility, VaR/CVaR, drawdown, ratios, beta and correlations' },
      { name: 'Jobs', description: 'Trigger ingestion and follow its jobs' },
      { name: 'Auth', description: 'Log in, refresh, log out; the public keys of access tokens' },
      { name: 'Account', description: 'The caller’s account, password and API keys' },
      { name: 'Admin', description: 'Users, their sessions and keys; the audit log' },
      { name: 'System', description: 'Health, readiness, metrics and documentation' },
    ],
  });
}
