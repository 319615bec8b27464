import { lookup } from 'node:dns/promises';
import { Resolver } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Which webhook targets may be reached: only http(s) URLs (https only when required), without
 * credentials, whose host resolves to addresses outside private, loopback, link-local and other special
 * ranges (unless allowed). Every address is checked; the delivery then connects to those checked
 * addresses only, so a name cannot be re-resolved to another address between the check and the connect.
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
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  SPECIAL.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  // IPv4-compatible addresses, the unspecified address and loopback (::1) all lie in ::/96.
  ['::', 96],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  // Teredo and 6to4 tunnel to IPv4 addresses of their own choosing.
  ['2001::', 32],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
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
export type TAddress = { address: string; family: 4 | 6 };
/** Every address of a host name, in the order to try them. */
export type TResolve = (host: string) => Promise<TAddress[]>;

export function isSpecial(address: string): boolean {
  // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is checked as the IPv4 address it carries.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return SPECIAL.check(mapped[1]!, 'ipv4');
  return SPECIAL.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

export const hostOf = (url: URL): string => url.hostname.replace(/^\[|\]$/g, '');

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
  const host = hostOf(url);
  if (isIP(host) && !policy.allowPrivate && isSpecial(host))
    throw new TargetRefused('private_address', `${host} is a private, loopback or otherwise special address`);
  return url;
}

/** The system resolver (getaddrinfo: /etc/hosts, then DNS), in the order it answers. */
export const systemResolve: TResolve = async (host) =>
  (await lookup(host, { all: true, order: 'verbatim' })).map((entry) => ({
    address: entry.address,
    family: entry.family as 4 | 6,
  }));

/**
 * Resolution through the given DNS servers only (`host:port` or addresses): IPv4 addresses, then IPv6.
 * Pointing webhooks at a public resolver keeps cluster-internal names from resolving at all.
 */
export function dnsServersResolve(servers: readonly string[], timeoutMs = 5000): TResolve {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 2 });
  resolver.setServers([...servers]);
  const records = async (query: Promise<string[]>) => {
    try {
      return await query;
    } catch (error) {
      // A name with only A or only AAAA records answers "no data" for the other family.
      if ((error as { code?: string }).code === 'ENODATA') return [];
      throw error;
    }
  };
  return async (host) => {
    const [v4, v6] = await Promise.all([records(resolver.resolve4(host)), records(resolver.resolve6(host))]);
    return [
      ...v4.map((address) => ({ address, family: 4 as const })),
      ...v6.map((address) => ({ address, family: 6 as const })),
    ];
  };
}

// One answer for a name that does not resolve and for one that resolves where it may not go: telling
// them apart (or naming the address) would let anyone map internal names through our resolver.
const refusedName = (host: string) =>
  new TargetRefused('target_refused', `${host} is refused as a webhook target`);

/**
 * The addresses to connect to: an address literal as it is, a name's every address, each checked
 * (unless private targets are allowed). A name with any refused address is refused whole.
 */
export async function resolveTarget(url: URL, policy: TTargetPolicy, resolve: TResolve): Promise<TAddress[]> {
  const host = hostOf(url);
  if (isIP(host)) {
    if (!policy.allowPrivate && isSpecial(host))
      throw new TargetRefused(
        'private_address',
        `${host} is a private, loopback or otherwise special address`,
      );
    return [{ address: host, family: isIP(host) as 4 | 6 }];
  }
  const addresses = await resolve(host).catch(() => {
    throw refusedName(host);
  });
  if (!addresses.length) throw refusedName(host);
  if (!policy.allowPrivate && addresses.some((entry) => isSpecial(entry.address))) throw refusedName(host);
  return addresses;
}
