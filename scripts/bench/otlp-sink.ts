// The tracing benchmark's span receiver: answers every OTLP/HTTP export 200 and drops it, so the figures
// are the API's own cost of tracing (span work, encoding, sending), not a backend's. Counts what it got.
import http from 'node:http';

let exports = 0;
let bytes = 0;
const server = http.createServer((req, res) => {
  req.on('data', (chunk: Buffer) => (bytes += chunk.length));
  req.on('end', () => {
    if (req.url === '/v1/traces') exports += 1;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(req.url === '/stats' ? JSON.stringify({ exports, bytes }) : '{}');
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
