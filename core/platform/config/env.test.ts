import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@jest/globals';
import { ConfigError, loadConfig } from './env.ts';

test('When nothing is set, then the local defaults apply', () => {
  const config = loadConfig({});
  expect(config.PORT).toBe(8000);
  expect(config.RATE_LIMIT_PER_MINUTE).toBe(60);
  expect(config.CACHE_TTL_SECONDS).toBe(300);
  expect(config.CORS_ORIGINS).toStrictEqual(['*']);
  expect(Object.isFrozen(config)).toBeTruthy();
});

test('When values are given, then they are coerced and validated', () => {
  const config = loadConfig({
    PORT: '9000',
    CORS_ORIGINS: 'https://a.example, https://b.example',
    RATE_LIMIT_PER_MINUTE: '5',
  });
  expect(config.PORT).toBe(9000);
  expect(config.CORS_ORIGINS).toStrictEqual(['https://a.example', 'https://b.example']);
  expect(config.RATE_LIMIT_PER_MINUTE).toBe(5);
});

test('When a value is empty, then it counts as unset', () => {
  expect(loadConfig({ PORT: '' }).PORT).toBe(8000);
});

test('When values are invalid, then one error names each of them', () => {
  const invalid = () => loadConfig({ PORT: '70000', REDIS_URL: 'nope', LOG_LEVEL: 'loud' });
  expect(invalid).toThrow(ConfigError);
  expect(invalid).toThrow(/PORT/);
  expect(invalid).toThrow(/REDIS_URL/);
  expect(invalid).toThrow(/LOG_LEVEL/);
});

test('When running in production without SECRET_KEY, then start-up is refused', () => {
  expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
    /SECRET_KEY: is required when NODE_ENV=production/,
  );
  expect(() => loadConfig({ SECRET_KEY: 'short' })).toThrow(/SECRET_KEY: must be at least 32 characters/);
  expect(loadConfig({ NODE_ENV: 'production', SECRET_KEY: 'x'.repeat(32) }).SECRET_KEY).toBe('x'.repeat(32));
});

test('When production is given a SECRET_KEY that was ever published (code, compose file, scripts), then start-up is refused', () => {
  for (const published of [
    'dev-only-secret-key-change-me-in-production-000',
    'change-me-to-32-or-more-characters-please',
  ])
    expect(() => loadConfig({ NODE_ENV: 'production', SECRET_KEY: published })).toThrow(
      /SECRET_KEY: is a published example value/,
    );
});

test('When no SECRET_KEY is given outside production, then the key is made for this process: never a constant, the same for every load', () => {
  const config = loadConfig({});
  expect(config.SECRET_KEY).not.toBe('dev-only-secret-key-change-me-in-production-000');
  expect(config.SECRET_KEY).toMatch(/^[0-9a-f]{64}$/);
  expect(config.SECRET_KEY_GENERATED).toBe(true);
  expect(loadConfig({ NODE_ENV: 'test' }).SECRET_KEY).toBe(config.SECRET_KEY);
  expect(loadConfig({ SECRET_KEY: 'k'.repeat(32) })).toMatchObject({
    SECRET_KEY: 'k'.repeat(32),
    SECRET_KEY_GENERATED: false,
  });
});

test('When earlier SECRET_KEYs are kept for a rotation, then they are a list of full-length keys', () => {
  expect(loadConfig({}).SECRET_KEY_PREVIOUS).toEqual([]);
  expect(
    loadConfig({ SECRET_KEY_PREVIOUS: `${'a'.repeat(32)}, ${'b'.repeat(40)}` }).SECRET_KEY_PREVIOUS,
  ).toEqual(['a'.repeat(32), 'b'.repeat(40)]);
  expect(() => loadConfig({ SECRET_KEY_PREVIOUS: 'short' })).toThrow(
    /SECRET_KEY_PREVIOUS.*must be at least 32 characters/,
  );
});

test('When webhook retries, worker queues and queue concurrency are set, then they are parsed into milliseconds, lists and counts', () => {
  const config = loadConfig({
    WEBHOOK_RETRY_SCHEDULE: '500ms, 5s,2m,1h',
    WORKER_QUEUES: 'deliver-webhook',
    QUEUE_CONCURRENCY: 'deliver-webhook=32, evaluate-alerts=4',
  });
  expect(config.WEBHOOK_RETRY_SCHEDULE).toEqual([500, 5000, 120_000, 3_600_000]);
  expect(config.WORKER_QUEUES).toEqual(['deliver-webhook']);
  expect(config.QUEUE_CONCURRENCY).toEqual({ 'deliver-webhook': 32, 'evaluate-alerts': 4 });
  expect(loadConfig({}).WEBHOOK_RETRY_SCHEDULE.reduce((total, delay) => total + delay, 0)).toBe(85_355_000); // 23.7 hours: "about a day"
  expect(() => loadConfig({ WEBHOOK_RETRY_SCHEDULE: '5 minutes' })).toThrow(/WEBHOOK_RETRY_SCHEDULE/);
  expect(() => loadConfig({ QUEUE_CONCURRENCY: 'deliver-webhook=0' })).toThrow(/not queue=jobs-at-once/);
  expect(() => loadConfig({ QUEUE_CONCURRENCY: 'deliver-webhook' })).toThrow(/QUEUE_CONCURRENCY/);
});

test('When Sentinels are configured, then every Redis connection targets their master; a malformed entry is refused', () => {
  expect(loadConfig({}).REDIS).toBe('redis://127.0.0.1:6379');
  expect(
    loadConfig({
      REDIS_SENTINELS: 'a.redis:26379, b.redis:26380',
      REDIS_SENTINEL_MASTER: 'm',
      REDIS_PASSWORD: 'pw',
    }).REDIS,
  ).toEqual({
    sentinels: [
      { host: 'a.redis', port: 26379 },
      { host: 'b.redis', port: 26380 },
    ],
    name: 'm',
    password: 'pw',
  });
  expect(() => loadConfig({ REDIS_SENTINELS: 'a.redis' })).toThrow(
    /REDIS_SENTINELS: "a.redis" is not host:port/,
  );
});

test('When webhook delivery safety is configured, then the deadline, the CA file and the DNS servers are checked at start', () => {
  expect(loadConfig({}).WEBHOOK_DEADLINE_MS).toBe(15_000);
  expect(loadConfig({}).WEBHOOK_DNS_SERVERS).toEqual([]);
  expect(() => loadConfig({ WEBHOOK_DEADLINE_MS: '500' })).toThrow(/WEBHOOK_DEADLINE_MS/);
  expect(
    loadConfig({ WEBHOOK_DNS_SERVERS: '1.1.1.1, 127.0.0.1:5353, [::1]:53, 2606:4700::1111' })
      .WEBHOOK_DNS_SERVERS,
  ).toEqual(['1.1.1.1', '127.0.0.1:5353', '[::1]:53', '2606:4700::1111']);
  expect(() => loadConfig({ WEBHOOK_DNS_SERVERS: 'dns.example:53' })).toThrow(
    /WEBHOOK_DNS_SERVERS.*must be an IP address/,
  );
  expect(() => loadConfig({ WEBHOOK_CA_FILE: '/nonexistent/ca.pem' })).toThrow(
    /WEBHOOK_CA_FILE: cannot read \/nonexistent\/ca.pem/,
  );
  const folder = mkdtempSync(path.join(tmpdir(), 'env-test-'));
  try {
    writeFileSync(path.join(folder, 'empty.pem'), 'not a certificate\n');
    expect(() => loadConfig({ WEBHOOK_CA_FILE: path.join(folder, 'empty.pem') })).toThrow(
      /holds no PEM certificate/,
    );
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    writeFileSync(path.join(folder, 'ca.pem'), `${pem}\n${pem}\n`);
    expect(loadConfig({ WEBHOOK_CA_FILE: path.join(folder, 'ca.pem') }).WEBHOOK_CA_FILE?.pems).toEqual([
      pem,
      pem,
    ]);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
