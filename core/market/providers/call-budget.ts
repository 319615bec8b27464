/**
 * Sliding one-minute budget of outgoing calls. CoinGecko's free tier answers 429 as plain text
 * without Retry-After, so the client must stay under its limit on its own rather than learn it from errors.
 */
export class CallBudget {
  private readonly calls: number[] = [];
  private readonly perMinute: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(perMinute: number, now: () => number, sleep: (ms: number) => Promise<void>) {
    this.perMinute = perMinute;
    this.now = now;
    this.sleep = sleep;
  }

  /**
   * Records a call and says true when one may be made now with `reserve` calls of the minute still left
   * for others (the live ticker keeps room for syncs); false, recording nothing, otherwise. Never waits.
   */
  tryTake(reserve = 0): boolean {
    const now = this.now();
    while (this.calls.length && this.calls[0]! <= now - 60_000) this.calls.shift();
    if (this.calls.length + reserve >= this.perMinute) return false;
    this.calls.push(now);
    return true;
  }

  /** Resolves when a call may be made, and records it. */
  async take(): Promise<void> {
    for (;;) {
      const now = this.now();
      while (this.calls.length && this.calls[0]! <= now - 60_000) this.calls.shift();
      if (this.calls.length < this.perMinute) {
        this.calls.push(now);
        return;
      }
      await this.sleep(this.calls[0]! + 60_000 - now);
    }
  }
}
