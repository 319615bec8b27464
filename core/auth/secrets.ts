import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * The opaque secrets the platform hands out. Only their SHA-256 is stored: they carry 256 random
 * bits, so a slow KDF adds nothing (OWASP ASVS 7.2.3) and a lookup by hash is one index probe.
 *
 * API keys look like `tbk_<43 base62 characters><6-character base62 CRC32>`, after GitHub's token
 * format: the prefix makes leaked keys easy to find, `_` keeps a double-click selecting all of it, and
 * the checksum lets scanners and this server reject typos and random strings offline.
 */
export const API_KEY_PREFIX = 'tbk_';
export const REFRESH_TOKEN_PREFIX = 'tbr_';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function base62(bytes: Buffer, length: number): string {
  let value = BigInt(`0x${bytes.toString('hex') || '0'}`);
  let out = '';
  while (value > 0n) {
    out = ALPHABET[Number(value % 62n)]! + out;
    value /= 62n;
  }
  return out.padStart(length, '0');
}

const checksumOf = (body: string) => {
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return base62(crc, 6);
};

const API_KEY = /^tbk_([0-9A-Za-z]{43})([0-9A-Za-z]{6})$/;

export function generateApiKey(): { key: string; prefix: string } {
  const body = base62(randomBytes(32), 43);
  const key = `${API_KEY_PREFIX}${body}${checksumOf(body)}`;
  return { key, prefix: displayPrefix(key) };
}

/** True when `value` has the shape and the checksum of a key this platform issued. */
export function isWellFormedApiKey(value: string): boolean {
  const match = API_KEY.exec(value);
  return Boolean(match && checksumOf(match[1]!) === match[2]);
}

/** What is shown of a key after creation: enough to recognise it, far too little to use it. */
export const displayPrefix = (key: string) => key.slice(0, API_KEY_PREFIX.length + 8);

export const generateRefreshToken = () => `${REFRESH_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;

export const secretHash = (secret: string): Buffer => createHash('sha256').update(secret).digest();
