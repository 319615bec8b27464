import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { Redis } from 'ioredis';
import { publishTicks, type TTick } from '../../../core/market/index.ts';
import { testConfig } from '../../../test/config.ts';
import { createEventStreams } from '../../http/event-streams.ts';
import { createLiveHub, type TLiveHub } from './live-hub.ts';
import type { TLiveSink, TTransport } from './live-sink.ts';
import { encodeSocketFrame } from './market-socket.ts';
import { encodeEventFrame } from './market-stream.ts';

// The hub's fan-out on real Redis pub/sub, seen from recording sinks: which stream gets which tick,
// how often a batch is encoded, and how the timer spreads heartbeats.

const config = testConfig();
let redis: Redis;
let hub: TLiveHub | null = null;
let seq = 5000;

type TRecorder = TLiveSink & { frames: Buffer[]; heartbeats: number };

const counts = { encoded: 0 };
function recorder(transport: TTransport, onHeartbeat?: () => void): TRecorder {
  const encode = transport === 'ws' ? encodeSocketFrame : encodeEventFrame;
  const sink: TRecorder = {
    transport,
    frames: [],
    heartbeats: 0,
    encode(kind, ticks) {
      counts.encoded += 1;
      return encode(kind, ticks);
    },
    write(frame, flushed) {
      sink.frames.push(frame);
      setImmediate(flushed);
    },
    heartbeat() {
      sink.heartbeats += 1;
      onHeartbeat?.();
      return true;
    },
    end: () => undefined,
  };
  return sink;
}

function startHub(heartbeatSeconds = 60) {
  const keyPrefix = `${config.REDIS_KEY_PREFIX}hub-test:${randomUUID()}:`;
  hub = createLiveHub({
    redis,
    streams: createEventStreams(redis),
    keyPrefix,
    perClient: 1000,
    perReplica: 1000,
    heartbeatSeconds,
    idleSeconds: 600,
    isShuttingDown: () => false,
  });
  const publish = async (symbols: string[]) => {
    seq += 1;
    const at = new Date(seq * 1000).toISOString();
    const ticks: TTick[] = symbols.map((symbol) => ({
      symbol,
      price: seq,
      change_24h: null,
      volume_24h: null,
      at,
      seq,
    }));
    await publishTicks(redis, keyPrefix, 5, { seq, at, ticks });
    return seq;
  };
  return { hub, publish };
}

const until = async (probe: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};
const ticksIn = (frame: Buffer) =>
  (JSON.parse(frame.toString()) as { ticks: TTick[] }).ticks.map((t) => `${t.symbol}@${t.seq}`);

beforeAll(() => {
  redis = new Redis(config.REDIS_URL);
});
afterEach(() => {
  hub?.stop();
  hub = null;
});
afterAll(() => redis.disconnect());

describe('live hub fan-out', () => {
  test('When many streams take the same ticks, then the batch is encoded once per transport and each stream gets only its symbols', async () => {
    const { hub, publish } = startHub();
    const btc = Array.from({ length: 200 }, () => recorder('ws'));
    const sse = Array.from({ length: 50 }, () => recorder('sse'));
    const eth = recorder('ws');
    const clients = await Promise.all([
      ...btc.map((sink) => hub.open('k', sink, ['BTC'])),
      ...sse.map((sink) => hub.open('k', sink, ['BTC'])),
      hub.open('k', eth, ['ETH']),
    ]);
    await Promise.all(clients.map((client) => client.start()));
    const snapshots = counts.encoded;
    expect(snapshots).toBe(clients.length); // the first frame is each stream's own

    const first = await publish(['BTC', 'ETH', 'SOL']);
    await until(() => [...btc, ...sse, eth].every((sink) => sink.frames.length === 2));
    expect(counts.encoded - snapshots).toBe(3); // BTC over ws, BTC over SSE, ETH over ws
    expect(new Set(btc.map((sink) => sink.frames[1])).size).toBe(1); // one Buffer, shared
    expect(ticksIn(btc[0]!.frames[1]!)).toEqual([`BTC@${first}`]);
    expect(ticksIn(eth.frames[1]!)).toEqual([`ETH@${first}`]);
    expect(sse[0]!.frames[1]!.toString()).toBe(
      `id: ${first}\nevent: tick\ndata: {"symbol":"BTC","price":${first},"change_24h":null,"volume_24h":null,"at":"${new Date(first * 1000).toISOString()}","seq":${first}}\n\n`,
    );

    // Subscriptions move a stream between symbols; a closed stream gets nothing more.
    const [moved] = clients;
    moved!.unsubscribe(['BTC']);
    await moved!.subscribe(['SOL', 'SOL']); // sends SOL's latest tick (from `first`) first
    await until(() => btc[0]!.frames.length === 3);
    expect(ticksIn(btc[0]!.frames[2]!)).toEqual([`SOL@${first}`]);
    clients[1]!.close();
    const second = await publish(['BTC', 'SOL']);
    await until(() => btc[0]!.frames.length === 4 && btc[2]!.frames.length === 3);
    expect(ticksIn(btc[0]!.frames[3]!)).toEqual([`SOL@${second}`]);
    expect(ticksIn(btc[2]!.frames[2]!)).toEqual([`BTC@${second}`]);
    expect(btc[1]!.frames).toHaveLength(2);
    expect(eth.frames).toHaveLength(2);
    expect(hub.size).toBe(clients.length - 1);
  });

  test('When the timer sends heartbeats, then each tick of it pings only its share of the streams', async () => {
    // The calls of one timer tick run in one turn of the event loop: a group ends at the next setImmediate.
    const groups: number[] = [];
    let open = false;
    const onHeartbeat = () => {
      if (!open) {
        open = true;
        groups.push(0);
        setImmediate(() => (open = false));
      }
      groups[groups.length - 1]! += 1;
    };
    const { hub } = startHub(4);
    const sinks = Array.from({ length: 100 }, () => recorder('ws', onHeartbeat));
    for (const sink of sinks) await (await hub.open('k', sink, ['BTC'])).start();
    await until(() => groups.length >= 4, 15_000);
    // Four phases of 25 streams each, never all 100 at once; over four ticks every stream had one.
    expect(Math.max(...groups)).toBe(25);
    await until(() => sinks.every((sink) => sink.heartbeats >= 1), 15_000);
  });
});
