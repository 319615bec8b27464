import type { TTick } from '../../../core/market/index.ts';

// What the live hub (live-hub.ts) needs of one open stream, and what it gives the transport that opened it.

export type TTransport = 'sse' | 'ws';

export type TLiveFrameKind = 'snapshot' | 'ticks';

/** What the hub needs of one open stream (SSE response or WebSocket); the transport writes the bytes. */
export type TLiveSink = {
  transport: TTransport;
  /**
   * The bytes of a frame. Pure: every sink of a transport encodes the same ticks to the same bytes, so
   * the hub encodes a batch once per transport and hands the one Buffer to every stream it goes to.
   */
  encode(kind: TLiveFrameKind, ticks: TTick[]): Buffer;
  /** Writes a frame from `encode`; calls `flushed` once it left this process (the socket took it). */
  write(frame: Buffer, flushed: () => void): void;
  /** A keep-alive (SSE comment, WebSocket ping); returns false when the peer missed the last one. */
  heartbeat(): boolean;
  /** Ends the stream: `reason` tells the client why (and, on shutdown, to reconnect). */
  end(code: 'shutdown' | 'idle' | 'heartbeat', reason: string): void;
};

export type TLiveClient = {
  readonly symbols: ReadonlySet<string>;
  /** Adds symbols (their latest ticks are sent first); returns the symbols now subscribed. */
  subscribe(symbols: readonly string[]): Promise<string[]>;
  unsubscribe(symbols: readonly string[]): string[];
  /** Sends the snapshot, or with `afterSeq` the ticks after it from the replay list (the snapshot when it no longer reaches back). */
  start(afterSeq?: number): Promise<void>;
  close(): void;
};

export class LiveCapError extends Error {
  readonly scope: 'client' | 'replica';
  readonly max: number;
  constructor(scope: 'client' | 'replica', max: number) {
    super(
      scope === 'client'
        ? `At most ${max} market streams may be open per client; close one first.`
        : `This server holds its maximum of ${max} market streams; retry shortly (another replica may take it).`,
    );
    this.scope = scope;
    this.max = max;
  }
}
