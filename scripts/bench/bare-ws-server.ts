// Baseline for the live-market benchmark: a bare node:http + ws server that subscribes to the tick
// channel and sends every message, as it is, to every connected WebSocket. No caps, no conflation, no
// per-symbol routing, no authentication: the least a fan-out over Redis pub/sub can do.
import http from 'node:http';
import { Redis } from 'ioredis';
import { WebSocketServer } from 'ws';

const server = http.createServer((_req, res) => res.end('ready\n'));
const sockets = new WebSocketServer({ server });
const subscriber = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
subscriber.on('message', (_channel: string, message: string) => {
  for (const client of sockets.clients) client.send(message);
});
await subscriber.subscribe(process.env.CHANNEL ?? 'market:ticks');
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => {
  subscriber.disconnect();
  for (const client of sockets.clients) client.terminate();
  server.close(() => process.exit(0));
});
