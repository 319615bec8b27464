// The live-market rows of docs/benchmarks.md (issue #24): N idle WebSocket connections held by one API
// process (memory per connection from its RSS), and the time from publishing a tick on Redis to the last
// of the N clients receiving it (p50/p99 over repeated ticks), against a bare node:http + ws server that
// forwards the same Redis messages to every socket (scripts/bench/bare-ws-server.ts), in the same run.
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import WebSocket from 'ws';
import { publishTicks, tickKeys } from '../../core/market/index.ts';

type TServer = { url: string; pid: number; stop: () => Promise<void> };
type TDeps = {
  redis: Redis;
  keyPrefix: string;
  log: (text: string) => void;
  quick: boolean;
  /** The API (production mode) with these extra variables. */
  startApi: (extra: Record<string, string>) => Promise<TServer>;
  /** The bare fan-out server subscribed to `channel`. */
  startBare: (channel: string) => Promise<TServer>;
};

const fmt = (value: number, digits = 1) => value.toFixed(digits);
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const rssKiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens `count` WebSockets to `url`, 250 at a time; each counts the tick frames it receives. */
async function connect(url: string, count: number, ready: (socket: WebSocket) => Promise<void>) {
  const sockets: WebSocket[] = [];
  for (let start = 0; start < count; start += 250) {
    const batch = Array.from({ length: Math.min(250, count - start) }, async () => {
      const socket = new WebSocket(url, { perMessageDeflate: false });
      await ready(socket);
      sockets.push(socket);
    });
    await Promise.all(batch);
  }
  return sockets;
}

async function measure(server: TServer, deps: TDeps, count: number, rounds: number, api: boolean) {
  const before = rssKiB(server.pid);
  let received = 0;
  let done: (() => void) | null = null;
  const onTick = () => {
    received += 1;
    if (received === count) done?.();
  };
  const path = api ? '/api/v1/ws?symbols=BTC' : '/';
  const sockets = await connect(
    `${server.url.replace('http', 'ws')}${path}`,
    count,
    (socket) =>
      new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        // The API confirms the subscription first (then sends the snapshot); the bare server has nothing to confirm.
        if (api)
          socket.on('message', (data: Buffer) => {
            if (data.includes('"type":"ticks"')) onTick();
            else if (data.includes('"type":"subscribed"')) resolve();
          });
        else {
          socket.on('message', onTick);
          socket.once('open', () => resolve());
        }
      }),
  );
  await sleep(2000);
  const after = rssKiB(server.pid);
  const latencies: number[] = [];
  let seq = Math.floor(Date.now() / 1000) * 10;
  for (let round = 0; round < rounds; round += 1) {
    seq += 1;
    received = 0;
    const all = new Promise<void>((resolve) => (done = resolve));
    const at = new Date().toISOString();
    const started = performance.now();
    await publishTicks(deps.redis, deps.keyPrefix, 5, {
      seq,
      at,
      ticks: [{ symbol: 'BTC', price: 40_000 + round, change_24h: 1, volume_24h: 1e9, at, seq }],
    });
    await Promise.race([all, sleep(30_000)]);
    latencies.push(performance.now() - started);
    await sleep(150);
  }
  for (const socket of sockets) socket.terminate();
  await sleep(1000);
  return {
    perConnectionKiB: (after - before) / count,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    complete: received === count,
  };
}

export async function liveSection(deps: TDeps): Promise<string[]> {
  const rounds = deps.quick ? 10 : 50;
  const rows: string[] = [];
  for (const count of [1000, 10_000]) {
    const api = await deps.startApi({
      MARKET_STREAMS_PER_CLIENT: '100000',
      MARKET_STREAMS_PER_REPLICA: '20000',
      TICKER_ENABLED: 'false',
    });
    const ours = await measure(api, deps, count, rounds, true);
    await api.stop();
    const bare = await deps.startBare(tickKeys(deps.keyPrefix).channel);
    const base = await measure(bare, deps, count, rounds, false);
    await bare.stop();
    deps.log(`live ${count}: api ${JSON.stringify(ours)} bare ${JSON.stringify(base)}`);
    for (const [name, m] of [
      ['API (`GET /api/v1/ws`)', ours],
      ['bare `ws` fan-out', base],
    ] as const) {
      rows.push(
        `| ${name} | ${count.toLocaleString('en-US')} | ${fmt(m.perConnectionKiB)} | ${fmt(m.p50)} | ${fmt(m.p99)} | ${m === ours ? `${fmt(ours.p99 / Math.max(base.p99, 0.01), 2)}×` : '—'} |`,
      );
    }
  }
  return [
    '## Live market: stream connections and fan-out',
    '',
    'N WebSocket clients (in the benchmark process) subscribed to BTC on one API process; a tick published on Redis',
    `as the worker's ticker publishes it (\`publishTicks\`); the time until the last of the N clients has it, over ${rounds}`,
    "ticks 150 ms apart. Memory per connection is the growth of the server's RSS with N idle connections open (no",
    'forced GC). The baseline is a bare node:http + `ws` server subscribed to the same channel that sends each message',
    'to every socket (`scripts/bench/bare-ws-server.ts`), measured the same way in the same run.',
    '',
    '| server | connections | RSS per connection (KiB) | publish → last client p50 (ms) | p99 (ms) | p99 vs bare |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows,
    '',
  ];
}
