import type { Redis } from 'ioredis';

export type TCooldown = { until: number; reason: string };

/**
 * Per-provider cooldowns after a rate limit (HTTP 429, CoinMarketCap's 1008-1011), shared by every
 * worker through Redis: once one worker is told to slow down, none of them calls that provider again
 * before the cooldown ends. Without Redis each process keeps its own.
 */
export type TProviderCooldowns = {
  /** The cooldown in force for `provider`, if any. */
  current(provider: string): Promise<TCooldown | null>;
  /** Keeps everyone away from `provider` for `ms` (a longer cooldown already in force is kept). */
  start(provider: string, ms: number, reason: string): Promise<TCooldown>;
};

export function createMemoryCooldowns(now: () => number = Date.now): TProviderCooldowns {
  const cooldowns = new Map<string, TCooldown>();
  return {
    async current(provider) {
      const cooldown = cooldowns.get(provider);
      return cooldown && cooldown.until > now() ? cooldown : null;
    },
    async start(provider, ms, reason) {
      const existing = cooldowns.get(provider);
      const next = { until: now() + ms, reason };
      if (existing && existing.until >= next.until) return existing;
      cooldowns.set(provider, next);
      return next;
    },
  };
}

// SET only when no longer cooldown is in force, atomically: two workers hit by 429s at once keep the later end.
const START_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current then
  local ends = tonumber(string.match(current, '^(%d+)'))
  if ends and ends >= tonumber(ARGV[1]) then return current end
end
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. ARGV[2], 'PX', ARGV[3])
return ARGV[1] .. ' ' .. ARGV[2]`;

const parse = (value: string): TCooldown => {
  const space = value.indexOf(' ');
  return { until: Number(value.slice(0, space)), reason: value.slice(space + 1) };
};

export function createRedisCooldowns(
  redis: Redis,
  keyPrefix: string,
  onError: (error: unknown) => void = () => undefined,
): TProviderCooldowns {
  const local = createMemoryCooldowns();
  const key = (provider: string) => `${keyPrefix}provider:cooldown:${provider}`;
  return {
    async current(provider) {
      try {
        const value = await redis.get(key(provider));
        const cooldown = value ? parse(value) : null;
        return cooldown && cooldown.until > Date.now() ? cooldown : await local.current(provider);
      } catch (error) {
        onError(error);
        return local.current(provider);
      }
    },
    async start(provider, ms, reason) {
      const kept = await local.start(provider, ms, reason);
      try {
        const until = Date.now() + ms;
        const stored = (await redis.eval(START_SCRIPT, 1, key(provider), until, reason, ms)) as string;
        return parse(stored);
      } catch (error) {
        onError(error);
        return kept;
      }
    },
  };
}
