import http from 'node:http';
import https from 'node:https';
import net, { type Socket } from 'node:net';
import tls, { type SecureContext } from 'node:tls';
import {
  checkUrl,
  hostOf,
  resolveTarget,
  type TAddress,
  type TResolve,
  type TTargetPolicy,
} from './targets.ts';

/**
 * One webhook POST: the URL checked, its host resolved and checked, then a connection to the checked
 * addresses only, in turn until one accepts (as browsers do); TLS verified against the host NAME (SNI
 * and certificate check) with the trusted CAs; no redirect followed; the answer read up to a cap.
 * Two clocks bound it: `timeoutMs` of silence (also per connection attempt), and `deadlineMs` for
 * the whole attempt from resolution to the last byte, whatever the receiver trickles.
 */
export type TOutboundOptions = {
  timeoutMs: number;
  deadlineMs: number;
  maxBytes: number;
  /** Trusted CAs for https receivers; undefined: Node's default store. */
  secureContext?: SecureContext;
};

export type TPostResult = { status: number; body: string; retryAfter: string | null; latencyMs: number };

export class DeadlineExceeded extends Error {
  constructor(ms: number) {
    super(`no complete answer within the deadline of ${ms} ms`);
  }
}

/**
 * Trusted CAs for webhook receivers: Node's default store (its bundled roots, NODE_EXTRA_CA_CERTS and,
 * with --use-system-ca, the system's) plus the given PEM certificates, such as a company's private CA.
 */
export function createWebhookTrust(extraCaPems: readonly string[]): SecureContext | undefined {
  if (!extraCaPems.length) return undefined;
  return tls.createSecureContext({ ca: [...tls.getCACertificates('default'), ...extraCaPems] });
}

/** Connects to each address in turn; the first that accepts carries the request (wrapped in TLS for https). */
function connectInTurn(
  url: URL,
  addresses: readonly TAddress[],
  options: TOutboundOptions,
  signal: AbortSignal,
): (opts: unknown, callback: (error: Error | null, socket?: Socket) => void) => undefined {
  const secure = url.protocol === 'https:';
  const port = Number(url.port) || (secure ? 443 : 80);
  const host = hostOf(url);
  return (_opts, callback) => {
    const failures: string[] = [];
    const attempt = (index: number) => {
      if (signal.aborted) return callback(signal.reason as Error);
      const target = addresses[index];
      if (!target) return callback(new Error(`could not connect: ${failures.join('; ')}`));
      const socket = net.connect({ host: target.address, port, family: target.family });
      socket.setTimeout(options.timeoutMs);
      const cleanUp = () => {
        socket.off('error', onError).off('timeout', onTimeout).setTimeout(0);
        signal.removeEventListener('abort', onAbort);
      };
      const giveUp = (message: string) => {
        cleanUp();
        socket.destroy();
        failures.push(message);
        attempt(index + 1);
      };
      const onError = (error: Error) => giveUp(error.message);
      const onTimeout = () => giveUp(`${target.address}: no connection within ${options.timeoutMs} ms`);
      const onAbort = () => {
        cleanUp();
        socket.destroy();
        callback(signal.reason as Error);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('error', onError);
      socket.once('timeout', onTimeout);
      socket.once('connect', () => {
        cleanUp();
        if (!secure) return callback(null, socket);
        const wrapped = tls.connect({
          socket,
          // The certificate is checked against the name the user registered, never the address.
          host,
          ...(net.isIP(host) ? {} : { servername: host }),
          ...(options.secureContext ? { secureContext: options.secureContext } : {}),
        });
        // Destroying a TLS socket leaves the TCP socket it wraps open: close both together.
        wrapped.once('close', () => socket.destroy());
        callback(null, wrapped);
      });
    };
    attempt(0);
    return undefined;
  };
}

/** POSTs `body` to `url` at the checked `addresses`; never follows a redirect; reads at most `maxBytes`. */
export function post(
  url: URL,
  addresses: readonly TAddress[],
  headers: Record<string, string>,
  body: string,
  options: TOutboundOptions,
  signal: AbortSignal,
  started = performance.now(),
): Promise<TPostResult> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (finish: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      finish();
    };
    const request = client.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        createConnection: connectInTurn(url, addresses, options, signal) as never,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= options.maxBytes) chunks.push(chunk);
          else response.destroy();
        });
        const done = () =>
          settle(() =>
            resolve({
              status: response.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8').slice(0, 1000),
              retryAfter: (response.headers['retry-after'] as string | undefined) ?? null,
              latencyMs: Math.round(performance.now() - started),
            }),
          );
        response.on('end', done);
        response.on('close', done);
      },
    );
    const fail = (error: Error) => {
      settle(() => reject(error));
      request.destroy(error);
    };
    const onAbort = () => fail(signal.reason as Error);
    if (signal.aborted) return fail(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    // Without an agent nothing sets the socket's idle timeout from a `timeout` option: set it here.
    request.setTimeout(options.timeoutMs, () => fail(new Error(`no answer within ${options.timeoutMs} ms`)));
    request.on('error', (error) => settle(() => reject(error)));
    request.end(body);
  });
}

/** Checks, resolves and POSTs under one deadline (`deadlineMs`), whatever the receiver or the resolver does. */
export async function send(
  rawUrl: string,
  policy: TTargetPolicy,
  resolve: TResolve,
  headers: Record<string, string>,
  body: string,
  options: TOutboundOptions,
): Promise<TPostResult> {
  const started = performance.now();
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new DeadlineExceeded(options.deadlineMs)),
    options.deadlineMs,
  );
  try {
    const url = checkUrl(rawUrl, policy);
    const aborted = new Promise<never>((_, reject) =>
      deadline.signal.addEventListener('abort', () => reject(deadline.signal.reason as Error), {
        once: true,
      }),
    );
    aborted.catch(() => undefined);
    const addresses = await Promise.race([resolveTarget(url, policy, resolve), aborted]);
    return await post(url, addresses, headers, body, options, deadline.signal, started);
  } finally {
    clearTimeout(timer);
  }
}
