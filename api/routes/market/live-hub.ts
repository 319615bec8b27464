import type { Redis } from 'ioredis';
import { Counter, Gauge, type Registry } from 'prom-client';
import { tickKeys, ZTickBatch, type TTick, type TTickBatch } from '../../../core/market/index.ts';
import type { TEventStreams } from '../../http/event-streams.ts';
import { createStreamLeases, type TStreamLease } from '../../http/stream-leases.ts';
import { LiveCapError, type TLiveClient, type TLiveFrameKind, type TLiveSink } from './live-sink.ts';

export type TLiveHubOptions = {
  /** The queue store (snapshot, replay list, leases). */
  redis: Redis;
  streams: TEventStreams;
  keyPrefix: string;
  perClient: number;
  perReplica: number;
  heartbeatSeconds: number;
  idleSeconds: number;
  isShuttingDown: () => boolean;
  metrics?: Registry;
};

/**
 * The live market of one API process (issue #24): one Redis subscription to the ticker's channel,
 * opened with the first stream, fanned out in memory to every stream subscribed to a symbol.
 *
 * Conflation: a stream has at most one write in flight. Ticks that arrive meanwhile wait in its
 * `pending` map, one entry per symbol, the newest replacing the older (counted in
 * market_stream_conflated_ticks_total); when the socket has taken the write, the pending ticks go out
 * in one write. A reader that stops reading therefore costs one socket buffer and one tick per
 * subscribed symbol, never an unbounded queue, and gets the latest prices (with `seq` gaps) when it
 * reads again.
 *
 * Fan-out: streams are indexed by symbol, so a batch touches only the streams subscribed to its
 * symbols, and streams that send the same ticks share one encoded frame (10,000 clients of BTC cost one
 * JSON.stringify, not 10,000).
 *
 * Caps: MARKET_STREAMS_PER_REPLICA streams in this process; MARKET_STREAMS_PER_CLIENT per client (the
 * user, else the IP) over every replica, as leases in Redis (api/http/stream-leases.ts), renewed by
 * the hub's timer. The same timer sends heartbeats, closes idle WebSockets and, when the process
 * shuts down, ends every stream telling its client to reconnect. Each stream has a phase, so heartbeats
 * and renewals are spread over their periods: 10,000 pings or lease writes in one timer tick would stall
 * the ticks behind them.
 */
export function createLiveHub(options: TLiveHubOptions) {
  const keys = tickKeys(options.keyPrefix);
  const leases = createStreamLeases({
    redis: options.redis,
    keyPrefix: `${options.keyPrefix}market:`,
    max: options.perClient,
    leaseMs: 60_000,
  });
  const streams = new Set<TStream>();
  /** The streams subscribed to each symbol. */
  const bySymbol = new Map<string, Set<TStream>>();
  let phases = 0;
  /** Newest seq seen per symbol: a batch published twice (two worker replicas) is passed on once. */
  const lastSeq = new Map<string, number>();
  let subscribing: Promise<void> | null = null;
  let unsubscribe: (() => Promise<void>) | null = null;
  let seconds = 0;

  const connections = new Gauge({
    name: 'market_stream_connections',
    help: 'Open live market streams in this API process, by transport (HPA can scale on it)',
    labelNames: ['transport'],
    registers: options.metrics ? [options.metrics] : [],
  });
  const conflated = new Counter({
    name: 'market_stream_conflated_ticks_total',
    help: 'Ticks replaced by a newer one before a slow reader took them',
    registers: options.metrics ? [options.metrics] : [],
  });

  type TStream = {
    sink: TLiveSink;
    symbols: Set<string>;
    pending: Map<string, TTick>;
    sent: Map<string, number>;
    busy: boolean;
    lease: TStreamLease;
    idleSince: number;
    /** Spreads this stream's heartbeats and lease renewals over their periods. */
    phase: number;
  };

  /** Frames encoded while one batch is fanned out, by transport and ticks (symbol@seq of each). */
  type TFrameMemo = Map<string, Buffer>;

  /** Sends the stream's pending ticks unless a write is in flight; `memo` shares frames within a batch. */
  function flush(stream: TStream, memo?: TFrameMemo) {
    if (stream.busy || stream.pending.size === 0 || !streams.has(stream)) return;
    const ticks = [...stream.pending.values()].filter(
      (tick) => (stream.sent.get(tick.symbol) ?? -1) < tick.seq,
    );
    stream.pending.clear();
    if (!ticks.length) return;
    let key = stream.sink.transport;
    for (const tick of ticks) {
      stream.sent.set(tick.symbol, tick.seq);
      key += ` ${tick.symbol}@${tick.seq}`;
    }
    let frame = memo?.get(key);
    if (!frame) {
      frame = stream.sink.encode('ticks', ticks);
      memo?.set(key, frame);
    }
    stream.busy = true;
    stream.sink.write(frame, () => {
      stream.busy = false;
      flush(stream);
    });
  }

  function offer(stream: TStream, tick: TTick) {
    if (!stream.symbols.has(tick.symbol)) return;
    if (stream.pending.has(tick.symbol)) conflated.inc();
    stream.pending.set(tick.symbol, tick);
  }

  function index(stream: TStream, symbol: string) {
    let subscribed = bySymbol.get(symbol);
    if (!subscribed) bySymbol.set(symbol, (subscribed = new Set()));
    subscribed.add(stream);
  }

  function unindex(stream: TStream, symbol: string) {
    const subscribed = bySymbol.get(symbol);
    if (subscribed?.delete(stream) && subscribed.size === 0) bySymbol.delete(symbol);
  }

  function onBatch(batch: TTickBatch) {
    const touched = new Set<TStream>();
    for (const tick of batch.ticks) {
      if ((lastSeq.get(tick.symbol) ?? -1) >= tick.seq) continue;
      lastSeq.set(tick.symbol, tick.seq);
      for (const stream of bySymbol.get(tick.symbol) ?? []) {
        offer(stream, tick);
        touched.add(stream);
      }
    }
    const memo: TFrameMemo = new Map();
    for (const stream of touched) flush(stream, memo);
  }

  // The process's one Redis subscriber (api/http/event-streams.ts, shared with the alert streams).
  function ensureSubscribed(): Promise<void> {
    subscribing ??= options.streams
      .listen(keys.channel, (message) => {
        const parsed = ZTickBatch.safeParse(JSON.parse(message));
        if (parsed.success) onBatch(parsed.data);
      })
      .then((stop) => {
        unsubscribe = stop;
      })
      .catch((error: unknown) => {
        subscribing = null;
        throw error;
      });
    return subscribing;
  }

  async function snapshot(symbols: readonly string[]): Promise<TTick[]> {
    if (!symbols.length) return [];
    const found = await options.redis.hmget(keys.last, ...symbols);
    return found
      .filter((value): value is string => value !== null)
      .map((value) => JSON.parse(value) as TTick);
  }

  /** The ticks of `symbols` after `afterSeq`, oldest first, or null when the replay list starts after it. */
  async function replaySince(afterSeq: number, symbols: ReadonlySet<string>): Promise<TTick[] | null> {
    const batches = (await options.redis.lrange(keys.recent, 0, -1))
      .map((message) => JSON.parse(message) as TTickBatch)
      .reverse();
    const oldest = batches[0]?.seq;
    if (oldest === undefined || oldest > afterSeq + 1) return null;
    return batches
      .filter((b) => b.seq > afterSeq)
      .flatMap((b) => b.ticks.filter((t) => symbols.has(t.symbol)));
  }

  function remove(stream: TStream) {
    if (!streams.delete(stream)) return;
    for (const symbol of stream.symbols) unindex(stream, symbol);
    connections.dec({ transport: stream.sink.transport });
    void stream.lease.release();
    if (streams.size === 0 && unsubscribe) {
      void unsubscribe();
      unsubscribe = null;
      subscribing = null;
      lastSeq.clear();
    }
  }

  const timer = setInterval(() => {
    seconds += 1;
    const shuttingDown = options.isShuttingDown();
    for (const stream of [...streams]) {
      if (shuttingDown) {
        stream.sink.end('shutdown', 'The server is shutting down; reconnect (with Last-Event-ID over SSE).');
        remove(stream);
        continue;
      }
      const tick = seconds + stream.phase;
      if (tick % options.heartbeatSeconds === 0 && !stream.sink.heartbeat()) {
        stream.sink.end('heartbeat', 'No pong to the last ping.');
        remove(stream);
        continue;
      }
      if (stream.symbols.size === 0 && Date.now() - stream.idleSince > options.idleSeconds * 1000) {
        stream.sink.end('idle', `Subscribed to no symbol for ${options.idleSeconds} s.`);
        remove(stream);
        continue;
      }
      if (tick % 20 === 0) void stream.lease.renew();
    }
  }, 1000);
  timer.unref();

  return {
    get size() {
      return streams.size;
    },
    /** Admits a stream under both caps, or throws LiveCapError. Redis errors propagate. */
    async open(clientKey: string, sink: TLiveSink, symbols: readonly string[]): Promise<TLiveClient> {
      if (streams.size >= options.perReplica) throw new LiveCapError('replica', options.perReplica);
      const lease = await leases.acquire(clientKey);
      if (!lease) throw new LiveCapError('client', options.perClient);
      await ensureSubscribed().catch(async (error: unknown) => {
        await lease.release();
        throw error;
      });
      const stream: TStream = {
        sink,
        symbols: new Set(symbols),
        pending: new Map(),
        sent: new Map(),
        // Live ticks wait in `pending` until the snapshot or replay is sent.
        busy: true,
        lease,
        idleSince: Date.now(),
        phase: (phases = (phases + 1) % 3600),
      };
      streams.add(stream);
      for (const symbol of stream.symbols) index(stream, symbol);
      connections.inc({ transport: sink.transport });

      const sendFirst = (kind: TLiveFrameKind, ticks: TTick[]) =>
        new Promise<void>((resolve) => {
          for (const tick of ticks)
            stream.sent.set(tick.symbol, Math.max(tick.seq, stream.sent.get(tick.symbol) ?? -1));
          sink.write(sink.encode(kind, ticks), resolve);
        });

      return {
        symbols: stream.symbols,
        async start(afterSeq) {
          const replayed = afterSeq === undefined ? null : await replaySince(afterSeq, stream.symbols);
          if (replayed) {
            if (replayed.length) await sendFirst('ticks', replayed);
          } else await sendFirst('snapshot', await snapshot([...stream.symbols]));
          stream.busy = false;
          flush(stream);
        },
        async subscribe(added) {
          const fresh = [...new Set(added)].filter((symbol) => !stream.symbols.has(symbol));
          for (const symbol of fresh) {
            stream.symbols.add(symbol);
            if (streams.has(stream)) index(stream, symbol);
          }
          if (fresh.length) {
            const ticks = (await snapshot(fresh)).filter(
              (tick) => (stream.sent.get(tick.symbol) ?? -1) < tick.seq,
            );
            for (const tick of ticks) offer(stream, tick);
            flush(stream);
          }
          return [...stream.symbols];
        },
        unsubscribe(removed) {
          for (const symbol of removed) {
            if (stream.symbols.delete(symbol)) unindex(stream, symbol);
            stream.pending.delete(symbol);
          }
          if (stream.symbols.size === 0) stream.idleSince = Date.now();
          return [...stream.symbols];
        },
        close: () => remove(stream),
      };
    },
    /** Stops the timer and the subscription (tests; a process ends its streams through isShuttingDown). */
    stop() {
      clearInterval(timer);
      for (const stream of [...streams]) remove(stream);
    },
  };
}
export type TLiveHub = ReturnType<typeof createLiveHub>;
