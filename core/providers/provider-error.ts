export type TProviderErrorKind =
  | 'timeout'
  | 'network'
  | 'http'
  | 'rate_limited'
  | 'invalid_response'
  | 'upstream'
  | 'circuit_open'
  | 'unsupported'
  | 'exhausted';

/** Why a call to CoinGecko or CoinMarketCap failed; the message always names the provider. */
export class ProviderError extends Error {
  readonly provider: string;
  readonly kind: TProviderErrorKind;
  readonly status: number | undefined;
  readonly retryable: boolean;

  constructor(
    provider: string,
    kind: TProviderErrorKind,
    message: string,
    options: { status?: number; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(`${provider}: ${message}`, { cause: options.cause });
    this.name = 'ProviderError';
    this.provider = provider;
    this.kind = kind;
    this.status = options.status;
    this.retryable = options.retryable ?? false;
  }
}
