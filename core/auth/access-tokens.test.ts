import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader } from 'jose';
import {
  ACCESS_TOKEN_TYPE,
  createKeyRing,
  issueAccessToken,
  looksLikeJwt,
  verifyAccessToken,
} from './access-tokens.ts';

const SECRET = 'a test secret of at least thirty-two characters';
const ring = (options: Partial<Parameters<typeof createKeyRing>[0]> = {}) =>
  createKeyRing({ issuer: 'iss-test', audience: 'aud-test', ttlSeconds: 900, secret: SECRET, ...options });
const subject = { userId: '11111111-1111-4111-8111-111111111111', sessionId: 'session-1' };
const NOW = new Date('2026-12-01T10:00:00Z');

const ed25519Pem = () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
};

describe('Access tokens', () => {
  test('When a token is issued, then its header and claims are the ones the platform promises', async () => {
    const keys = ring();
    const { token, expiresIn, jti } = await issueAccessToken(keys, subject, NOW);
    expect(decodeProtectedHeader(token)).toEqual({
      alg: 'EdDSA',
      kid: keys.signing.kid,
      typ: ACCESS_TOKEN_TYPE,
    });
    const claims = decodeJwt(token);
    const iat = NOW.getTime() / 1000;
    expect(claims).toEqual({
      iss: 'iss-test',
      aud: 'aud-test',
      sub: subject.userId,
      sid: subject.sessionId,
      jti,
      iat,
      nbf: iat,
      exp: iat + 900,
    });
    expect(expiresIn).toBe(900);
    expect(looksLikeJwt(token)).toBe(true);
    expect(await verifyAccessToken(keys, token, NOW)).toMatchObject({
      sub: subject.userId,
      sid: 'session-1',
    });
  });

  test('When the JWKS is published, then each kid is the RFC 7638 thumbprint jose computes, and no private part is in it', async () => {
    const keys = ring({ previousPublicKeysPem: ed25519Pem().publicPem });
    expect(keys.jwks).toHaveLength(2);
    for (const jwk of keys.jwks) {
      expect(jwk.kid).toBe(
        await calculateJwkThumbprint({ kty: jwk.kty!, crv: jwk.crv!, x: jwk.x! }, 'sha256'),
      );
      expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
      expect(jwk).not.toHaveProperty('d');
    }
  });

  test('When two replicas derive their key from the same SECRET_KEY, then they sign with the same key; another secret, another key', () => {
    expect(ring().signing.kid).toBe(ring().signing.kid);
    expect(ring({ secret: `${SECRET}!` }).signing.kid).not.toBe(ring().signing.kid);
  });

  test('When the signing key is rotated with the old public key kept, then tokens of both keys verify; once dropped, old tokens fail', async () => {
    const old = ed25519Pem();
    const oldRing = ring({ privateKeyPem: old.privatePem });
    const oldToken = (await issueAccessToken(oldRing, subject, NOW)).token;
    const rotated = ring({ privateKeyPem: ed25519Pem().privatePem, previousPublicKeysPem: old.publicPem });
    const newToken = (await issueAccessToken(rotated, subject, NOW)).token;
    expect(rotated.signing.kid).not.toBe(oldRing.signing.kid);
    expect(await verifyAccessToken(rotated, oldToken, NOW)).not.toBeNull();
    expect(await verifyAccessToken(rotated, newToken, NOW)).not.toBeNull();
    const afterRotation = ring({ privateKeyPem: ed25519Pem().privatePem });
    expect(await verifyAccessToken(afterRotation, oldToken, NOW)).toBeNull();
  });

  test('When SECRET_KEY is rotated with the old one in SECRET_KEY_PREVIOUS, then tokens signed under the old derived key still verify; without it they fail', async () => {
    const oldToken = (await issueAccessToken(ring(), subject, NOW)).token;
    const rotated = ring({ secret: `${SECRET}-rotated`, previousSecrets: [SECRET] });
    expect(rotated.signing.kid).not.toBe(ring().signing.kid);
    expect(await verifyAccessToken(rotated, oldToken, NOW)).not.toBeNull();
    expect(rotated.jwks.map((jwk) => jwk.kid)).toContain(ring().signing.kid);
    expect(await verifyAccessToken(ring({ secret: `${SECRET}-rotated` }), oldToken, NOW)).toBeNull();
  });

  test('When the token has expired or is not valid yet, then it does not verify (5 s of clock skew allowed)', async () => {
    const keys = ring();
    const { token } = await issueAccessToken(keys, subject, NOW);
    const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
    expect(await verifyAccessToken(keys, token, at(900 + 4))).not.toBeNull();
    expect(await verifyAccessToken(keys, token, at(900 + 6))).toBeNull();
    expect(await verifyAccessToken(keys, token, at(-4))).not.toBeNull();
    expect(await verifyAccessToken(keys, token, at(-6))).toBeNull();
  });

  test('When the issuer or audience differ, then the token does not verify', async () => {
    const { token } = await issueAccessToken(ring(), subject, NOW);
    expect(await verifyAccessToken(ring({ issuer: 'other' }), token, NOW)).toBeNull();
    expect(await verifyAccessToken(ring({ audience: 'other' }), token, NOW)).toBeNull();
  });

  test('When a configured key is not Ed25519, then the key ring refuses to start', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(() =>
      ring({ privateKeyPem: rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() }),
    ).toThrow(/Ed25519/);
    expect(() =>
      ring({ previousPublicKeysPem: rsa.publicKey.export({ format: 'pem', type: 'spki' }).toString() }),
    ).toThrow(/Ed25519/);
  });

  test.each([
    ['an API key', `tbk_${'a'.repeat(49)}`],
    ['a refresh token', 'tbr_abc'],
    ['two parts', 'a.b'],
    ['an empty signature', 'a.b.'],
  ])('When the value is %s, then it is not taken for a JWT', (_name, value) => {
    expect(looksLikeJwt(value)).toBe(false);
  });
});
