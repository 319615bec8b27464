// Baseline for the read-path benchmark: a bare node:http server that returns fixed bytes (with
// BENCH_ENCODING=br, the same compressed bytes the API sends, labelled as the API labels them).
import { readFileSync } from 'node:fs';
import http from 'node:http';

const body = readFileSync(process.env.BENCH_BODY_FILE ?? '/dev/null');
const encoding = process.env.BENCH_ENCODING;
const headers = {
  'content-type': 'application/json; charset=utf-8',
  'content-length': body.length,
  ...(encoding ? { 'content-encoding': encoding, vary: 'Accept-Encoding' } : {}),
};
const server = http.createServer((_req, res) => {
  res.writeHead(200, headers);
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
