import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';

/**
 * Outbound safety for webhook deliveries: only http(s) URLs (https only when required), the host's
 * addresses resolved once and checked against private, loopback, link-local and other special ranges
 * (unless allowed), the connection pinned to the checked address (no DNS rebinding between check and
 * connect), no redirects followed, a timeout and a cap on the response read.
 */
const SPECIAL = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  SPECIAL.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const)
  SPECIAL.addSubnet(network, prefix, 'ipv6');

export class TargetRefused extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

export type TTargetPolicy = { allowPrivate: boolean; requireHttps: boolean };

function isSpecial(address: string): boolean {
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is checked as the IPv4 address it carries.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return SPECIAL.check(mapped[1]!, 'ipv4');
  return SPECIAL.check(address, family);
}

/** Checks the URL's form alone (when an endpoint is registered): scheme, credentials, a host. */
export function checkUrl(raw: string, policy: TTargetPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TargetRefused('invalid_url', 'not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new TargetRefused('scheme', 'only http and https URLs can receive webhooks');
  if (policy.requireHttps && url.protocol !== 'https:')
    throw new TargetRefused('scheme', 'webhook URLs must use https');
  if (url.username || url.password)
    throw new TargetRefused('credentials', 'URLs with credentials are refused');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && !policy.allowPrivate && isSpecial(host))
    throw new TargetRefused('private_address', `${host} is a private, loopback or link-local address`);
  return url;
}

/** Resolves the host and returns the address to connect to, refusing special ranges unless allowed. */
export async function resolveTarget(
  url: URL,
  policy: TTargetPolicy,
): Promise<{ address: string; family: 4 | 6 }> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host)
    ? [{ address: host, family: isIP(host) as 4 | 6 }]
    : await lookup(host, { all: true, verbatim: true }).catch(() => {
        throw new TargetRefused('dns', `${host} does not resolve`);
      });
  if (!addresses.length) throw new TargetRefused('dns', `${host} does not resolve`);
  // Every address must pass: a name resolving to one public and one private address is refused.
  if (!policy.allowPrivate) {
    const bad = addresses.find((entry) => isSpecial(entry.address));
    if (bad)
      throw new TargetRefused(
        'private_address',
        `${host} resolves to ${bad.address}, a private or special address`,
      );
  }
  return { address: addresses[0]!.address, family: addresses[0]!.family as 4 | 6 };
}

export type TPostResult = { status: number; body: string; retryAfter: string | null; latencyMs: number };

/** POSTs `body` to `url` at the checked address; never follows a redirect; reads at most `maxBytes`. */
export async function post(
  url: URL,
  target: { address: string; family: 4 | 6 },
  headers: Record<string, string>,
  body: string,
  options: { timeoutMs: number; maxBytes: number },
): Promise<TPostResult> {
  const started = performance.now();
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        timeout: options.timeoutMs,
        lookup: (_host, _options, callback) => callback(null, target.address, target.family),
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
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8').slice(0, 1000),
            retryAfter: (response.headers['retry-after'] as string | undefined) ?? null,
            latencyMs: Math.round(performance.now() - started),
          });
        response.on('end', done);
        response.on('close', done);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    request.on('error', reject);
    request.end(body);
  });
}
