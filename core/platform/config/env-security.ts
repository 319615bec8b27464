import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { bool, commaList } from './env-parts.ts';

/**
 * The configuration keys of secrets and outbound webhook safety (part of the one schema in env.ts),
 * and the rules about SECRET_KEY: never a value published anywhere, never a constant in code.
 */

/**
 * SECRET_KEY values that have been published (old code defaults, the compose file, scripts): whoever
 * reads this repository knows them, so production refuses them.
 */
export const PUBLISHED_SECRET_KEYS: readonly string[] = [
  'dev-only-secret-key-change-me-in-production-000',
  'change-me-to-32-or-more-characters-please',
  'ci-load-test-secret-key-0123456789abcdef',
  'benchmark-secret-key-0123456789abcdefgh',
];

let processKey: string | undefined;
/**
 * Outside production without SECRET_KEY: a key made for this process, never a constant. `npm run dev`
 * and `npm start` keep one per installation in .run/secret-key, so the API and the worker share it.
 */
export function processSecretKey(): string {
  processKey ??= randomBytes(32).toString('hex');
  return processKey;
}

const secretKey = z.string().min(32, 'must be at least 32 characters');

/** A PEM bundle file, read at start so that a wrong path stops start-up rather than every delivery. */
const pemCertificates = z.string().transform((file, ctx) => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `cannot read ${file}: ${(error as Error).message}` });
    return z.NEVER;
  }
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (!pems.length) {
    ctx.addIssue({ code: 'custom', message: `${file} holds no PEM certificate` });
    return z.NEVER;
  }
  return { file, pems };
});

/** `address` or `address:port` (`[v6]:port` for IPv6), as node:dns takes them. */
const dnsServer = z.string().refine((value) => {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(value);
  if (bracketed) return isIP(bracketed[1]!) === 6 && Number(bracketed[2] ?? 53) <= 65535;
  if (isIP(value) === 6) return true;
  const [address, port, ...rest] = value.split(':');
  return (
    !rest.length &&
    isIP(address ?? '') === 4 &&
    (port === undefined || (/^\d{1,5}$/.test(port) && Number(port) <= 65535))
  );
}, 'must be an IP address, optionally with :port ([v6]:port)');

export const SECURITY_ENV = {
  SECRET_KEY: secretKey.optional(),
  SECRET_KEY_PREVIOUS: commaList
    .pipe(z.array(secretKey))
    .default([])
    .describe('Earlier SECRET_KEYs (comma list) still accepted while sealed secrets are re-sealed'),
  WEBHOOK_DEADLINE_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .max(300_000)
    .default(15_000)
    .describe('Whole-attempt deadline of a webhook delivery, resolution to last byte'),
  WEBHOOK_CA_FILE: pemCertificates
    .optional()
    .describe('PEM file of CAs trusted for https webhook receivers besides the default ones (a private CA)'),
  WEBHOOK_DNS_SERVERS: commaList
    .pipe(z.array(dnsServer))
    .default([])
    .describe('Resolve webhook receivers through these DNS servers only (default: the system resolver)'),
  QUEUE_DASHBOARD_WRITES: bool
    .default(false)
    .describe('Let the queue dashboard (/admin/queues) retry, clean, add and remove jobs; off: read-only'),
};

/** Production refuses a missing SECRET_KEY and any published one. */
export function checkSecretKey(
  config: { NODE_ENV: string; SECRET_KEY?: string | undefined; SECRET_KEY_PREVIOUS: string[] },
  ctx: z.RefinementCtx,
): void {
  if (config.NODE_ENV !== 'production') return;
  if (!config.SECRET_KEY)
    ctx.addIssue({ code: 'custom', path: ['SECRET_KEY'], message: 'is required when NODE_ENV=production' });
  else if (PUBLISHED_SECRET_KEYS.includes(config.SECRET_KEY))
    ctx.addIssue({
      code: 'custom',
      path: ['SECRET_KEY'],
      message: 'is a published example value: generate one (openssl rand -hex 32)',
    });
}
