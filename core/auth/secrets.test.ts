import { createHash, randomInt } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import {
  API_KEY_PREFIX,
  displayPrefix,
  generateApiKey,
  generateRefreshToken,
  isWellFormedApiKey,
  REFRESH_TOKEN_PREFIX,
  secretHash,
} from './secrets.ts';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

describe('API keys', () => {
  test('When a key is generated, then it has the prefix, 43 random base62 characters and a 6-character checksum', () => {
    const { key, prefix } = generateApiKey();
    expect(key).toMatch(/^tbk_[0-9A-Za-z]{49}$/);
    expect(prefix).toBe(key.slice(0, API_KEY_PREFIX.length + 8));
    expect(displayPrefix(key)).toBe(prefix);
    expect(isWellFormedApiKey(key)).toBe(true);
  });

  test('When many keys are generated, then none repeats and the body carries at least 256 bits', () => {
    const keys = new Set(Array.from({ length: 2000 }, () => generateApiKey().key));
    expect(keys.size).toBe(2000);
    // 43 base62 characters hold log2(62^43) ≈ 256.03 bits.
    expect(43 * Math.log2(62)).toBeGreaterThanOrEqual(256);
  });

  test('When any one character of a key is changed, then the checksum catches it offline', () => {
    for (let round = 0; round < 500; round++) {
      const { key } = generateApiKey();
      const at = API_KEY_PREFIX.length + randomInt(key.length - API_KEY_PREFIX.length);
      const others = BASE62.replace(key[at]!, '');
      const typo = key.slice(0, at) + others[randomInt(others.length)] + key.slice(at + 1);
      expect(isWellFormedApiKey(typo)).toBe(false);
    }
  });

  test('When two neighbouring characters of a key are swapped, then the checksum catches it', () => {
    const { key } = generateApiKey();
    for (let at = API_KEY_PREFIX.length; at < key.length - 1; at++) {
      if (key[at] === key[at + 1]) continue;
      const swapped = key.slice(0, at) + key[at + 1] + key[at] + key.slice(at + 2);
      expect(isWellFormedApiKey(swapped)).toBe(false);
    }
  });

  test.each([
    ['empty', ''],
    ['another prefix', `ghp_${'a'.repeat(49)}`],
    ['too short', generateApiKey().key.slice(0, -1)],
    ['too long', `${generateApiKey().key}0`],
    ['not base62', `tbk_${'-'.repeat(49)}`],
    ['a refresh token', generateRefreshToken()],
  ])('When the value is %s, then it is not a well-formed key', (_name, value) => {
    expect(isWellFormedApiKey(value)).toBe(false);
  });
});

describe('Refresh tokens and stored hashes', () => {
  test('When a refresh token is generated, then it carries 256 random bits after its prefix', () => {
    const token = generateRefreshToken();
    expect(token.startsWith(REFRESH_TOKEN_PREFIX)).toBe(true);
    const bytes = Buffer.from(token.slice(REFRESH_TOKEN_PREFIX.length), 'base64url');
    expect(bytes.length).toBe(32);
    expect(generateRefreshToken()).not.toBe(token);
  });

  test('When a secret is hashed for storage, then it is its SHA-256, never the secret itself', () => {
    const { key } = generateApiKey();
    const stored = secretHash(key);
    expect(stored.equals(createHash('sha256').update(key, 'utf8').digest())).toBe(true);
    expect(stored.toString('utf8')).not.toContain(key.slice(4, 20));
  });
});
