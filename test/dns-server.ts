import { createSocket, type RemoteInfo } from 'node:dgram';
import { isIP } from 'node:net';

/**
 * A tiny authoritative DNS server on loopback (UDP): it answers A and AAAA queries from `records`, which
 * a test changes at will (a name resolving to one address at registration and another at delivery),
 * NXDOMAIN for names it does not know. The code under test resolves through it with its real resolver.
 */
export type TDnsServer = {
  /** `127.0.0.1:<port>`, for WEBHOOK_DNS_SERVERS. */
  address: string;
  records: Map<string, string[]>;
  close: () => Promise<void>;
};

const TYPE_A = 1;
const TYPE_AAAA = 28;

function questionOf(query: Buffer): { name: string; type: number; end: number } {
  const labels: string[] = [];
  let offset = 12;
  while (query[offset]! > 0) {
    const length = query[offset]!;
    labels.push(query.subarray(offset + 1, offset + 1 + length).toString('ascii'));
    offset += length + 1;
  }
  return { name: labels.join('.').toLowerCase(), type: query.readUInt16BE(offset + 1), end: offset + 5 };
}

function ipv6Bytes(address: string): Buffer {
  const [head, tail = ''] = address.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const missing = 8 - groups(head!).length - groups(tail).length;
  const all = address.includes('::')
    ? [...groups(head!), ...Array<string>(missing).fill('0'), ...groups(tail)]
    : groups(address);
  return Buffer.from(all.flatMap((group) => [parseInt(group, 16) >> 8, parseInt(group, 16) & 0xff]));
}

function answer(query: Buffer, records: Map<string, string[]>): Buffer {
  const { name, type, end } = questionOf(query);
  const known = records.get(name);
  const family = type === TYPE_A ? 4 : type === TYPE_AAAA ? 6 : 0;
  const matching = (known ?? []).filter((address) => isIP(address) === family);
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // the query's id
  header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100) | (known ? 0 : 3), 2); // QR AA (RD) rcode
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(matching.length, 6);
  const rows = matching.map((address) => {
    const data = family === 4 ? Buffer.from(address.split('.').map(Number)) : ipv6Bytes(address);
    const row = Buffer.alloc(12);
    row.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    row.writeUInt16BE(type, 2);
    row.writeUInt16BE(1, 4); // IN
    row.writeUInt32BE(0, 6); // TTL 0: no resolver may keep an answer across a test's change
    row.writeUInt16BE(data.length, 10);
    return Buffer.concat([row, data]);
  });
  return Buffer.concat([header, query.subarray(12, end), ...rows]);
}

export async function startDnsServer(records: Record<string, string[]> = {}): Promise<TDnsServer> {
  const socket = createSocket('udp4');
  const table = new Map(Object.entries(records));
  socket.on('message', (query: Buffer, peer: RemoteInfo) => {
    try {
      socket.send(answer(query, table), peer.port, peer.address);
    } catch {
      // a malformed query gets no answer, as from a real server
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    records: table,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}
