import {
  createHash,
  createPrivateKey,
  createPublicKey,
  hkdfSync,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import { jwtVerify, SignJWT, type JWK } from 'jose';

/**
 * Access tokens: EdDSA (Ed25519) JWTs, `typ: at+jwt`, 15 minutes, with iss, aud, sub, exp, iat,
 * jti and the session id. Verification pins the algorithm, issuer, audience and type, and takes keys
 * only from configuration, chosen by `kid` (the RFC 7638 thumbprint) from that list alone.
 */
export type TAccessClaims = { sub: string; sid: string; jti: string; exp: number; iat: number };

export type TKeyRing = {
  issuer: string;
  audience: string;
  ttlSeconds: number;
  signing: { kid: string; key: KeyObject };
  /** Every key a token may be signed with: the current one and, during a rotation, the previous ones. */
  verifying: Map<string, KeyObject>;
  jwks: JWK[];
};

export const ACCESS_TOKEN_TYPE = 'at+jwt';
const ALGORITHM = 'EdDSA';

// PKCS#8 header of an Ed25519 private key; the 32-byte seed follows.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** Without a configured key, one Ed25519 key derived from SECRET_KEY, shared by every replica. */
export function derivedSigningKey(secret: string): KeyObject {
  const seed = Buffer.from(hkdfSync('sha256', secret, 'trading-backend', 'jwt-ed25519-signing-key', 32));
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

const pemBlocks = (text: string) => text.match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g) ?? [];

/** RFC 7638 thumbprint of an Ed25519 public JWK: SHA-256 of its required members in order, base64url. */
const thumbprint = (jwk: JWK) =>
  createHash('sha256')
    .update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x }))
    .digest('base64url');

export function createKeyRing(options: {
  issuer: string;
  audience: string;
  ttlSeconds: number;
  /** PEM of the current Ed25519 private key (PKCS#8), or undefined to derive one from `secret`. */
  privateKeyPem?: string;
  /** PEMs of earlier public keys still accepted while their last tokens expire. */
  previousPublicKeysPem?: string;
  secret: string;
  /**
   * Earlier SECRET_KEYs (SECRET_KEY_PREVIOUS): without a configured private key, the keys derived from
   * them still verify, so rotating SECRET_KEY logs no one out.
   */
  previousSecrets?: readonly string[];
}): TKeyRing {
  const privateKey = options.privateKeyPem
    ? createPrivateKey(options.privateKeyPem)
    : derivedSigningKey(options.secret);
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new Error('JWT_PRIVATE_KEY must be an Ed25519 private key');
  const publics = [
    createPublicKey(privateKey),
    ...pemBlocks(options.previousPublicKeysPem ?? '').map((pem) => createPublicKey(pem)),
    ...(options.privateKeyPem ? [] : (options.previousSecrets ?? [])).map((secret) =>
      createPublicKey(derivedSigningKey(secret)),
    ),
  ];
  const verifying = new Map<string, KeyObject>();
  const jwks: JWK[] = [];
  for (const key of publics) {
    if (key.asymmetricKeyType !== 'ed25519')
      throw new Error('JWT_PREVIOUS_PUBLIC_KEYS must hold Ed25519 keys');
    const jwk = key.export({ format: 'jwk' }) as JWK;
    const kid = thumbprint(jwk);
    if (verifying.has(kid)) continue;
    verifying.set(kid, key);
    jwks.push({ ...jwk, kid, alg: ALGORITHM, use: 'sig' });
  }
  return {
    issuer: options.issuer,
    audience: options.audience,
    ttlSeconds: options.ttlSeconds,
    signing: { kid: jwks[0]!.kid!, key: privateKey },
    verifying,
    jwks,
  };
}

export async function issueAccessToken(
  ring: TKeyRing,
  subject: { userId: string; sessionId: string },
  now: Date,
): Promise<{ token: string; expiresIn: number; jti: string }> {
  const jti = randomUUID();
  const iat = Math.floor(now.getTime() / 1000);
  const token = await new SignJWT({ sid: subject.sessionId })
    .setProtectedHeader({ alg: ALGORITHM, kid: ring.signing.kid, typ: ACCESS_TOKEN_TYPE })
    .setIssuer(ring.issuer)
    .setAudience(ring.audience)
    .setSubject(subject.userId)
    .setJti(jti)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + ring.ttlSeconds)
    .sign(ring.signing.key);
  return { token, expiresIn: ring.ttlSeconds, jti };
}

/** The claims of a valid token, or null for anything else (bad signature, alg, kid, iss, aud, typ, time). */
export async function verifyAccessToken(
  ring: TKeyRing,
  token: string,
  now: Date,
): Promise<TAccessClaims | null> {
  try {
    const { payload } = await jwtVerify(
      token,
      (header) => {
        const key = header.kid ? ring.verifying.get(header.kid) : undefined;
        if (!key) throw new Error('unknown kid');
        return key;
      },
      {
        algorithms: [ALGORITHM],
        issuer: ring.issuer,
        audience: ring.audience,
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: ['sub', 'sid', 'jti', 'exp', 'iat'],
        currentDate: now,
        clockTolerance: 5,
      },
    );
    if (typeof payload.sid !== 'string' || typeof payload.sub !== 'string') return null;
    return payload as unknown as TAccessClaims;
  } catch {
    return null;
  }
}

/** JWTs have three base64url parts; API keys and refresh tokens never do. */
export const looksLikeJwt = (value: string) => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(value);
