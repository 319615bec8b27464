import type { TRepresentation } from './encodings.ts';

type TEntry = TRepresentation;

/**
 * Process-memory layer in front of Redis: the entries this replica served recently, each tagged with
 * the cache version it was computed under. An entry is served only while that version is still
 * current, so invalidation stays global; it saves moving the body from Redis on every request.
 */
export class MemoryEntries {
  private readonly entries = new Map<string, TEntry & { version: string }>();
  private bytes = 0;
  private readonly maxBytes: number;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  get(key: string, version: string): TEntry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    // Not deleted when the versions differ: the caller's version may be the older one for a moment
    // (data-version-watch.ts); an entry that is really stale goes with its key's next fill or the LRU.
    if (entry.version !== version) return undefined;
    // Map iteration order is insertion order: re-inserting makes this the most recently used.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  set(key: string, version: string, entry: TEntry): void {
    if (entry.body.length > this.maxBytes / 4) return;
    this.delete(key);
    this.entries.set(key, { ...entry, version });
    this.bytes += entry.body.length;
    for (const [oldest] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.delete(oldest);
    }
  }

  private delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.bytes -= entry.body.length;
    this.entries.delete(key);
  }
}
