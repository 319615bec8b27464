import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

/**
 * Standard Webhooks v1 (https://www.standardwebhooks.com): the signed content is
 * `${id}.${timestamp}.${body}` over the exact body bytes, HMAC-SHA256 keyed with the base64-decoded
 * part of the `whsec_` secret, sent as `v1,<base64>`; several space-separated signatures while a
 * rotated secret is still honoured.
 */
export const SECRET_PREFIX = 'whsec_';

export const newWebhookSecret = (): string => `${SECRET_PREFIX}${randomBytes(24).toString('base64')}`;

const keyOf = (secret: string) => Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');

export function sign(secret: string, id: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The `webhook-signature` header: one signature per secret still in force, newest first. */
export const signatureHeader = (secrets: readonly string[], id: string, timestamp: number, body: string) =>
  secrets.map((secret) => sign(secret, id, timestamp, body)).join(' ');

/** What a receiver does: any listed v1 signature matching, in constant time, within ±5 minutes. */
export function verify(
  secret: string,
  headers: { id: string; timestamp: string; signature: string },
  body: string,
  nowSeconds = Math.floor(Date.now() / 1000),
  toleranceSeconds = 300,
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(sign(secret, headers.id, timestamp, body));
  return headers.signature
    .split(' ')
    .map((candidate) => Buffer.from(candidate))
    .some((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected));
}

/**
 * Endpoint secrets at rest: AES-256-GCM under a key derived from SECRET_KEY, so a database dump alone
 * does not let anyone sign deliveries (the secret itself must be recoverable to sign with it). A box
 * names the key that sealed it (`v2.<key id>.…`, the id a one-way derivation of the key), so SECRET_KEY
 * can be rotated: the earlier keys (SECRET_KEY_PREVIOUS) still open their boxes until `reseal` has
 * rewritten every box under the current key. Boxes from before key ids (`v1.…`) open with whichever
 * key's GCM tag matches.
 */
export function createSecretBox(secretKey: string, previousKeys: readonly string[] = []) {
  const derive = (secret: string) => ({
    id: Buffer.from(hkdfSync('sha256', secret, 'trading-backend', 'webhook-secrets-key-id', 6)).toString(
      'hex',
    ),
    key: Buffer.from(hkdfSync('sha256', secret, 'trading-backend', 'webhook-secrets', 32)),
  });
  const current = derive(secretKey);
  const keys = [current, ...previousKeys.map(derive)];
  const decrypt = (key: Buffer, iv: string, tag: string, sealed: string) => {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64')), decipher.final()]).toString('utf8');
  };
  return {
    /** The id of the key new boxes are sealed under. */
    keyId: current.id,
    seal(plain: string): string {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv);
      const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return `v2.${current.id}.${iv.toString('base64')}.${cipher.getAuthTag().toString('base64')}.${sealed.toString('base64')}`;
    },
    open(box: string): string {
      const parts = box.split('.');
      if (parts[0] === 'v2' && parts.length === 5) {
        const [, id, iv, tag, sealed] = parts as [string, string, string, string, string];
        const key = keys.find((candidate) => candidate.id === id);
        if (!key)
          throw new Error(
            `sealed under a key that is neither SECRET_KEY nor in SECRET_KEY_PREVIOUS (key id ${id})`,
          );
        return decrypt(key.key, iv, tag, sealed);
      }
      if (parts[0] === 'v1' && parts.length === 4) {
        const [, iv, tag, sealed] = parts as [string, string, string, string];
        for (const key of keys) {
          try {
            return decrypt(key.key, iv, tag, sealed);
          } catch {
            // another key's tag: try the next
          }
        }
        throw new Error('sealed under a key that is neither SECRET_KEY nor in SECRET_KEY_PREVIOUS');
      }
      throw new Error('not a sealed webhook secret');
    },
    /** Whether `box` is sealed under another key than the current one (or in the old form). */
    stale(box: string): boolean {
      return !box.startsWith(`v2.${current.id}.`);
    },
  };
}
export type TSecretBox = ReturnType<typeof createSecretBox>;
