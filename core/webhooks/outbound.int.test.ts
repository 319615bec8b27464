import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createTestCa } from '../../test/tls-ca.ts';
import { createWebhookTrust, send, type TOutboundOptions } from './outbound.ts';
import { checkUrl, resolveTarget, systemResolve, TargetRefused, type TResolve } from './targets.ts';

const strict = { allowPrivate: false, requireHttps: false };
const open = { allowPrivate: true, requireHttps: false };
const fixed =
  (...addresses: string[]): TResolve =>
  async () =>
    addresses.map((address) => ({ address, family: (net.isIP(address) || 4) as 4 | 6 }));
const refusal = async (url: string, policy = strict, resolve: TResolve = systemResolve) => {
  try {
    await resolveTarget(checkUrl(url, policy), policy, resolve);
    return { reason: 'allowed', message: '' };
  } catch (error) {
    if (error instanceof TargetRefused) return { reason: error.reason, message: error.message };
    throw error;
  }
};

describe('Outbound targets', () => {
  test.each([
    ['http://127.0.0.1:8080/hook', 'private_address'],
    ['http://10.1.2.3/hook', 'private_address'],
    ['http://172.20.0.1/hook', 'private_address'],
    ['http://192.168.1.1/hook', 'private_address'],
    ['http://169.254.169.254/latest/meta-data', 'private_address'],
    ['http://100.64.0.1/', 'private_address'],
    ['http://0.0.0.0/', 'private_address'],
    ['http://[::1]/hook', 'private_address'],
    ['http://[fe80::1]/hook', 'private_address'],
    ['http://[fd00::1]/hook', 'private_address'],
    ['http://[::ffff:127.0.0.1]/hook', 'private_address'],
    ['http://localhost:9/hook', 'target_refused'],
    ['ftp://example.com/hook', 'scheme'],
    ['file:///etc/passwd', 'scheme'],
    ['http://user:secret@example.com/hook', 'credentials'],
    ['not a url', 'invalid_url'],
    ['http://no-such-host.invalid/hook', 'target_refused'],
  ])('When the target is %s, then it is refused (%s)', async (url, expected) => {
    expect((await refusal(url)).reason).toBe(expected);
  });

  test.each([
    ['::a00:1', 'IPv4-compatible (::/96)'],
    ['2002:a00:1::1', '6to4 (2002::/16)'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo (2001::/32)'],
    ['fec0::1', 'site-local (fec0::/10)'],
    ['64:ff9b:1::a00:1', 'local-use NAT64 (64:ff9b:1::/48)'],
    ['2001:db8::1', 'documentation (2001:db8::/32)'],
  ])('When the target is the IPv6 special address %s (%s), then it is refused', async (address) => {
    expect((await refusal(`http://[${address}]/hook`)).reason).toBe('private_address');
    expect((await refusal('http://name.test/hook', strict, fixed(address))).reason).toBe('target_refused');
    expect((await refusal('http://name.test/hook', strict, fixed('2606:4700::1111'))).reason).toBe('allowed');
  });

  test('When a name resolves to a private address or not at all, then the refusal is the same and names no address', async () => {
    const internal = await refusal('http://db.internal/hook', strict, fixed('93.184.215.14', '10.0.4.7'));
    const missing = await refusal('http://nothing.internal/hook', strict, async () => {
      throw Object.assign(new Error('queryA ENOTFOUND nothing.internal'), { code: 'ENOTFOUND' });
    });
    expect(internal).toEqual({
      reason: 'target_refused',
      message: 'db.internal is refused as a webhook target',
    });
    expect(missing).toEqual({
      reason: 'target_refused',
      message: 'nothing.internal is refused as a webhook target',
    });
  });

  test('When https is required (production), then an http URL is refused; public addresses pass the address check', async () => {
    expect((await refusal('http://93.184.215.14/', { allowPrivate: false, requireHttps: true })).reason).toBe(
      'scheme',
    );
    expect(
      (await refusal('https://93.184.215.14/', { allowPrivate: false, requireHttps: true })).reason,
    ).toBe('allowed');
  });

  test('When private targets are allowed (tests, in-cluster receivers), then loopback passes', async () => {
    expect((await refusal('http://127.0.0.1:8080/hook', open)).reason).toBe('allowed');
  });
});

/** Starts `server` on `host`, returning its port. */
async function listen(server: net.Server, host = '127.0.0.1'): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as AddressInfo).port;
}

describe('Posting', () => {
  const servers: net.Server[] = [];
  let port: number;
  let port6: number;
  let silentPort: number;
  let ca: Awaited<ReturnType<typeof createTestCa>>;
  let tlsPort: number;
  const options: TOutboundOptions = { timeoutMs: 1000, deadlineMs: 5000, maxBytes: 1000 };
  beforeAll(async () => {
    const handler: Parameters<typeof createServer>[1] = (req, res) => {
      req.resume();
      if (req.url === '/redirect') {
        res.writeHead(302, { location: '/elsewhere' }).end();
      } else if (req.url === '/huge') {
        res.writeHead(200);
        res.end('x'.repeat(1_000_000));
      } else if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 2000);
      } else if (req.url === '/trickle') {
        // Headers at once, then a byte every 100 ms forever: never silent long enough for the idle timeout.
        res.writeHead(200);
        const timer = setInterval(() => res.write('.'), 100);
        res.on('close', () => clearInterval(timer));
      } else if (req.url === '/busy') {
        res.writeHead(503, { 'retry-after': '7' }).end('busy');
      } else {
        req.on('end', () => res.end(`${req.socket.localAddress} ${req.headers.host}`));
      }
    };
    const v4 = createServer(handler);
    const v6 = createServer(handler);
    // Accepts connections, reads, and never says a word: a TLS handshake against it never finishes.
    const silent = net.createServer((socket) => socket.resume());
    ca = await createTestCa();
    const secure = createTlsServer(await ca.issue({ dns: ['localhost'] }), handler);
    servers.push(v4, v6, silent, secure);
    port = await listen(v4);
    port6 = await listen(v6, '::1');
    silentPort = await listen(silent);
    tlsPort = await listen(secure);
  });
  afterAll(async () => {
    for (const server of servers) {
      (server as Server).closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
    }
  });
  const post = (url: string, extra: Partial<TOutboundOptions> = {}, resolve: TResolve = systemResolve) =>
    send(url, open, resolve, { 'content-type': 'application/json' }, '{}', { ...options, ...extra });

  test('When the receiver is named (localhost), then the request reaches it through the resolved address with the name as Host', async () => {
    expect(await post(`http://localhost:${port}/hook`)).toMatchObject({
      status: 200,
      body: `127.0.0.1 localhost:${port}`,
    });
  });

  test('When the receiver is an IPv4 or IPv6 literal, then the request goes straight to it', async () => {
    expect((await post(`http://127.0.0.1:${port}/hook`)).body).toBe(`127.0.0.1 127.0.0.1:${port}`);
    expect((await post(`http://[::1]:${port6}/hook`)).body).toBe(`::1 [::1]:${port6}`);
  });

  test('When a name has several addresses and the first ones refuse, then the next checked address is tried', async () => {
    const answer = await post(`http://multi.test:${port}/hook`, {}, fixed('127.0.0.2', '::1', '127.0.0.1'));
    expect(answer).toMatchObject({ status: 200, body: `127.0.0.1 multi.test:${port}` });
    await expect(post(`http://multi.test:${port}/hook`, {}, fixed('127.0.0.2', '127.0.0.3'))).rejects.toThrow(
      /could not connect: connect ECONNREFUSED 127\.0\.0\.2:\d+; connect ECONNREFUSED 127\.0\.0\.3/,
    );
  });

  test('When an https receiver has a certificate from a private CA, then it is trusted only when that CA is configured, and only for the names it certifies', async () => {
    const trust = createWebhookTrust([ca.caPem]);
    expect(await post(`https://localhost:${tlsPort}/hook`, { secureContext: trust })).toMatchObject({
      status: 200,
    });
    await expect(post(`https://localhost:${tlsPort}/hook`)).rejects.toThrow(
      /unable to verify the first certificate/,
    );
    // The certificate is checked against the name in the URL, never the address it resolved to.
    await expect(
      post(`https://other.test:${tlsPort}/hook`, { secureContext: trust }, fixed('127.0.0.1')),
    ).rejects.toThrow(/other\.test\. is not in the cert's altnames: DNS:localhost/);
    await expect(post(`https://127.0.0.1:${tlsPort}/hook`, { secureContext: trust })).rejects.toThrow(
      /IP: 127\.0\.0\.1 is not in the cert's list/,
    );
  });

  test('When the receiver trickles a byte at a time, then the attempt ends at the deadline', async () => {
    const started = Date.now();
    await expect(post(`http://127.0.0.1:${port}/trickle`, { deadlineMs: 1500 })).rejects.toThrow(
      'no complete answer within the deadline of 1500 ms',
    );
    expect(Date.now() - started).toBeLessThan(5000); // a bound, not a speed: without the deadline it never ends
  });

  test('When a TLS handshake or a name resolution never finishes, then the attempt ends at the deadline', async () => {
    await expect(
      post(`https://localhost:${silentPort}/hook`, { timeoutMs: 30_000, deadlineMs: 1000 }),
    ).rejects.toThrow('no complete answer within the deadline of 1000 ms');
    await expect(
      post('http://never.test/hook', { deadlineMs: 1000 }, () => new Promise(() => undefined)),
    ).rejects.toThrow('no complete answer within the deadline of 1000 ms');
  });

  test('When the receiver redirects, then the redirect is reported, not followed', async () => {
    expect((await post(`http://127.0.0.1:${port}/redirect`)).status).toBe(302);
  });

  test('When the receiver answers with a huge body, then at most the cap is read', async () => {
    const answer = await post(`http://127.0.0.1:${port}/huge`);
    expect(answer.body.length).toBeLessThanOrEqual(1000);
  });

  test('When the receiver is silent too long, then the attempt fails with the idle timeout', async () => {
    await expect(post(`http://127.0.0.1:${port}/slow`, { timeoutMs: 200 })).rejects.toThrow(
      'no answer within 200 ms',
    );
  });

  test('When the receiver is busy, then its status and Retry-After come back', async () => {
    expect(await post(`http://127.0.0.1:${port}/busy`)).toMatchObject({
      status: 503,
      retryAfter: '7',
      body: 'busy',
    });
  });
});
