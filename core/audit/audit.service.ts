import type { DataSource } from 'typeorm';
import { requirePermission, type TActor } from '../platform/access/index.ts';
import type { TQueryable } from '../platform/db/tx.ts';
import { logContext } from '../platform/logging/logger.ts';
import { keysetPage } from '../platform/paging.ts';
import {
  deleteAuditOlderThan,
  insertAudit,
  listAudit,
  type TAuditFilter,
  type TAuditRow,
} from './audit.repository.ts';

export type TAuditEvent = {
  /** What happened, e.g. `auth.login`, `api_key.create`, `user.update`, `authz.denied`. */
  action: string;
  outcome: 'success' | 'failure' | 'denied';
  target?: { type: string; id: string };
  /** Context for readers; never a secret (fields that look like one are dropped). */
  details?: Record<string, unknown>;
};

export type TAuditActor = TActor | { kind: 'system'; ip?: string };

const SECRET_FIELD = /password|token|secret/i;
const SECRET_VALUE = /^(tbk_|tbr_|eyJ)/;

/** Drops whatever might be a credential, however a caller filled `details`. */
function scrub(details: Record<string, unknown> = {}): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(details).filter(
      ([key, value]) => !SECRET_FIELD.test(key) && !(typeof value === 'string' && SECRET_VALUE.test(value)),
    ),
  );
}

function actorColumns(actor: TAuditActor) {
  switch (actor.kind) {
    case 'user':
      return {
        actor_type: 'user' as const,
        actor_id: actor.userId,
        actor_user_id: actor.userId,
        ip: actor.ip,
      };
    case 'api_key':
      return {
        actor_type: 'api_key' as const,
        actor_id: actor.keyId,
        actor_user_id: actor.userId,
        ip: actor.ip,
      };
    case 'anonymous':
      return { actor_type: 'anonymous' as const, actor_id: null, actor_user_id: null, ip: actor.ip };
    default:
      return { actor_type: 'system' as const, actor_id: null, actor_user_id: null, ip: actor.ip ?? null };
  }
}

/** The position after `row`: where the next page starts (`<time>~<id>`). */
const cursorAfter = (row: TAuditRow) => `${row.at}~${row.id}`;

export type TAuditService = ReturnType<typeof createAuditService>;

/** The audit log: every security-relevant event, appended in the transaction of the change it records. */
export function createAuditService(deps: { db: DataSource; retentionDays?: number }) {
  return {
    /** Retention (the daily cleanup job): events older than AUDIT_RETENTION_DAYS before `asOf`. */
    purge(asOf: Date, batchSize?: number) {
      return deleteAuditOlderThan(deps.db, {
        days: deps.retentionDays ?? 365,
        asOf,
        ...(batchSize ? { batchSize } : {}),
      });
    },

    /** Appends `event` by `actor` on `q`: pass the transaction of the change so both commit or neither. */
    async record(q: TQueryable, actor: TAuditActor, event: TAuditEvent): Promise<void> {
      await insertAudit(q, {
        ...actorColumns(actor),
        request_id: logContext.getStore()?.requestId ?? null,
        action: event.action,
        target_type: event.target?.type ?? null,
        target_id: event.target?.id ?? null,
        outcome: event.outcome,
        details: scrub(event.details),
      });
    },

    /** Records an event that changes nothing (a denial, a failed login) on its own. */
    recordAlone(actor: TAuditActor, event: TAuditEvent): Promise<void> {
      return this.record(deps.db, actor, event);
    },

    /** The log of a period oldest first, a page at a time (the reports' audit export); needs audit:read. */
    async *chronological(actor: TActor, period: { from: Date; to: Date }, pageSize = 1000) {
      requirePermission(actor, 'audit:read');
      let after: { at: string; id: string } | 'start' = 'start';
      for (;;) {
        const rows = await listAudit(deps.db, { ...period, limit: pageSize, after });
        yield* rows;
        if (rows.length < pageSize) return;
        after = { at: rows.at(-1)!.at, id: rows.at(-1)!.id };
      }
    },

    async list(actor: TActor, query: Omit<TAuditFilter, 'before'> & { cursor?: { at: string; id: string } }) {
      requirePermission(actor, 'audit:read');
      const { cursor, ...filter } = query;
      return keysetPage(
        query.limit,
        (limit) => listAudit(deps.db, { ...filter, limit, ...(cursor ? { before: cursor } : {}) }),
        cursorAfter,
      );
    },
  };
}
