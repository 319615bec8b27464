import type { Redis } from 'ioredis';
import { readVersion } from '../../core/platform/cache/versions.ts';

/** How often the version is read again although no change was announced (a lost message, an evicted key). */
const CONFIRM_MS = 1000;

/**
 * This process's copy of the shared data version (core/platform/cache/versions.ts), so that a cached
 * answer held in memory can be served without a round trip to Redis. A bump is published on a channel
 * named like the key and reaches this process at once over its own subscriber connection; the key is
 * also read again every second, which bounds how long a lost message or an evicted key (the cache store
 * is allkeys-lru) can go unnoticed. While the subscription is down, or the last confirmation is older
 * than two periods, `current()` knows nothing and callers ask Redis as before.
 */
export class DataVersionWatch {
  private version: string | undefined;
  private confirmedAt = 0;
  private subscribed = false;
  /** Counts announcements: a re-read answered after one (an older value, maybe) is ignored. */
  private announcements = 0;
  private readonly redis: Redis;
  private readonly key: string;
  private readonly subscriber: Redis;
  private readonly timer: NodeJS.Timeout;

  constructor(redis: Redis, key: string) {
    this.redis = redis;
    this.key = key;
    this.subscriber = redis.duplicate();
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (_channel: string, version: string) => {
      this.announcements += 1;
      this.accept(version);
    });
    this.subscriber.on('ready', () => {
      this.subscriber
        .subscribe(key)
        .then(() => {
          this.subscribed = true;
          return this.confirm();
        })
        .catch(() => undefined);
    });
    this.subscriber.on('close', () => {
      this.subscribed = false;
      this.version = undefined;
    });
    // The watch lives as long as the connection it reads from.
    redis.once('end', () => this.close());
    this.timer = setInterval(() => void this.confirm(), CONFIRM_MS).unref();
  }

  /** The data version now, if this process can vouch for it; undefined when Redis must be asked. */
  current(): string | undefined {
    if (!this.subscribed || Date.now() - this.confirmedAt > 2 * CONFIRM_MS) return undefined;
    return this.version;
  }

  /** A version read from Redis by someone else (the rate limiter's round trip), as good as a confirmation. */
  observe(version: string, announcementsBefore: number): void {
    if (announcementsBefore === this.announcements) this.accept(version);
  }

  /** Pass to observe() with what a read started now returns. */
  get epoch(): number {
    return this.announcements;
  }

  close(): void {
    clearInterval(this.timer);
    this.subscribed = false;
    this.version = undefined;
    this.subscriber.disconnect();
  }

  private accept(version: string): void {
    this.version = version;
    this.confirmedAt = Date.now();
  }

  private async confirm(): Promise<void> {
    if (!this.subscribed || this.redis.status !== 'ready') return;
    const before = this.announcements;
    try {
      this.observe(await readVersion(this.redis, this.key), before);
    } catch {
      // the next period tries again; meanwhile current() expires and callers ask Redis
    }
  }
}
