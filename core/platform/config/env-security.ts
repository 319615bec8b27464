import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';

/** The configuration keys of outbound webhook safety (part of the one schema in env.ts). */

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
  WEBHOOK_DNS_SERVERS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .pipe(z.array(dnsServer))
    .default([])
    .describe('Resolve webhook receivers through these DNS servers only (default: the system resolver)'),
};
