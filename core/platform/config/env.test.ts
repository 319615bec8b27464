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
