import { createHash } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { Redis } from 'ioredis';
import { principalOf, type TActor } from '../../core/platform/access/index.ts';
import { AppError, ErrorCode } from '../../core/platform/errors/app-error.ts';
import { actorOf } from './locals.ts';

const KEY = /^[\x21-\x7e]{1,255}$/;
const KEEP_SECONDS = 24 * 3600;
const IN_PROGRESS_SECONDS = 60;

/** A kept answer; one over the size cap keeps only its status and the id of what it created (`ref`). */
type TStored = { fingerprint: string; status: number; body?: unknown; bytes?: number; ref?: string | null };

/**
 * `Idempotency-Key` on POSTs (draft-ietf-httpapi-idempotency-key-header): the first request with a key
 * runs and its successful answer is kept for 24 hours per caller and route; a retry with the same key
 * and the same request gets that answer again (`Idempotent-Replayed: true`) without running twice; the
 * same key with another request is a 422; a retry while the first is still running is a 409. A request
 * that fails releases its key, so a corrected retry runs. Records live in the cache store, so they are
 * bounded: an answer over `maxBodyBytes` is kept as a reference (its status and the id it created), and a
 * retry of it is a 409 saying so rather than a copy of the answer.
 */
export function createIdempotency(deps: { redis: Redis; keyPrefix: string; maxBodyBytes: number }) {
  const storageKey = (actor: TActor, path: string, key: string) =>
    `${deps.keyPrefix}idem:${principalOf(actor)}:${createHash('sha256').update(`${path}\n${key}`).digest('hex')}`;

  function replay(res: Response, stored: TStored): void {
    if (stored.body === undefined) {
      throw new AppError(ErrorCode.Conflict, {
        detail: `A request with this Idempotency-Key already succeeded (status ${stored.status}); its answer (${stored.bytes} bytes) was larger than the ${deps.maxBodyBytes} bytes kept for replays, so it is not repeated: read the result instead.`,
        extensions: {
          reason: 'idempotent_answer_not_kept',
          original_status: stored.status,
          ...(stored.ref ? { resource_id: stored.ref } : {}),
        },
      });
    }
    res.setHeader('Idempotent-Replayed', 'true');
    res.setHeader('Cache-Control', 'no-store');
    if (stored.status === 204) res.status(204).end();
    else res.status(stored.status).json(stored.body);
  }

  return {
    /**
     * Runs before the handler: replays a kept answer, or marks the key as in progress. `applies` says
     * whether this request takes part (a dry run changes nothing: it runs every time and keeps nothing).
     */
    guard:
      (applies?: (res: Response) => boolean): RequestHandler =>
      async (req, res, next) => {
        const key = req.get('idempotency-key');
        if (key === undefined || (applies && !applies(res))) {
          next();
          return;
        }
        if (!KEY.test(key)) {
          throw new AppError(ErrorCode.ValidationFailed, {
            detail: 'Idempotency-Key: 1 to 255 visible ASCII characters',
            errors: [{ name: 'Idempotency-Key', in: 'header', detail: '1 to 255 visible ASCII characters' }],
          });
        }
        const actor = actorOf(res);
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
          replay(res, stored);
          return;
        }
        res.locals.idempotency = { target, fingerprint };
        next();
      },

    /** Keeps a successful answer for the key: a copy up to the size cap, a reference beyond it. */
    async remember(res: Response, status: number, body: unknown): Promise<void> {
      const pending = res.locals.idempotency;
      if (!pending) return;
      const json = JSON.stringify(body ?? null);
      const bytes = Buffer.byteLength(json);
      const id = (body as { id?: unknown } | null)?.id;
      const record =
        bytes <= deps.maxBodyBytes
          ? `{"fingerprint":"${pending.fingerprint}","status":${status},"body":${json}}`
          : JSON.stringify({
              fingerprint: pending.fingerprint,
              status,
              bytes,
              ref: typeof id === 'string' ? id.slice(0, 100) : null,
            } satisfies TStored);
      await deps.redis.set(pending.target, record, 'EX', KEEP_SECONDS).catch(() => undefined);
    },

    /** Frees the key of a request that failed. */
    async release(res: Response): Promise<void> {
      const pending = res.locals.idempotency;
      if (pending) await deps.redis.del(pending.target).catch(() => undefined);
    },
  };
}

export type TIdempotency = ReturnType<typeof createIdempotency>;
