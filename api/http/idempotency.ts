import { createHash } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { Redis } from 'ioredis';
import { principalOf, type TActor } from '../../core/platform/access/index.ts';
import { AppError, ErrorCode } from '../../core/platform/errors/app-error.ts';

const KEY = /^[\x21-\x7e]{1,255}$/;
const KEEP_SECONDS = 24 * 3600;
const IN_PROGRESS_SECONDS = 60;

type TStored = { fingerprint: string; status: number; body: unknown };

/**
 * `Idempotency-Key` on POSTs (draft-ietf-httpapi-idempotency-key-header): the first request with a key
 * runs and its successful answer is kept for 24 hours per caller and route; a retry with the same key
 * and the same request gets that answer again (`Idempotent-Replayed: true`) without running twice; the
 * same key with another request is a 422; a retry while the first is still running is a 409. A request
 * that fails releases its key, so a corrected retry runs.
 */
export function createIdempotency(deps: { redis: Redis; keyPrefix: string }) {
  const storageKey = (actor: TActor, path: string, key: string) =>
    `${deps.keyPrefix}idem:${principalOf(actor)}:${createHash('sha256').update(`${path}\n${key}`).digest('hex')}`;

  return {
    /** Runs before the handler: replays a kept answer, or marks the key as in progress. */
    guard: (): RequestHandler => async (req, res, next) => {
      const key = req.get('idempotency-key');
      if (key === undefined) {
        next();
        return;
      }
      if (!KEY.test(key)) {
        throw new AppError(ErrorCode.ValidationFailed, {
          detail: 'Idempotency-Key: 1 to 255 visible ASCII characters',
          errors: [{ name: 'Idempotency-Key', in: 'header', detail: '1 to 255 visible ASCII characters' }],
        });
      }
      const actor = res.locals.actor as TActor;
      const target = storageKey(actor, req.originalUrl.split('?')[0]!, key);
      const fingerprint = createHash('sha256')
        .update(
          `${req.method}\n${req.originalUrl}\n${typeof req.body === 'string' ? req.body : JSON.stringify(req.body ?? null)}`,
        )
        .digest('hex');
      const claimed = await deps.redis
        .set(target, JSON.stringify({ fingerprint, status: 0 }), 'EX', IN_PROGRESS_SECONDS, 'NX')
        .catch(() => 'OK');
      if (claimed !== 'OK') {
        const stored = JSON.parse((await deps.redis.get(target)) ?? 'null') as TStored | null;
        if (stored && stored.fingerprint !== fingerprint) {
          throw new AppError(ErrorCode.Unprocessable, {
            detail: 'This Idempotency-Key was used with a different request.',
            extensions: { reason: 'idempotency_key_reused' },
          });
        }
        if (!stored || stored.status === 0) {
          throw new AppError(ErrorCode.Conflict, {
            detail: 'A request with this Idempotency-Key is still being processed; retry shortly.',
          });
        }
        res.setHeader('Idempotent-Replayed', 'true');
        res.setHeader('Cache-Control', 'no-store');
        if (stored.status === 204) res.status(204).end();
        else res.status(stored.status).json(stored.body);
        return;
      }
      res.locals.idempotency = { target, fingerprint };
      next();
    },

    /** Keeps a successful answer for the key. */
    async remember(res: Response, status: number, body: unknown): Promise<void> {
      const pending = res.locals.idempotency as { target: string; fingerprint: string } | undefined;
      if (!pending) return;
      const stored: TStored = { fingerprint: pending.fingerprint, status, body };
      await deps.redis.set(pending.target, JSON.stringify(stored), 'EX', KEEP_SECONDS).catch(() => undefined);
    },

    /** Frees the key of a request that failed. */
    async release(res: Response): Promise<void> {
      const pending = res.locals.idempotency as { target: string } | undefined;
      if (pending) await deps.redis.del(pending.target).catch(() => undefined);
    },
  };
}

export type TIdempotency = ReturnType<typeof createIdempotency>;
