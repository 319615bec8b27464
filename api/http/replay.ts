import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { TActor } from '../../core/platform/access/index.ts';
import { activeTraceFields, sampledTraceId, setRequestRoute } from '../../core/platform/tracing/index.ts';
import type { TCacheEntry } from './cache-codec.ts';
import { cachedHeaders, matches } from './cache-send.ts';
import { preferredEncoding } from './encodings.ts';
import type { THttpMetrics } from './metrics.ts';
import { rateLimitHeaders, type TRateLimiter, type TRateLimitPolicy } from './rate-limit.ts';
import { logAccess, requestIdOf } from './request-context.ts';
import type { TResponseCache } from './response-cache.ts';

/** Headers every answer computes for itself; the rest of a replayed answer's headers are the recorded ones. */
const OWN_HEADERS = new Set([
  'x-request-id',
  'connection',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'ratelimit-policy',
  'retry-after',
  'x-cache',
  'vary',
  'etag',
  'cache-control',
  'content-type',
  'content-encoding',
  'content-length',
]);

// The limiter only needs who is asking, not what they may do: one empty set for every replay's actor.
const NO_PERMISSIONS: ReadonlySet<never> = new Set();

/** Distinct URLs (with their Origin) remembered; the table starts over when full, whatever clients send. */
const MAX_URLS = 2000;

type TRecorded = {
  /** The response cache's key of the answer and its route (cache-lookup metrics). */
  key: string;
  cacheHits: { inc(): void };
  replays: { inc(): void };
  /** The route template, for the request metrics. */
  route: string;
  /** What the request costs in the default budget (a priced route costs more). */
  cost: number;
  /** The headers the middleware chain set that do not depend on the answer: security, CORS. */
  headers: string[];
};

export type TAnswerReplay = ReturnType<typeof createAnswerReplay>;

/**
 * The cached read path without the framework: a GET whose URL (and Origin) the full middleware chain
 * has already answered from the shared cache for an anonymous client is answered again here, before
 * Express, doing what that chain does and nothing else: a request id, the same security and CORS
 * headers (recorded from the chain's answer, not written twice), the default rate limit (from this
 * process's lease: no round trip), the cached bytes current under the data version this process
 * vouches for, the 304 rule, the request metrics and the access log line. Whenever one of those needs
 * more than memory (no lease left, a refusal to answer, an entry not in memory, a version not vouched
 * for, credentials, a body, shutdown) the request goes through Express as before.
 */
export function createAnswerReplay(deps: {
  cache: Pick<TResponseCache, 'peek'>;
  versions: { current(): string | undefined };
  limiter: TRateLimiter;
  policy: TRateLimitPolicy;
  clientIp: (req: IncomingMessage) => string;
  metrics: THttpMetrics;
  accessLogger: Logger;
  maxAgeSeconds: number;
  isShuttingDown: () => boolean;
}) {
  const recorded = new Map<string, TRecorded>();
  // The headers that follow from the recorded ones and the entry alone, made once per entry (per status).
  const sent = new WeakMap<TCacheEntry, { record: TRecorded; ok: string[]; notModified: string[] }>();
  function answerHeaders(record: TRecorded, entry: TCacheEntry, notModified: boolean): string[] {
    let made = sent.get(entry);
    if (made?.record !== record) {
      made = {
        record,
        ok: record.headers.concat(cachedHeaders(entry, 'HIT', 'public', deps.maxAgeSeconds, false), [
          'Content-Length',
          String(entry.body.length),
        ]),
        notModified: record.headers.concat(cachedHeaders(entry, 'HIT', 'public', deps.maxAgeSeconds, true)),
      };
      sent.set(entry, made);
    }
    return notModified ? made.notModified : made.ok;
  }
  const tableKey = (url: string, origin: string | undefined) => (origin ? `${origin}\n${url}` : url);

  return {
    /** Called as the chain sends a shared answer to an anonymous GET: the next one like it may be replayed. */
    remember(req: Request, res: Response, cached: { route: string; key: string }): void {
      if (req.method !== 'GET' || deps.isShuttingDown()) return;
      const headers: string[] = [];
      for (const [name, value] of Object.entries(res.getHeaders())) {
        if (OWN_HEADERS.has(name) || value === undefined) continue;
        for (const each of Array.isArray(value) ? value : [value]) headers.push(name, String(each));
      }
      if (recorded.size >= MAX_URLS) recorded.clear();
      recorded.set(tableKey(req.originalUrl, req.get('origin')), {
        key: cached.key,
        cacheHits: deps.metrics.cacheLookups.labels({ route: cached.route, result: 'hit' }),
        replays: deps.metrics.cacheReplays.labels({ route: cached.route }),
        route: res.locals.route ?? cached.route,
        cost: res.locals.rateLimitCost ?? 1,
        headers,
      });
    },

    /** Answers `req` if it can be replayed (true), or leaves it untouched for Express (false). */
    serve(req: IncomingMessage, res: ServerResponse): boolean {
      const started = process.hrtime.bigint();
      const { headers } = req;
      if (req.method !== 'GET' || headers.authorization || headers['x-api-key']) return false;
      if (headers['content-length'] || headers['transfer-encoding'] || deps.isShuttingDown()) return false;
      const known = recorded.get(tableKey(req.url ?? '', headers.origin));
      const version = known && deps.versions.current();
      const entry =
        version && deps.cache.peek(known.key, preferredEncoding(headers['accept-encoding']), version);
      if (!entry) return false;
      // Without X-Forwarded-For, Express's req.ip is the peer's address whatever TRUST_PROXY says.
      const ip =
        headers['x-forwarded-for'] === undefined
          ? (req.socket.remoteAddress ?? 'unknown')
          : deps.clientIp(req);
      const actor = { kind: 'anonymous', ip, permissions: NO_PERMISSIONS } as unknown as TActor;
      const budget = deps.limiter.takeLeased(deps.policy, actor, known.cost);
      if (!budget) return false;

      const requestId = requestIdOf(req);
      setRequestRoute(known.route); // the server span's name, with tracing on
      const notModified = matches(headers['if-none-match'], entry.etag);
      const answer = ['X-Request-Id', requestId].concat(
        rateLimitHeaders(budget.limit, budget.count, budget.resetMs),
        notModified ? answerHeaders(known, entry, true) : answerHeaders(known, entry, false),
      );
      if (notModified) res.writeHead(304, answer).end();
      else res.writeHead(200, answer).end(entry.body);
      // Answered in one go, the bytes handed to the socket: measured and logged now, where Express's
      // chain waits for events (it cannot know when a handler is done); never in flight across a tick.
      known.cacheHits.inc();
      known.replays.inc();
      deps.metrics.observe('GET', known.route, res.statusCode, started, sampledTraceId());
      logAccess(deps.accessLogger, {
        requestId,
        method: 'GET',
        url: req.url ?? '',
        status: res.statusCode,
        started,
        ip,
        cache: 'HIT',
        trace: activeTraceFields(),
      });
      return true;
    },
  };
}
