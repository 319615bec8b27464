import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from './env.ts';

test('When nothing is set, then the local defaults apply', () => {
  const config = loadConfig({});
  assert.equal(config.PORT, 8000);
  assert.equal(config.RATE_LIMIT_PER_MINUTE, 60);
  assert.equal(config.CACHE_TTL_SECONDS, 300);
  assert.deepEqual(config.CORS_ORIGINS, ['*']);
  assert.ok(Object.isFrozen(config));
});

test('When values are given, then they are coerced and validated', () => {
  const config = loadConfig({
    PORT: '9000',
    CORS_ORIGINS: 'https://a.example, https://b.example',
    RATE_LIMIT_PER_MINUTE: '5',
  });
  assert.equal(config.PORT, 9000);
  assert.deepEqual(config.CORS_ORIGINS, ['https://a.example', 'https://b.example']);
  assert.equal(config.RATE_LIMIT_PER_MINUTE, 5);
});

test('When a value is empty, then it counts as unset', () => {
  assert.equal(loadConfig({ PORT: '' }).PORT, 8000);
});

test('When values are invalid, then one error names each of them', () => {
  assert.throws(
    () => loadConfig({ PORT: '70000', REDIS_URL: 'nope', LOG_LEVEL: 'loud' }),
    (error: unknown) =>
      error instanceof ConfigError &&
      /PORT/.test(error.message) &&
      /REDIS_URL/.test(error.message) &&
      /LOG_LEVEL/.test(error.message),
  );
});

test('When running in production without SECRET_KEY, then start-up is refused', () => {
  assert.throws(
    () => loadConfig({ NODE_ENV: 'production' }),
    /SECRET_KEY: is required when NODE_ENV=production/,
  );
  assert.throws(() => loadConfig({ SECRET_KEY: 'short' }), /SECRET_KEY: must be at least 32 characters/);
  assert.equal(loadConfig({ NODE_ENV: 'production', SECRET_KEY: 'x'.repeat(32) }).SECRET_KEY, 'x'.repeat(32));
});
