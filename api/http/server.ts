import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Express } from 'express';
import { PROBLEM_CONTENT_TYPE, problemType } from './problem.ts';

/** Node refuses a request line plus headers above this size (its default) before Express sees it. */
export const MAX_HEADER_BYTES = 16 * 1024;

type TClientError = Error & { code?: string; rawPacket?: Buffer };

const REQUEST_LINE = /^[A-Z]{3,10} (\S+)/;

/**
 * Errors Node's HTTP parser meets before a request reaches Express (header block over
 * MAX_HEADER_BYTES, malformed request line, header timeout) get the same problem+json body as
 * everything else, instead of Node's bare status line: 414 when the request line alone is over the
 * limit, 431 for the header block, 408 for a timeout, 400 otherwise.
 */
function answerClientError(error: TClientError, socket: Duplex): void {
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const raw = error.rawPacket?.toString('latin1') ?? '';
  const lineEnd = raw.indexOf('\r\n');
  const requestLine = REQUEST_LINE.exec(raw);
  let status = 400;
  let code = 'validation_failed';
  let title = 'Bad Request';
  let detail = 'The request could not be parsed as HTTP/1.1.';
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    const urlTooLong = requestLine !== null && (lineEnd === -1 || lineEnd > MAX_HEADER_BYTES / 2);
    [status, code, title, detail] = urlTooLong
      ? [
          414,
          'uri_too_long',
          'URI Too Long',
          `The URL is longer than the server accepts (${MAX_HEADER_BYTES / 1024} KiB with the headers).`,
        ]
      : [
          431,
          'headers_too_large',
          'Request Header Fields Too Large',
          `The request's headers are larger than the server accepts (${MAX_HEADER_BYTES / 1024} KiB).`,
        ];
  } else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    [status, code, title, detail] = [
      408,
      'request_timeout',
      'Request Timeout',
      'The request was not received in time.',
    ];
  }
  const requestId = randomUUID();
  const body = JSON.stringify({
    type: problemType(code),
    title,
    status,
    detail,
    instance: (requestLine?.[1] ?? '/').slice(0, 200),
    request_id: requestId,
  });
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-Id: ${requestId}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** The API's HTTP server (not yet listening): timeouts for life behind a load balancer, problem+json for parser errors. */
export function createHttpServer(app: Express): http.Server {
  // Cached answers the chain has given once are replayed without it (replay.ts); the rest go to Express.
  const replay = app.locals.replay as
    ((req: http.IncomingMessage, res: http.ServerResponse) => boolean) | undefined;
  const server = http.createServer(
    { maxHeaderSize: MAX_HEADER_BYTES },
    replay ? (req, res) => void (replay(req, res) || app(req, res)) : app,
  );
  server.keepAliveTimeout = 65_000; // longer than typical load-balancer idle timeouts, to avoid reset races
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;
  server.on('clientError', answerClientError);
  // WebSocket endpoints (the live market): the app says who takes an upgrade; without one, none is accepted.
  const upgrade = app.locals.upgrade as
    ((req: http.IncomingMessage, socket: Duplex, head: Buffer) => unknown) | undefined;
  server.on('upgrade', (req, socket, head) => (upgrade ? void upgrade(req, socket, head) : socket.destroy()));
  return server;
}
