// Baseline for the read-path benchmark: a bare node:http server that returns fixed bytes.
import { readFileSync } from 'node:fs';
import http from 'node:http';

const body = readFileSync(process.env.BENCH_BODY_FILE ?? '/dev/null');
const server = http.createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
