import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { publishTicks, seedBundledData, type TTick } from '../../../core/market/index.ts';
import { testConfig } from '../../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../../test/db.ts';
import { freePort, startProcess, waitForStatus, type TChild } from '../../../test/processes.ts';

// The live market through real API processes (api/main.ts) sharing one Redis: ticks published as the
// worker's ticker publishes them (publishTicks) reach SSE and WebSocket clients of either process.

const config = testConfig();
const REPLAY = 5;
let database: TTestDatabase;
let redis: Redis;
const children: TChild[] = [];
let [a, b] = ['', ''];
let seq = 1000;

const tick = (symbol: string, at: number, price = 100 + at): TTick => ({
  symbol,
  price,
  change_24h: 1.5,
  volume_24h: 1e9,
  at: new Date(at * 10_000).toISOString(),
  seq: at,
});
async function publish(symbols: readonly string[], price?: number): Promise<number> {
  seq += 1;
  const ticks = symbols.map((symbol) => tick(symbol, seq, price));
  await publishTicks(redis, config.REDIS_KEY_PREFIX, REPLAY, { seq, at: ticks[0]!.at, ticks });
  return seq;
}

async function startApi(extra: Record<string, string>): Promise<string> {
  const port = await freePort();
  children.push(
    startProcess('api/main.ts', {
      DATABASE_URL: database.url,
      REDIS_URL: config.REDIS_URL,
      CACHE_REDIS_URL: config.CACHE_REDIS_URL ?? config.REDIS_URL,
      REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX,
      QUEUE_PREFIX: config.QUEUE_PREFIX,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '100000',
      SHUTDOWN_DELAY_MS: '3000',
      MARKET_STREAMS_PER_CLIENT: '3',
      ...extra,
    }),
  );
  const base = `http://127.0.0.1:${port}`;
  await waitForStatus(`${base}/readyz`);
  return base;
}

beforeAll(async () => {
  database = await createTestDatabase(config);
  await seedBundledData(database.db, { symbols: ['BTC', 'ETH'], history: 'month' });
  redis = new Redis(config.REDIS_URL);
  [a, b] = await Promise.all([
    startApi({ MARKET_STREAM_HEARTBEAT_SECONDS: '1', MARKET_STREAM_IDLE_SECONDS: '5' }),
    startApi({ MARKET_STREAMS_PER_REPLICA: '2' }),
  ]);
});

afterAll(async () => {
  for (const child of children) {
    child.process.kill('SIGKILL');
    await child.exited;
  }
  redis.disconnect();
  await database.drop();
});

type TEvent = { id?: string; event: string; data: string };

/** An SSE client over fetch: the parsed events as they come. */
async function openSse(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const events: TEvent[] = [];
  let ended = false;
  if (response.ok) {
    void (async () => {
      let buffer = '';
      const decoder = new TextDecoder();
      try {
        for await (const chunk of response.body!) {
          buffer += decoder.decode(chunk as Uint8Array, { stream: true });
          let cut;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const event: TEvent = { event: 'message', data: '' };
            for (const line of block.split('\n')) {
              if (line.startsWith('id: ')) event.id = line.slice(4);
              else if (line.startsWith('event: ')) event.event = line.slice(7);
              else if (line.startsWith('data: ')) event.data += line.slice(6);
            }
            if (event.data) events.push(event);
          }
        }
      } catch {
        // aborted
      }
      ended = true;
    })();
  }
  return {
    response,
    events,
    ended: () => ended,
    close: () => controller.abort(),
    next: (predicate: (event: TEvent) => boolean) => waitFor(() => events.find(predicate)),
  };
}

/** A WebSocket client: its JSON messages as they come, and how it closed. */
async function openWs(url: string) {
  const socket = new WebSocket(url);
  const messages: { type: string; [key: string]: unknown }[] = [];
  const closed: { code?: number; reason?: string } = {};
  socket.on('message', (data) => messages.push(JSON.parse(data.toString())));
  socket.on('close', (code, reason) => Object.assign(closed, { code, reason: reason.toString() }));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    socket,
    messages,
    closed,
    next: (predicate: (message: { type: string; [key: string]: unknown }) => boolean) =>
      waitFor(() => messages.find(predicate)),
  };
}

async function waitFor<T>(probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found) return found;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Until the streams the tests above closed are gone from both processes and their leases released: both
 * happen in the API processes after the client has closed, so the next cap test waits for them.
 */
async function streamsDrained(bases = [a, b]): Promise<void> {
  const open = async () => {
    const keys = await redis.keys(`${config.REDIS_KEY_PREFIX}market:streams:user:*`);
    let count = 0;
    for (const key of keys) count += await redis.zcard(key);
    for (const base of bases) {
      const text = await (await fetch(`${base}/metrics`)).text();
      for (const [, n] of text.matchAll(/^market_stream_connections\{[^}]*\} (\d+)/gm)) count += Number(n);
    }
    return count;
  };
  const deadline = Date.now() + 10_000;
  let left;
  while ((left = await open()) > 0) {
    if (Date.now() > deadline) throw new Error(`${left} streams or leases still open after 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const ticksOf = (message: { [key: string]: unknown }) => (message.ticks ?? []) as TTick[];
const wsUrl = (base: string, query: string) => `${base.replace('http', 'ws')}/api/v1/ws${query}`;

describe('live market streams over two API processes', () => {
  test('When a tick is published, then an SSE client of one process and a WebSocket client of the other get it, after a snapshot', async () => {
    const first = await publish(['BTC', 'ETH', 'SOL']);
    const sse = await openSse(`${a}/api/v1/cryptocurrencies/stream?symbols=btc,ETH`);
    expect(sse.response.status).toBe(200);
    expect(sse.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const ws = await openWs(wsUrl(b, '?symbols=BTC,eth'));
    try {
      const snapshot = await sse.next((e) => e.event === 'snapshot');
      expect(snapshot.id).toBe(String(first));
      expect(
        JSON.parse(snapshot.data)
          .ticks.map((t: TTick) => t.symbol)
          .sort(),
      ).toEqual(['BTC', 'ETH']);
      const wsSnapshot = await ws.next((m) => m.type === 'snapshot');
      expect(ticksOf(wsSnapshot).map((t) => t.seq)).toEqual([first, first]);
      expect(ws.messages[0]).toEqual({ type: 'subscribed', symbols: ['BTC', 'ETH'] });

      const second = await publish(['BTC', 'ETH', 'SOL']);
      const sseTick = await sse.next((e) => e.event === 'tick' && e.id === String(second));
      expect(JSON.parse(sseTick.data)).toEqual(tick(JSON.parse(sseTick.data).symbol, second));
      await sse.next(
        (e) => e.event === 'tick' && JSON.parse(e.data).symbol === 'ETH' && e.id === String(second),
      );
      const wsTicks = await waitFor(() => {
        const got = ws.messages.filter((m) => m.type === 'ticks').flatMap(ticksOf);
        return got.length >= 2 && got;
      });
      expect(wsTicks.map((t) => [t.symbol, t.seq]).sort()).toEqual([
        ['BTC', second],
        ['ETH', second],
      ]);
      // SOL was not asked for; subscribing to it sends its latest tick first.
      expect(sse.events.some((e) => e.data.includes('"SOL"'))).toBe(false);
      ws.socket.send(JSON.stringify({ type: 'subscribe', symbols: ['sol'] }));
      await ws.next((m) => m.type === 'subscribed' && (m.symbols as string[]).includes('SOL'));
      await ws.next(
        (m) => m.type === 'ticks' && ticksOf(m).some((t) => t.symbol === 'SOL' && t.seq === second),
      );
      ws.socket.send('not json');
      await ws.next((m) => m.type === 'error');
      ws.socket.send(JSON.stringify({ type: 'ping' }));
      await ws.next((m) => m.type === 'pong');
    } finally {
      sse.close();
      ws.socket.close();
    }
  });

  test('When a stream is asked for badly, then it is refused before it starts', async () => {
    const noSymbols = await fetch(`${a}/api/v1/cryptocurrencies/stream`);
    expect(noSymbols.status).toBe(400);
    const tooMany = Array.from({ length: 101 }, (_, i) => `S${i}`).join(',');
    expect((await fetch(`${a}/api/v1/cryptocurrencies/stream?symbols=${tooMany}`)).status).toBe(400);
    const badId = await fetch(`${a}/api/v1/cryptocurrencies/stream?symbols=BTC`, {
      headers: { 'Last-Event-ID': 'x' },
    });
    expect(badId.status).toBe(400);
    // A plain GET of the WebSocket endpoint: 426; a handshake with bad symbols: 400 before the upgrade.
    const plain = await fetch(`${a}/api/v1/ws?symbols=BTC`);
    expect([plain.status, ((await plain.json()) as { type: string }).type]).toEqual([
      426,
      'urn:trading-backend:problem:upgrade_required',
    ]);
    const socket = new WebSocket(wsUrl(a, '?symbols=B$D'));
    const status = await new Promise((resolve) => {
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode));
      socket.on('error', () => resolve('error'));
    });
    expect(status).toBe(400);
    // Bad credentials are refused at the handshake too, even where anonymous callers may read.
    const forged = new WebSocket(wsUrl(a, '?symbols=BTC'), { headers: { Authorization: 'Bearer nope' } });
    const forgedStatus = await new Promise((resolve) => {
      forged.on('unexpected-response', (_req, res) => resolve(res.statusCode));
      forged.on('error', () => resolve('error'));
    });
    expect(forgedStatus).toBe(401);
  });

  test('When a WebSocket subscribes to nothing for long, or stops answering pings, then it is closed', async () => {
    // Process A: heartbeat every second, idle after 5 s.
    const idle = await openWs(wsUrl(a, ''));
    const mute = new WebSocket(wsUrl(a, '?symbols=BTC'), { autoPong: false });
    const muteClosed = new Promise<number>((resolve) => mute.on('close', (code) => resolve(code)));
    const pinged = new Promise<void>((resolve) => mute.once('ping', () => resolve()));
    await pinged;
    // No pong to a ping: terminated at the next heartbeat (no close frame: 1006 on this side).
    expect(await muteClosed).toBe(1006);
    await waitFor(() => idle.closed.code, 10_000);
    expect(idle.closed).toEqual({ code: 4000, reason: expect.stringMatching(/no symbol/) });
  });

  test('When an SSE client reconnects with Last-Event-ID, then it gets the ticks it missed from the replay buffer, or a snapshot past it', async () => {
    const seen = await publish(['BTC']);
    const missed = [await publish(['BTC']), await publish(['BTC'])];
    const resumed = await openSse(`${b}/api/v1/cryptocurrencies/stream?symbols=BTC`, {
      'Last-Event-ID': String(seen),
    });
    try {
      await resumed.next((e) => e.id === String(missed[1]));
      expect(resumed.events.map((e) => [e.event, Number(e.id)])).toEqual([
        ['tick', missed[0]],
        ['tick', missed[1]],
      ]);
    } finally {
      resumed.close();
    }
    // Older than the buffer (REPLAY batches): the snapshot instead.
    for (let i = 0; i < REPLAY + 1; i += 1) await publish(['BTC']);
    const stale = await openSse(`${a}/api/v1/cryptocurrencies/stream?symbols=BTC&last_event_id=${seen}`);
    try {
      const first = await stale.next(() => true);
      expect([first.event, Number(first.id)]).toEqual(['snapshot', seq]);
    } finally {
      stale.close();
    }
  });

  test('When a client opens more streams than its cap over both processes, or a process holds its cap, then it is refused with a reason', async () => {
    const open = [
      await openSse(`${a}/api/v1/cryptocurrencies/stream?symbols=BTC`),
      await openSse(`${b}/api/v1/cryptocurrencies/stream?symbols=BTC`),
    ];
    const ws = await openWs(wsUrl(a, '?symbols=BTC'));
    try {
      await ws.next((m) => m.type === 'snapshot');
      // Per client (3, over every replica).
      const refused = await openSse(`${a}/api/v1/cryptocurrencies/stream?symbols=BTC`);
      expect(refused.response.status).toBe(429);
      expect(await refused.response.json()).toMatchObject({ status: 429, scope: 'client', max_streams: 3 });
      const refusedWs = await openWs(wsUrl(b, '?symbols=BTC'));
      await waitFor(() => refusedWs.closed.code);
      expect(refusedWs.closed).toEqual({ code: 1013, reason: expect.stringMatching(/per client/) });
    } finally {
      for (const stream of open) stream.close();
      ws.socket.close();
    }
    // Per replica (B holds 2, below this client's 3).
    await streamsDrained();
    const onB = [
      await openSse(`${b}/api/v1/cryptocurrencies/stream?symbols=BTC`),
      await openSse(`${b}/api/v1/cryptocurrencies/stream?symbols=BTC`),
    ];
    try {
      expect(onB.map((s) => s.response.status)).toEqual([200, 200]);
      const third = await openSse(`${b}/api/v1/cryptocurrencies/stream?symbols=BTC`);
      expect(third.response.status).toBe(429);
      expect(await third.response.json()).toMatchObject({ scope: 'replica', max_streams: 2 });
    } finally {
      for (const stream of onB) stream.close();
    }
  });

  test('When a reader stops reading, then it gets the latest price per symbol when it reads again, never a backlog', async () => {
    await streamsDrained();
    const symbols = Array.from({ length: 100 }, (_, i) => `C${String(i).padStart(3, '0')}`);
    const { port } = new URL(a);
    const socket = net.connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      `GET /api/v1/cryptocurrencies/stream?symbols=${symbols.join(',')} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n`,
    );
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    await waitFor(() => text.includes('event: snapshot')).catch((error) => {
      throw new Error(`no snapshot: ${text.slice(0, 500)}`, { cause: error });
    });
    socket.pause();
    // 1,200 × 100 ticks (≈ 14 MB of events): far more than the sockets' buffers hold.
    const BATCHES = 1200;
    let last = 0;
    for (let i = 0; i < BATCHES; i += 1) last = await publish(symbols, 50 + i);
    await new Promise((resolve) => setTimeout(resolve, 500));
    socket.resume();
    const lastId = `id: ${last}\n`;
    await waitFor(
      () => symbols.every((symbol) => text.includes(`${lastId}event: tick\ndata: {"symbol":"${symbol}"`)),
      30_000,
    ).catch((error) => {
      throw new Error(`not every symbol ended on ${last}: …${text.slice(-800)}`, { cause: error });
    });
    socket.destroy();
    const received = text.split('event: tick\n').length - 1;
    // Every symbol ends on the last price; most of the 120,000 ticks were conflated away.
    expect(received).toBeLessThan((BATCHES * symbols.length) / 2);
    expect(text).toContain(`"price":${50 + BATCHES - 1}`);
    const exported = await (await fetch(`${a}/metrics`)).text();
    const conflated = Number(/^market_stream_conflated_ticks_total (\d+)/m.exec(exported)?.[1] ?? 0);
    expect(conflated).toBeGreaterThan(0);
  });

  test('When a WebSocket keeps subscribing to new symbols, then its set stops at the cap with an error', async () => {
    await streamsDrained();
    const ws = await openWs(wsUrl(a, '?symbols=BTC'));
    try {
      const batch = (from: number) => Array.from({ length: 60 }, (_, i) => `S${from + i}`);
      ws.socket.send(JSON.stringify({ type: 'subscribe', symbols: batch(0) }));
      await ws.next((m) => m.type === 'subscribed' && (m.symbols as string[]).length === 61);
      ws.socket.send(JSON.stringify({ type: 'subscribe', symbols: batch(60) }));
      const refused = await ws.next((m) => m.type === 'error');
      expect(refused.detail).toMatch(/At most 100 symbols/);
      ws.socket.send(JSON.stringify({ type: 'unsubscribe', symbols: batch(0) }));
      await ws.next((m) => m.type === 'subscribed' && (m.symbols as string[]).length === 1);
      ws.socket.send(JSON.stringify({ type: 'subscribe', symbols: batch(60) }));
      await ws.next((m) => m.type === 'subscribed' && (m.symbols as string[]).length === 61);
    } finally {
      ws.socket.close();
    }
  });

  test('When a process shuts down, then its SSE and WebSocket streams end telling clients to reconnect', async () => {
    await streamsDrained();
    const sse = await openSse(`${b}/api/v1/cryptocurrencies/stream?symbols=BTC`);
    const ws = await openWs(wsUrl(b, '?symbols=BTC'));
    await sse.next((e) => e.event === 'snapshot');
    await ws.next((m) => m.type === 'snapshot');
    children[1]!.process.kill('SIGTERM');
    const end = await sse.next((e) => e.event === 'end');
    expect(JSON.parse(end.data)).toMatchObject({ reconnect: true });
    await waitFor(() => sse.ended());
    await waitFor(() => ws.closed.code);
    expect(ws.closed.code).toBe(1012);
    expect(ws.closed.reason).toMatch(/reconnect/);
  });

  // Last: the worker's ticks carry real slot numbers, far above the ones the tests above published.
  test('When the worker ticks, then its ticks reach a stream and the listing shows the same price', async () => {
    const workerPort = await freePort();
    const worker = startProcess('worker/main.ts', {
      DATABASE_URL: database.url,
      REDIS_URL: config.REDIS_URL,
      CACHE_REDIS_URL: config.CACHE_REDIS_URL ?? config.REDIS_URL,
      REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX,
      QUEUE_PREFIX: config.QUEUE_PREFIX,
      HOST: '127.0.0.1',
      WORKER_PORT: String(workerPort),
      LOG_LEVEL: 'warn',
      TICK_INTERVAL_SECONDS: '1',
    });
    children.push(worker);
    await waitForStatus(`http://127.0.0.1:${workerPort}/readyz`);
    const sse = await openSse(`${a}/api/v1/cryptocurrencies/stream?symbols=BTC`);
    try {
      const first = await sse.next((e) => e.event === 'tick' && Number(e.id) > 1e9);
      const next = await sse.next((e) => e.event === 'tick' && Number(e.id) > Number(first.id));
      const [t1, t2] = [JSON.parse(first.data) as TTick, JSON.parse(next.data) as TTick];
      // A loaded machine can miss a one-second slot (the documented gap in seq), never go back.
      expect(t2.seq).toBeGreaterThan(t1.seq);
      expect(t2.seq - t1.seq).toBeLessThan(30);
      expect(t2.at).toBe(new Date(t2.seq * 1000).toISOString());
      expect(t1.price).toBeGreaterThan(0);
      // The listing agrees with the stream (each slot writes the price before publishing it).
      const [row] = (await database.db.query(
        `SELECT current_price::float8 AS price, last_updated FROM cryptocurrencies WHERE symbol = 'BTC'`,
      )) as { price: number; last_updated: Date }[];
      const sent = sse.events
        .map((e) => JSON.parse(e.data) as TTick)
        .filter((t) => t.at === row!.last_updated.toISOString());
      expect(sent.length === 0 || sent[0]!.price === row!.price).toBe(true);
      const listed = (await (await fetch(`${a}/api/v1/cryptocurrencies/BTC`)).json()) as {
        last_updated: string;
      };
      expect(new Date(listed.last_updated).getTime()).toBeGreaterThanOrEqual(new Date(t1.at).getTime());
    } finally {
      sse.close();
    }
  });
});
