import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AppError, ErrorCode } from '../platform/errors/app-error.ts';

export type TLoginLimits = {
  /** Failures for one account from one client: the lockout an attacker elsewhere cannot cause. */
  perAccountClient: number;
  /** Failures for one account from every client it does not know: the ceiling on distributed guessing. */
  perAccount: number;
  /** Failures from one client over every account: credential stuffing from one address. */
  perIp: number;
  windowSeconds: number;
};

/** One password check under way: it counts as a failure unless it is settled otherwise. */
export type TLoginAttempt = {
  /** The password was right: the client's count for the account starts again and the client is known. */
  succeeded(): Promise<void>;
  /** No verdict (the check itself failed): the reservation is given back. */
  abandoned(): Promise<void>;
};

/** A client that logged into an account is known to it this long (at most KNOWN_MAX per account). */
const KNOWN_MS = 30 * 86_400_000;
const KNOWN_MAX = 20;

// Check and count in one step, before the password is hashed: N parallel guesses take N counts, so no
// more than the limit of them ever reach argon2. A client the account knows is not held by the ceiling.
const RESERVE = `
local limits = {tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])}
local known = tonumber(redis.call('ZSCORE', KEYS[4], ARGV[5]) or '0') > tonumber(ARGV[6]) - tonumber(ARGV[7])
local blocked, wait = false, 0
for i = 1, 3 do
  if not (i == 2 and known) and tonumber(redis.call('GET', KEYS[i]) or '0') >= limits[i] then
    blocked = true
    wait = math.max(wait, redis.call('PTTL', KEYS[i]))
  end
end
if blocked then return {0, wait} end
for i = 1, 3 do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[4]) end
end
return {1, 0}`;

// A success takes back its reservation and clears the client's count for the account; the account's
// ceiling and the client's own count keep their other failures (an owner's login does not reset an attack).
const SUCCEED = `
redis.call('DEL', KEYS[1])
for i = 2, 3 do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
end
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', tonumber(ARGV[2]) - tonumber(ARGV[3]))
redis.call('ZREMRANGEBYRANK', KEYS[4], 0, -tonumber(ARGV[4]) - 1)
redis.call('PEXPIRE', KEYS[4], ARGV[3])
return 1`;

const ABANDON = `
for i = 1, 3 do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
end
return 1`;

type TCounter = { count: number; resetAt: number };

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * Failed password checks (logins and password changes), counted per account and client, per account,
 * and per client over fixed windows, shared by every replica through Redis (process memory while Redis
 * is away). An attempt is counted before its password is checked, atomically with the check of the
 * limits, and handed back on success; past a limit the answer is a 429 with Retry-After until the
 * window ends. Following OWASP's guidance on credential stuffing, one client's failures lock out that
 * client only, not the account's owner elsewhere; the per-account ceiling, far higher, stops guessing
 * spread over many addresses, and holds back only clients that have not logged into the account before.
 */
export function createLoginLimiter(deps: { redis: Redis; keyPrefix: string; limits: TLoginLimits }) {
  const { redis, limits } = deps;
  const windowMs = limits.windowSeconds * 1000;
  const memory = new Map<string, TCounter>();
  const memoryKnown = new Map<string, Map<string, number>>();

  // Emails and addresses are hashed where they would sit in a key together: no personal data in Redis keys.
  function keysOf(email: string, ip: string): [string, string, string, string] {
    const account = sha256(email.toLowerCase());
    return [
      `${deps.keyPrefix}auth:fail:pair:${account}:${sha256(ip).slice(0, 32)}`,
      `${deps.keyPrefix}auth:fail:account:${account}`,
      `${deps.keyPrefix}auth:fail:ip:${ip}`,
      `${deps.keyPrefix}auth:known:${account}`,
    ];
  }
  const clientTag = (ip: string) => sha256(`client:${ip}`).slice(0, 32);
  const limitList = [limits.perAccountClient, limits.perAccount, limits.perIp];

  function memoryCount(key: string, now: number): TCounter {
    const counter = memory.get(key);
    if (counter && counter.resetAt > now) return counter;
    const fresh = { count: 0, resetAt: now + windowMs };
    memory.set(key, fresh);
    return fresh;
  }

  /** The same rules in this process alone (synchronous, so atomic here). */
  function reserveInMemory(keys: string[], tag: string): [number, number] {
    const now = Date.now();
    if (memory.size > 100_000)
      for (const [key, value] of memory) if (value.resetAt <= now) memory.delete(key);
    const known = (memoryKnown.get(keys[3]!)?.get(tag) ?? 0) > now - KNOWN_MS;
    const counters = keys.slice(0, 3).map((key) => memoryCount(key, now));
    const blocking = counters.filter(
      (counter, index) => !(index === 1 && known) && counter.count >= limitList[index]!,
    );
    if (blocking.length) return [0, Math.max(...blocking.map((counter) => counter.resetAt - now))];
    for (const counter of counters) counter.count += 1;
    return [1, 0];
  }

  function giveBack(keys: string[], from: number): void {
    for (const key of keys.slice(from, 3)) {
      const counter = memory.get(key);
      if (counter && counter.count > 0) counter.count -= 1;
    }
  }

  return {
    /** Reserves one password check for `email` from `ip`; throws the 429 when a limit is reached. */
    async attempt(email: string, ip: string): Promise<TLoginAttempt> {
      const keys = keysOf(email, ip);
      const tag = clientTag(ip);
      let inMemory = false;
      let answer: [number, number];
      try {
        answer = (await redis.eval(
          RESERVE,
          4,
          ...keys,
          ...limitList,
          windowMs,
          tag,
          Date.now(),
          KNOWN_MS,
        )) as [number, number];
      } catch {
        inMemory = true;
        answer = reserveInMemory(keys, tag);
      }
      if (answer[0] !== 1) {
        const retryAfter = Math.max(1, Math.ceil((answer[1] > 0 ? answer[1] : windowMs) / 1000));
        throw new AppError(ErrorCode.RateLimited, {
          detail: `Too many failed password checks; retry in ${retryAfter} s.`,
          extensions: { retry_after: retryAfter },
        });
      }
      return {
        async succeeded() {
          if (inMemory) {
            memory.delete(keys[0]);
            giveBack(keys, 1);
            const known = memoryKnown.get(keys[3]) ?? new Map<string, number>();
            known.delete(tag); // re-inserted last: the oldest client is the first to go past KNOWN_MAX
            known.set(tag, Date.now());
            if (known.size > KNOWN_MAX) known.delete(known.keys().next().value!);
            memoryKnown.set(keys[3], known);
            return;
          }
          await redis.eval(SUCCEED, 4, ...keys, tag, Date.now(), KNOWN_MS, KNOWN_MAX).catch(() => undefined);
        },
        async abandoned() {
          if (inMemory) giveBack(keys, 0);
          else await redis.eval(ABANDON, 3, ...keys.slice(0, 3)).catch(() => undefined);
        },
      };
    },
  };
}

export type TLoginLimiter = ReturnType<typeof createLoginLimiter>;
