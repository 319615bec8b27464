import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestApi, type TTestApi } from '../../test/api-server.ts';
import { signIn, type TSignedIn } from '../../test/auth.ts';
import { testConfig } from '../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../test/db.ts';
import { dashboardAction } from './queue-dashboard.ts';

/**
 * The queue dashboard (Bull Board): a page no one may frame, read-only unless QUEUE_DASHBOARD_WRITES is
 * on, and then every write in the audit log with its actor.
 */
let database: TTestDatabase;
let readOnly: TTestApi;
let writable: TTestApi;
let admin: TSignedIn;
beforeAll(async () => {
  const config = testConfig();
  database = await createTestDatabase(config);
  readOnly = await startTestApi(config, database.db);
  writable = await startTestApi(testConfig({ QUEUE_DASHBOARD_WRITES: 'true' }), database.db);
  admin = await signIn(readOnly, 'admin');
});
afterAll(async () => {
  for (const api of [readOnly, writable]) {
    await api.queues.get('cleanup-history').obliterate({ force: true });
    await api.close();
  }
  await database.drop();
});

const put = (api: TTestApi, path: string) =>
  fetch(`${api.url}/admin/queues/api/queues/${path}`, { method: 'PUT', headers: admin.headers });

describe('Queue dashboard', () => {
  test('When the dashboard page is served, then framing it is denied and its page policy allows nothing foreign but its fonts', async () => {
    const page = await fetch(`${readOnly.url}/admin/queues`, { headers: admin.headers });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const policy = page.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toMatch(/script-src[^;]*unsafe/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const api = await fetch(`${readOnly.url}/admin/queues/api/queues`, { headers: admin.headers });
    expect(api.headers.get('x-frame-options')).toBe('DENY');
  });

  test('When writes are not enabled, then pausing, cleaning or obliterating a queue is a 403 problem and changes nothing', async () => {
    for (const path of [
      'cleanup-history/pause',
      'cleanup-history/clean/completed',
      'cleanup-history/obliterate',
      'pause',
    ]) {
      const answer = await put(readOnly, path);
      expect(answer.status).toBe(403);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await answer.json()) as { detail: string }).detail).toMatch(
        /read-only \(QUEUE_DASHBOARD_WRITES=false\)/,
      );
    }
    expect(await readOnly.queues.get('cleanup-history').isPaused()).toBe(false);
    const listed = (await (
      await fetch(`${readOnly.url}/admin/queues/api/queues`, { headers: admin.headers })
    ).json()) as { queues: { readOnlyMode: boolean }[] };
    expect(listed.queues.every((queue) => queue.readOnlyMode)).toBe(true);
  });

  test('When writes are enabled, then each write happens and is audited with its actor, target and outcome', async () => {
    expect((await put(writable, 'cleanup-history/pause')).status).toBe(200);
    expect(await writable.queues.get('cleanup-history').isPaused()).toBe(true);
    expect((await put(writable, 'cleanup-history/resume')).status).toBe(200);
    expect(await writable.queues.get('cleanup-history').isPaused()).toBe(false);
    expect((await put(writable, 'cleanup-history/not-a-job/retry')).status).toBe(404);
    const rows = await waitForAudit(3);
    expect(rows).toEqual([
      expect.objectContaining({
        action: 'queue_dashboard.pause',
        outcome: 'success',
        actor_user_id: admin.userId,
        target_type: 'queue',
        target_id: 'cleanup-history',
      }),
      expect.objectContaining({ action: 'queue_dashboard.resume', outcome: 'success' }),
      expect.objectContaining({
        action: 'queue_dashboard.retry',
        outcome: 'failure',
        target_type: 'job',
        target_id: 'cleanup-history/not-a-job',
      }),
    ]);
    expect(rows[0]!.details).toMatchObject({ method: 'PUT', status: 200, answered: true });
  });

  test('When a write path is read, then it names the action and what it acts on', () => {
    expect(dashboardAction('/api/queues/pause')).toEqual({ action: 'pause_all' });
    expect(dashboardAction('/api/queues/sync-markets/obliterate')).toEqual({
      action: 'obliterate',
      queue: 'sync-markets',
    });
    expect(dashboardAction('/api/queues/sync-markets/clean/failed')).toEqual({
      action: 'clean_all',
      queue: 'sync-markets',
      state: 'failed',
    });
    expect(dashboardAction('/api/queues/sync-markets/%E0%A4%A/retry')).toEqual({
      action: 'retry',
      queue: 'sync-markets',
      job: '%E0%A4%A',
    });
    expect(dashboardAction('/api/queues/sync-markets/job%201/update-data')).toEqual({
      action: 'update-data',
      queue: 'sync-markets',
      job: 'job 1',
    });
  });
});

async function waitForAudit(count: number, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await database.db.query(
      `SELECT action, outcome, actor_user_id, target_type, target_id, details FROM audit_events
       WHERE action LIKE 'queue_dashboard.%' ORDER BY at, id`,
    );
    if (rows.length >= count || Date.now() > deadline) return rows;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
