import { createServer, type IncomingHttpHeaders, type RequestListener, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export type TReceived = { path: string; host: string; headers: IncomingHttpHeaders; body: string };

/**
 * A local webhook receiver (http, or https with the given certificate), on 127.0.0.1 or ::1: it records
 * every request and answers 200, except on `/trickle`, where it sends its headers and then one byte
 * every 200 ms for as long as the client listens, never silent long enough for an idle timeout.
 */
export class WebhookReceiver {
  received: TReceived[] = [];
  port = 0;
  private server!: Server;
  private readonly host: string;
  private readonly tls: { cert: string; key: string } | undefined;

  constructor(options: { host?: string; tls?: { cert: string; key: string } } = {}) {
    this.host = options.host ?? '127.0.0.1';
    this.tls = options.tls;
  }

  async start(): Promise<this> {
    const listener: RequestListener = (req, res) => {
      if (req.url === '/trickle') {
        res.writeHead(200);
        const timer = setInterval(() => res.write('.'), 200);
        res.on('close', () => clearInterval(timer));
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.received.push({
          path: req.url ?? '',
          host: req.headers.host ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        res.end('ok');
      });
    };
    this.server = this.tls ? createTlsServer(this.tls, listener) : createServer(listener);
    await new Promise<void>((resolve) => this.server.listen(0, this.host, resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Waits until `count` requests reached `path`. */
  async waitFor(path: string, count = 1, timeoutMs = 15_000): Promise<TReceived[]> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const hits = this.received.filter((entry) => entry.path === path);
      if (hits.length >= count) return hits;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(
      `${path}: ${this.received.filter((entry) => entry.path === path).length} of ${count} arrived`,
    );
  }
}
