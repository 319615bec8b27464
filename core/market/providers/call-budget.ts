import type { Redis } from 'ioredis';

/** A provider's calls-per-minute budget: what every call (sync, backfill, live tick) takes from. */
export type TCallBudget = {
  /** Resolves when a call may be made, and records it. */
  take(): Promise<void>;
  /**
   * Records a call and says true when one may be made now with `reserve` calls of the minute still left
   * for others (the live ticker keeps room for syncs); false, recording nothing, otherwise. Never waits.
   */
  tryTake(reserve: number): Promise<boolean>;
};

/**
 * Sliding one-minute budget of outgoing calls in this process. CoinGecko's free tier answers 429 as plain
 * text without Retry-After, so the client must stay under its limit on its own rather than learn it from errors.
 */
export class CallBudget implements TCallBudget {
  private readonly calls: number[] = [];
  private readonly perMinute: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(perMinute: number, now: () => number, sleep: (ms: number) => Promise<void>) {
    this.perMinute = perMinute;
    this.now = now;
    this.sleep = sleep;
  }

  /** When the oldest call of the window leaves it, or 0 when a call with `reserve` left fits now. */
  private waitFor(reserve: number): number {
    const now = this.now();
    while (this.calls.length && this.calls[0]! <= now - 60_000) this.calls.shift();
    if (this.calls.length + reserve < this.perMinute) return 0;
    return Math.max(1, this.calls[0]! + 60_000 - now);
  }

  async tryTake(reserve = 0): Promise<boolean> {
    if (this.waitFor(reserve)) return false;
    this.calls.push(this.now());
    return true;
  }

  async take(): Promise<void> {
    for (;;) {
      const wait = this.waitFor(0);
      if (!wait) {
        this.calls.push(this.now());
        return;
      }
      await this.sleep(wait);
    }
  }
}

// The sliding window as a sorted set of call times: drop what left the window, count, add when it fits.
// Returns 0 when taken, else the ms until the oldest call leaves the window.
const TAKE_SCRIPT = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 60000)
if redis.call('ZCARD', KEYS[1]) + tonumber(ARGV[3]) >= tonumber(ARGV[2]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + 60000 - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], 61000)
return 0`;

let sequence = 0;

/**
 * The per-minute budget of one provider shared by every process through Redis (the queue store), so
 * that the syncs, backfills and live ticks of all worker replicas together stay within the plan. When
 * Redis cannot answer, this process's own budget takes over (as the cooldowns do).
 */
export function createRedisCallBudget(options: {
  redis: Redis;
  keyPrefix: string;
  provider: string;
  perMinute: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  onError?: (error: unknown) => void;
}): TCallBudget {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const local = new CallBudget(options.perMinute, now, sleep);
  const key = `${options.keyPrefix}provider:budget:${options.provider}`;
  const member = () => `${now()}:${process.pid}:${(sequence += 1)}`;
  /** 0 when taken, the ms to wait otherwise; null when Redis failed. */
  async function attempt(reserve: number): Promise<number | null> {
    try {
      const wait = await options.redis.eval(TAKE_SCRIPT, 1, key, now(), options.perMinute, reserve, member());
      return Number(wait);
    } catch (error) {
      options.onError?.(error);
      return null;
    }
  }
  return {
    async tryTake(reserve) {
      const wait = await attempt(reserve);
      return wait === null ? local.tryTake(reserve) : wait === 0;
    },
    async take() {
      for (;;) {
        const wait = await attempt(0);
        if (wait === null) return local.take();
        if (wait === 0) return;
        await sleep(wait);
      }
    },
  };
}
