/**
 * A work queue of object keys, as controllers have: a key queued several times is processed once;
 * a key is never processed twice at once (changes during processing queue it again); a failed key is
 * retried after an exponential delay per key (reset by a success).
 */
export function createWorkQueue(options: {
  process: (key: string) => Promise<void>;
  onError: (key: string, error: unknown, retryInMs: number) => void;
  baseDelayMs?: number;
  maxDelayMs?: number;
}) {
  const base = options.baseDelayMs ?? 500;
  const max = options.maxDelayMs ?? 60_000;
  const pending = new Set<string>();
  const running = new Set<string>();
  const again = new Set<string>();
  const failures = new Map<string, number>();
  const timers = new Map<string, NodeJS.Timeout>();
  let stopped = false;
  let idle: (() => void) | undefined;

  async function run(key: string) {
    pending.delete(key);
    running.add(key);
    try {
      await options.process(key);
      failures.delete(key);
    } catch (error) {
      const count = (failures.get(key) ?? 0) + 1;
      failures.set(key, count);
      const delay = Math.min(max, base * 2 ** (count - 1));
      options.onError(key, error, delay);
      if (!stopped)
        timers.set(
          key,
          setTimeout(() => (timers.delete(key), add(key)), delay),
        );
    } finally {
      running.delete(key);
      if (again.delete(key)) add(key);
      if (!pending.size && !running.size) idle?.();
    }
  }

  function add(key: string) {
    if (stopped) return;
    if (running.has(key)) {
      again.add(key);
      return;
    }
    if (pending.has(key)) return;
    pending.add(key);
    queueMicrotask(() => {
      if (pending.has(key) && !running.has(key)) void run(key);
    });
  }

  return {
    add,
    depth: () => pending.size + running.size + timers.size,
    /** Stops taking keys; resolves when the one in progress is done. */
    async stop() {
      stopped = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      pending.clear();
      if (running.size) await new Promise<void>((resolve) => (idle = resolve));
    },
  };
}
