export type TProviderErrorKind =
  | 'timeout'
  | 'network'
  | 'http'
  | 'rate_limited'
  | 'invalid_response'
  | 'upstream'
  | 'circuit_open'
  | 'unsupported'
  | 'exhausted'
  | 'budget_spent'
  | 'unavailable';

/** Without Retry-After a rate limit is waited out for one budget window (per-minute plans). */
export const RATE_LIMIT_WINDOW_MS = 60_000;

/** Why a call to CoinGecko or CoinMarketCap failed; the message always names the provider. */
export class ProviderError extends Error {
  readonly provider: string;
  readonly kind: TProviderErrorKind;
  readonly status: number | undefined;
  readonly retryable: boolean;
  /** For a rate limit: how long to stay away from this provider (Retry-After, or a budget window). */
  readonly retryAfterMs: number | undefined;

  constructor(
    provider: string,
    kind: TProviderErrorKind,
    message: string,
    options: { status?: number; retryable?: boolean; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(`${provider}: ${message}`, { cause: options.cause });
    this.name = 'ProviderError';
    this.provider = provider;
    this.kind = kind;
    this.status = options.status;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}
