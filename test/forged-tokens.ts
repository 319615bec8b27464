import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { TKeyRing } from '../core/auth/index.ts';

const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact JWS signed with Ed25519 by hand (node:crypto), independently of the platform's issuer. */
export function signEd25519(key: KeyObject, header: object, claims: object): string {
  const input = `${part(header)}.${part(claims)}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

function signHs256(secret: string | Buffer, header: object, claims: object): string {
  const input = `${part(header)}.${part(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/**
 * Tokens an attacker could make from a genuine one (RFC 8725's list and the usual JWT library
 * mistakes), each named. The first, a faithful re-signing with the real key, is the control: it must
 * be accepted, so that every other rejection is due to its one change.
 */
export function forgedTokens(ring: TKeyRing, genuine: string, now: Date): [string, string][] {
  const header = decodeProtectedHeader(genuine) as Record<string, unknown>;
  const claims = decodeJwt(genuine) as Record<string, unknown>;
  const key = ring.signing.key;
  const publicKey = ring.verifying.get(ring.signing.kid)!;
  const publicPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const publicRaw = Buffer.from(ring.jwks[0]!.x!, 'base64url');
  const stranger = generateKeyPairSync('ed25519').privateKey;
  const seconds = Math.floor(now.getTime() / 1000);
  const [, body, signature] = genuine.split('.');
  const { jti: _jti, ...withoutJti } = claims;
  const { sid: _sid, ...withoutSid } = claims;
  const { exp: _exp, ...withoutExp } = claims;
  return [
    ['re-signed unchanged (control)', signEd25519(key, header, claims)],
    ['alg none', `${part({ ...header, alg: 'none' })}.${part(claims)}.`],
    ['alg none with the old signature', `${part({ ...header, alg: 'none' })}.${body}.${signature}`],
    ['HS256 keyed with the public key (PEM)', signHs256(publicPem, { ...header, alg: 'HS256' }, claims)],
    ['HS256 keyed with the public key (raw)', signHs256(publicRaw, { ...header, alg: 'HS256' }, claims)],
    ['another key under an unknown kid', signEd25519(stranger, { ...header, kid: 'attacker' }, claims)],
    ['another key under the real kid', signEd25519(stranger, header, claims)],
    ['no kid', signEd25519(key, { alg: 'EdDSA', typ: header.typ }, claims)],
    [
      'embedded jwk of the attacker',
      signEd25519(stranger, { ...header, jwk: stranger.export({ format: 'jwk' }) }, claims),
    ],
    [
      'expired',
      signEd25519(key, header, { ...claims, iat: seconds - 1000, nbf: seconds - 1000, exp: seconds - 60 }),
    ],
    [
      'not yet valid',
      signEd25519(key, header, { ...claims, iat: seconds, nbf: seconds + 120, exp: seconds + 900 }),
    ],
    ['wrong audience', signEd25519(key, header, { ...claims, aud: 'another-api' })],
    ['wrong issuer', signEd25519(key, header, { ...claims, iss: 'https://evil.example' })],
    ['wrong type (an ID token)', signEd25519(key, { ...header, typ: 'JWT' }, claims)],
    ['no jti', signEd25519(key, header, withoutJti)],
    ['no session', signEd25519(key, header, withoutSid)],
    ['no expiry', signEd25519(key, header, withoutExp)],
    [
      'tampered subject',
      `${genuine.split('.')[0]}.${part({ ...claims, sub: '00000000-0000-4000-8000-000000000000' })}.${signature}`,
    ],
    ['truncated signature', genuine.slice(0, -4)],
  ];
}
