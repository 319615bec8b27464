import { afterAll, beforeAll, expect, test } from '@jest/globals';
import {
  OPERATOR,
  startOperatorHarness,
  type TOperatorHarness,
  type TRule,
  until,
} from '../test/operator-harness.ts';

// The operator's Role against what the operator really calls: the API server's audit log records every
// request of the operator's account (a TokenRequest token for the ServiceAccount the chart renders).
const BUILD_MS = 20 * 60_000;
let h: TOperatorHarness;
beforeAll(async () => {
  h = await startOperatorHarness({ audit: true });
}, BUILD_MS);
afterAll(async () => {
  await h?.close();
});

const key = (group: string, resource: string, verb: string) => `${group || 'core'}/${resource} ${verb}`;

test('When the operator runs as the chart’s account through a feed’s whole life, then every verb it calls is granted and every verb granted is called', async () => {
  const ns = await h.namespace();
  const role = h.renderAccount(ns).find((manifest) => manifest.kind === 'Role') as { rules: TRule[] };
  const operator = await h.startOperator(ns, 'audited');
  await until(async () => ((await h.holder(ns)) === 'audited' ? true : undefined), 'the Lease');

  // Created with a backfill, then changed to drop it (a CronJob replaced, one deleted), then a sync Job.
  await h.createFeed(ns, 'top5', { topN: 5, schedule: '* * * * *', backfillDays: 3 });
  await until(async () => ((await h.cronJobs(ns)).length === 2 ? true : undefined), 'two CronJobs');
  await h.editFeed(ns, 'top5', () => ({ topN: 6, schedule: '*/2 * * * *' }));
  await until(async () => {
    const found = await h.cronJobs(ns);
    return found.length === 1 && found[0]!.spec!.schedule === '*/2 * * * *' ? true : undefined;
  }, 'the backfill CronJob deleted and the sync one updated');
  await until(
    async () => ((await h.readFeed(ns, 'top5')).status?.observedGeneration === 2 ? true : undefined),
    'the status of generation 2',
  );
  // SIGTERM: the watches end and the Lease is handed back.
  operator.process.kill('SIGTERM');
  expect(await operator.exited).toBe(0);

  const user = `system:serviceaccount:${ns}:${OPERATOR}`;
  const requests = h.cluster.auditEvents().filter((event) => event.user.username === user);
  expect(requests.length).toBeGreaterThan(10);
  const refused = requests
    .filter((event) => event.responseStatus?.code === 403)
    .map((event) => `${event.verb} ${event.objectRef?.resource}/${event.objectRef?.subresource ?? ''}`);
  expect(refused).toEqual([]);
  const called = new Set(
    requests
      .filter((event) => event.objectRef?.resource)
      .map((event) => {
        const { apiGroup = '', resource, subresource } = event.objectRef!;
        return key(apiGroup, subresource ? `${resource}/${subresource}` : resource!, event.verb);
      }),
  );
  const granted = new Set(
    role.rules.flatMap((rule) =>
      rule.apiGroups.flatMap((group) =>
        rule.resources.flatMap((resource) => rule.verbs.map((verb) => key(group, resource, verb))),
      ),
    ),
  );
  // Everything in namespace ns, and the Lease only by its own name.
  expect(requests.every((event) => !event.objectRef || event.objectRef.namespace === ns)).toBe(true);
  expect(
    requests
      .filter((event) => event.objectRef?.resource === 'leases')
      .every((event) => event.objectRef!.name === OPERATOR),
  ).toBe(true);
  expect([...called].sort()).toEqual([...granted].sort());
}, 90_000);
