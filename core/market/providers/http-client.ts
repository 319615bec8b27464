import type { z } from 'zod';
import { CallBudget, type TCallBudget } from './call-budget.ts';
import { CircuitBreaker } from './circuit-breaker.ts';
import { ProviderError, RATE_LIMIT_WINDOW_MS } from './provider-error.ts';
import type { TProviderMetrics } from './provider-metrics.ts';

export type TProviderHttpOptions = {
  provider: string;
  baseUrl: string;
  headers?: Record<string, string>;
  timeoutMs: number;
  maxRetries: number;
  callsPerMinute?: number;
  /** The budget of `callsPerMinute` (default: this process's own; the worker shares one through Redis). */
  budget?: (perMinute: number) => TCallBudget;
  metrics?: TProviderMetrics;
  breaker?: CircuitBreaker;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
};

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** "Retry-After: 12" or an HTTP date, in milliseconds; undefined when absent or unparsable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * How one call uses the budget. By default it waits for room in the minute and retries per
 * PROVIDER_MAX_RETRIES (syncs, backfills). `{ wait: false }` (the live ticker) makes the call only when
 * the minute has room with `reserve` calls left over, failing at once with `budget_spent` otherwise,
 * and does not retry (the next tick is the retry).
 */
export type TCallOptions = { wait: false; reserve: number };

/** Describes the first zod issues as "path: message" so the error names the field that was wrong. */
export function describeIssues(error: z.ZodError, max = 3): string {
  return error.issues
    .slice(0, max)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/**
 * GET-JSON client for one provider: timeout per attempt, retries with jittered exponential backoff,
 * rate limits (429) reported with their Retry-After, a call budget, a circuit breaker, and zod
 * validation of every body.
 */
export function createProviderHttpClient(options: TProviderHttpOptions) {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  const breaker = options.breaker ?? new CircuitBreaker({ now });
  const budget = options.callsPerMinute
    ? (options.budget?.(options.callsPerMinute) ?? new CallBudget(options.callsPerMinute, now, sleep))
    : null;
  const { provider, metrics } = options;

  const record = (outcome: string) => metrics?.requests.inc({ provider, outcome });

  function backoff(attempt: number): number {
    const base = Math.min(500 * 2 ** attempt, 10_000);
    return Math.round(base / 2 + (random() * base) / 2);
  }

  async function attempt(
    url: string,
    budgeted: boolean,
  ): Promise<{ status: number; headers: Headers; text: string }> {
    if (budget && !budgeted) await budget.take();
    try {
      const response = await fetch(url, {
        headers: { accept: 'application/json', ...options.headers },
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      return { status: response.status, headers: response.headers, text: await response.text() };
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new ProviderError(provider, 'timeout', `no answer within ${options.timeoutMs} ms`, {
          retryable: true,
          cause: error,
        });
      }
      throw new ProviderError(provider, 'network', `request failed: ${(error as Error).message}`, {
        retryable: true,
        cause: error,
      });
    }
  }

  /** One logical call (with its retries); throws ProviderError. */
  async function getJson<T extends z.ZodType>(
    path: string,
    query: Record<string, string | number | undefined>,
    schema: T,
    inspect?: (body: unknown, status: number) => void,
    call?: TCallOptions,
  ): Promise<z.output<T>> {
    // Before the breaker: a spent budget is not the provider's failure.
    if (call && budget && !(await budget.tryTake(call.reserve))) {
      record('budget_spent');
      throw new ProviderError(provider, 'budget_spent', 'the call budget of this minute is spent');
    }
    if (!breaker.allow()) {
      record('circuit_open');
      throw new ProviderError(provider, 'circuit_open', 'circuit breaker is open after repeated failures');
    }
    const url = new URL(
      path.replace(/^\//, ''),
      options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`,
    );
    for (const [key, value] of Object.entries(query))
      if (value !== undefined) url.searchParams.set(key, String(value));

    let lastError: ProviderError | undefined;
    const maxRetries = call ? 0 : options.maxRetries;
    for (let tries = 0; tries <= maxRetries; tries += 1) {
      try {
        const { status, headers, text } = await attempt(url.toString(), Boolean(call));
        if (status === 429) {
          // Not waited out here: the provider chain puts the provider in a cooldown shared by every
          // worker and moves on. Plain-text 429s ("error code: 1015") carry no Retry-After: a budget window.
          const retryAfterMs = parseRetryAfter(headers.get('retry-after'), now()) ?? RATE_LIMIT_WINDOW_MS;
          throw new ProviderError(provider, 'rate_limited', `HTTP 429 ${text.slice(0, 80).trim()}`, {
            status,
            retryAfterMs,
          });
        }
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch (error) {
          if (status >= 500)
            throw new ProviderError(provider, 'http', `HTTP ${status}`, { status, retryable: true });
          throw new ProviderError(
            provider,
            'invalid_response',
            `${url.pathname} answered ${status} with a body that is not JSON`,
            {
              status,
              cause: error,
            },
          );
        }
        inspect?.(body, status);
        if (status >= 500)
          throw new ProviderError(provider, 'http', `HTTP ${status}`, { status, retryable: true });
        if (status >= 400) {
          throw new ProviderError(provider, 'http', `HTTP ${status}: ${text.slice(0, 200)}`, { status });
        }
        const parsed = schema.safeParse(body);
        if (!parsed.success) {
          throw new ProviderError(
            provider,
            'invalid_response',
            `${url.pathname} returned invalid data: ${describeIssues(parsed.error)}`,
          );
        }
        record('success');
        breaker.success();
        return parsed.data;
      } catch (error) {
        lastError =
          error instanceof ProviderError
            ? error
            : new ProviderError(provider, 'upstream', String(error), { cause: error });
        record(lastError.kind);
        if (!lastError.retryable || tries === maxRetries) break;
        await sleep(backoff(tries));
      }
    }
    breaker.failure();
    throw lastError!;
  }

  return { getJson, breaker };
}
