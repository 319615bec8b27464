export type TCircuitState = 'closed' | 'open' | 'half_open';

/**
 * Per-provider circuit breaker: after `threshold` consecutive failed calls it opens for `cooldownMs`
 * (calls fail at once, so the fallback provider answers without waiting), then lets one trial call through.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  private readonly threshold: number;
  private readonly cooldownMs: number;
  private readonly now: () => number;
  private readonly onChange: (state: TCircuitState) => void;

  constructor(options: {
    threshold?: number;
    cooldownMs?: number;
    now?: () => number;
    onChange?: (state: TCircuitState) => void;
  }) {
    this.threshold = options.threshold ?? 5;
    this.cooldownMs = options.cooldownMs ?? 30_000;
    this.now = options.now ?? Date.now;
    this.onChange = options.onChange ?? (() => undefined);
  }

  get state(): TCircuitState {
    if (this.failures < this.threshold) return 'closed';
    return this.now() - this.openedAt >= this.cooldownMs ? 'half_open' : 'open';
  }

  /** True when a call may go out now. */
  allow(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  success(): void {
    const wasClosed = this.state === 'closed';
    this.failures = 0;
    this.trialInFlight = false;
    if (!wasClosed) this.onChange('closed');
  }

  failure(): void {
    this.trialInFlight = false;
    this.failures += 1;
    if (this.failures >= this.threshold) {
      this.openedAt = this.now();
      this.onChange('open');
    }
  }
}
