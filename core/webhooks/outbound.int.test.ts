import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { checkUrl, post, resolveTarget, TargetRefused } from './outbound.ts';

const strict = { allowPrivate: false, requireHttps: false };
const reason = async (url: string, policy = strict) => {
  try {
    await resolveTarget(checkUrl(url, policy), policy);
    return 'allowed';
  } catch (error) {
    if (error instanceof TargetRefused) return error.reason;
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
    ['http://localhost:9/hook', 'private_address'],
    ['ftp://example.com/hook', 'scheme'],
    ['file:///etc/passwd', 'scheme'],
    ['http://user:secret@example.com/hook', 'credentials'],
    ['not a url', 'invalid_url'],
    ['http://no-such-host.invalid/hook', 'dns'],
  ])('When the target is %s, then it is refused (%s)', async (url, expected) => {
    expect(await reason(url)).toBe(expected);
  });

  test('When https is required (production), then an http URL is refused; public addresses pass the address check', async () => {
    expect(await reason('http://93.184.215.14/', { allowPrivate: false, requireHttps: true })).toBe('scheme');
    expect(await reason('https://93.184.215.14/', { allowPrivate: false, requireHttps: true })).toBe(
      'allowed',
    );
  });

  test('When private targets are allowed (tests, in-cluster receivers), then loopback passes', async () => {
    expect(await reason('http://127.0.0.1:8080/hook', { allowPrivate: true, requireHttps: false })).toBe(
      'allowed',
    );
  });
});

describe('Posting', () => {
  let server: Server;
  let url: URL;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/redirect') {
        res.writeHead(302, { location: '/elsewhere' }).end();
      } else if (req.url === '/huge') {
        res.writeHead(200);
        res.end('x'.repeat(1_000_000));
      } else if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 2000);
      } else {
        res.writeHead(503, { 'retry-after': '7' }).end('busy');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  const target = { address: '127.0.0.1', family: 4 as const };
  const send = (path: string, timeoutMs = 1000) =>
    post(new URL(path, url), target, { 'content-type': 'application/json' }, '{}', {
      timeoutMs,
      maxBytes: 1000,
    });

  test('When the receiver redirects, then the redirect is reported, not followed', async () => {
    expect((await send('/redirect')).status).toBe(302);
  });

  test('When the receiver answers with a huge body, then at most the cap is read', async () => {
    const answer = await send('/huge');
    expect(answer.body.length).toBeLessThanOrEqual(1000);
  });

  test('When the receiver is too slow, then the attempt fails with the timeout', async () => {
    await expect(send('/slow', 200)).rejects.toThrow('no answer within 200 ms');
  });

  test('When the receiver is busy, then its status and Retry-After come back', async () => {
    expect(await send('/busy')).toMatchObject({ status: 503, retryAfter: '7', body: 'busy' });
  });
});
