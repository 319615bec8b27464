import net from 'node:net';

export type TTcpProxy = {
  port: number;
  /** Drops every open connection and refuses new ones (the dependency "goes down"). */
  cut: () => void;
  /** Accepts and forwards again. */
  restore: () => void;
  /** Delays every chunk forwarded to the upstream by `ms`. */
  setLatency: (ms: number) => void;
  close: () => Promise<void>;
};

/** A loopback TCP proxy in front of a real PostgreSQL or Redis, to take it away and bring it back. */
export async function startTcpProxy(upstreamPort: number, upstreamHost = '127.0.0.1'): Promise<TTcpProxy> {
  let down = false;
  let latency = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = net.connect(upstreamPort, upstreamHost);
    sockets.add(client).add(upstream);
    client.on('data', (chunk) => {
      if (latency) setTimeout(() => upstream.write(chunk), latency);
      else upstream.write(chunk);
    });
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    cut: () => {
      down = true;
      for (const socket of sockets) socket.destroy();
    },
    restore: () => {
      down = false;
    },
    setLatency: (ms) => {
      latency = ms;
    },
    close: async () => {
      down = true;
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
