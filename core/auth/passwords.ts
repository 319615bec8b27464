import { argon2, randomBytes, timingSafeEqual } from 'node:crypto';
import { dictionary } from '@zxcvbn-ts/language-common';

/**
 * Passwords: argon2id at OWASP's recommended minimum (m = 19 MiB, t = 2, p = 1), stored as PHC strings
 * (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) so that the parameters can be raised later and old hashes
 * still verify (and are upgraded at the next login). Node's own crypto.argon2, in its thread pool.
 */
export const ARGON2_PARAMS = { memory: 19_456, passes: 2, parallelism: 1, tagLength: 32 } as const;

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

type TArgonParams = { memory: number; passes: number; parallelism: number; tagLength: number };

const b64 = (bytes: Buffer) => bytes.toString('base64').split('=')[0]!;
const unb64 = (text: string) => Buffer.from(text, 'base64');

function derive(password: string, salt: Buffer, params: TArgonParams): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    argon2(
      'argon2id',
      {
        message: Buffer.from(password.normalize('NFKC'), 'utf8'),
        nonce: salt,
        parallelism: params.parallelism,
        tagLength: params.tagLength,
        memory: params.memory,
        passes: params.passes,
      },
      (error, key) => (error ? reject(error) : resolve(key)),
    ),
  );
}

export async function hashPassword(password: string, params: TArgonParams = ARGON2_PARAMS): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, params);
  return `$argon2id$v=19$m=${params.memory},t=${params.passes},p=${params.parallelism}$${b64(salt)}$${b64(hash)}`;
}

const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

function parse(phc: string): { params: TArgonParams; salt: Buffer; hash: Buffer } | null {
  const match = PHC.exec(phc);
  if (!match) return null;
  const hash = unb64(match[5]!);
  return {
    params: {
      memory: Number(match[1]),
      passes: Number(match[2]),
      parallelism: Number(match[3]),
      tagLength: hash.length,
    },
    salt: unb64(match[4]!),
    hash,
  };
}

export async function verifyPassword(password: string, phc: string): Promise<boolean> {
  const parsed = parse(phc);
  if (!parsed) return false;
  const candidate = await derive(password, parsed.salt, parsed.params);
  return candidate.length === parsed.hash.length && timingSafeEqual(candidate, parsed.hash);
}

/** True when a stored hash is weaker than today's parameters (rehash it after the next good login). */
export function needsRehash(phc: string): boolean {
  const parsed = parse(phc);
  return (
    !parsed ||
    parsed.params.memory < ARGON2_PARAMS.memory ||
    parsed.params.passes < ARGON2_PARAMS.passes ||
    parsed.params.tagLength < ARGON2_PARAMS.tagLength
  );
}

// A hash of nothing anyone knows: logins for unknown emails verify against it, so that they take as
// long as logins for known ones and the timing tells nothing.
let dummy: Promise<string> | undefined;
export async function verifyAgainstNothing(password: string): Promise<false> {
  dummy ??= hashPassword(randomBytes(32).toString('hex'));
  await verifyPassword(password, await dummy);
  return false;
}

const COMMON = new Set(dictionary['passwords-common'].map((password: string) => password.toLowerCase()));

/**
 * NIST SP 800-63B / OWASP ASVS 6.2: 12 to 128 characters (counted as Unicode code points, any
 * characters, no composition rules), not a known common password, not the account's own email.
 * Returns why a password is refused, or null.
 */
export function passwordProblem(password: string, email?: string): string | null {
  const length = [...password.normalize('NFKC')].length;
  if (length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  const lower = password.toLowerCase();
  if (COMMON.has(lower)) return 'is one of the most common passwords; choose another';
  if (email && (lower === email.toLowerCase() || lower === email.toLowerCase().split('@')[0]))
    return 'must not be the email address';
  return null;
}
