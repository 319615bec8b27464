import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Router, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { TAuditService } from '../../core/audit/index.ts';
import type { TQueues } from '../../core/platform/jobs/index.ts';
import { requirePermission } from '../../core/platform/access/index.ts';
import { AppError, ErrorCode } from '../../core/platform/errors/app-error.ts';
import { actorOf } from './locals.ts';

export const DASHBOARD_PATH = '/admin/queues';

/**
 * The dashboard is a browser page: without credentials it asks for them the way browsers understand
 * (HTTP Basic; the password is an API key with jobs:admin), besides Bearer and X-API-Key.
 */
const dashboardAccess: RequestHandler = (_req, res, next) => {
  const actor = actorOf(res);
  if (actor.kind === 'anonymous')
    res.setHeader('WWW-Authenticate', 'Basic realm="trading-backend queues", charset="UTF-8"');
  requirePermission(actor, 'jobs:admin');
  next();
};

/** A path segment decoded, or as it is when its escapes are malformed (an audit label, never a failure). */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * What a write call of Bull Board's API does, from its path: `/api/queues/pause`,
 * `/api/queues/<queue>/<verb>[/<state>]` or `/api/queues/<queue>/<job>/<verb>`.
 */
export function dashboardAction(path: string): {
  action: string;
  queue?: string;
  job?: string;
  state?: string;
} {
  const parts = path
    .replace(/^\/api\/queues\/?/, '')
    .split('/')
    .filter(Boolean)
    .map(decoded);
  const [first, second, third] = parts;
  if (parts.length === 1) return { action: `${first}_all` };
  if (parts.length === 2) return { action: second!, queue: first! };
  if (parts.length === 3 && (second === 'retry' || second === 'clean'))
    return { action: `${second}_all`, queue: first!, state: third! };
  if (parts.length === 3) return { action: third!, queue: first!, job: second! };
  return { action: 'unknown' };
}

/**
 * Writes are off unless QUEUE_DASHBOARD_WRITES: the dashboard reads. When on, every write is in the audit
 * log with its actor, what it did to which queue or job, and how it ended.
 */
function guardWrites(deps: { writable: boolean; audit: TAuditService; logger: Logger }): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    if (!deps.writable)
      throw new AppError(ErrorCode.Forbidden, {
        detail:
          'The queue dashboard is read-only (QUEUE_DASHBOARD_WRITES=false): it shows jobs, it does not change them.',
      });
    const actor = actorOf(res);
    const { action, queue, job, state } = dashboardAction(req.path);
    // 'close' comes whether the answer was sent or the client left first: the write is audited either way.
    res.once('close', () => {
      deps.audit
        .recordAlone(actor, {
          action: `queue_dashboard.${action}`,
          outcome: res.statusCode < 400 ? 'success' : 'failure',
          ...(queue
            ? { target: job ? { type: 'job', id: `${queue}/${job}` } : { type: 'queue', id: queue } }
            : {}),
          details: {
            method: req.method,
            path: req.path,
            status: res.statusCode,
            answered: res.writableFinished,
            ...(state ? { state } : {}),
          },
        })
        .catch((error: unknown) => deps.logger.error({ err: error }, 'queue dashboard: audit write failed'));
    });
    next();
  };
}

/** Bull Board for operators (jobs:admin): read-only unless configured otherwise, writes audited. */
export function queueDashboard(deps: {
  queues: TQueues;
  authenticate: RequestHandler;
  audit: TAuditService;
  logger: Logger;
  writable: boolean;
}): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: Object.values(deps.queues.queues).map(
      (queue) => new BullMQAdapter(queue, { readOnlyMode: !deps.writable }),
    ),
    serverAdapter,
  });
  const router = Router();
  router.use(deps.authenticate, dashboardAccess, guardWrites(deps), serverAdapter.getRouter());
  return router;
}
