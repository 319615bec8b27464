import type { DataSource } from 'typeorm';
import type { TAuditService } from '../audit/index.ts';
import { inTransaction } from '../platform/db/tx.ts';
import type { TSecretBox } from './signature.ts';
import { lockSealedSecrets, replaceSealedSecrets } from './webhooks.repository.ts';

export type TResealReport = { checked: number; resealed: number; unreadable: string[] };

/**
 * Rewrites every sealed endpoint secret (current and rotated-out) under the current SECRET_KEY, one
 * locked page at a time, so SECRET_KEY_PREVIOUS can then be dropped. A box no configured key opens is
 * left as it is and reported: dropping its key would lose that endpoint's secret.
 */
export async function resealSecrets(
  deps: { db: DataSource; box: TSecretBox; audit: TAuditService },
  pageSize = 200,
): Promise<TResealReport> {
  const { db, box } = deps;
  const report: TResealReport = { checked: 0, resealed: 0, unreadable: [] };
  let after: string | null = null;
  for (;;) {
    // Counted per committed page: a page retried after a deadlock must not count twice.
    const page = await inTransaction(db, async (tx) => {
      const rows = await lockSealedSecrets(tx, after, pageSize);
      let resealed = 0;
      const unreadable: string[] = [];
      for (const row of rows) {
        if (!box.stale(row.secret_box) && !(row.previous_secret_box && box.stale(row.previous_secret_box)))
          continue;
        const reseal = (sealed: string) => (box.stale(sealed) ? box.seal(box.open(sealed)) : sealed);
        let secrets;
        try {
          secrets = {
            secret_box: reseal(row.secret_box),
            previous_secret_box: row.previous_secret_box ? reseal(row.previous_secret_box) : null,
          };
        } catch {
          unreadable.push(row.id);
          continue;
        }
        await replaceSealedSecrets(tx, row.id, secrets);
        resealed += 1;
      }
      return { rows, resealed, unreadable };
    });
    report.checked += page.rows.length;
    report.resealed += page.resealed;
    report.unreadable.push(...page.unreadable);
    if (page.rows.length < pageSize) break;
    after = page.rows.at(-1)!.id;
  }
  await deps.audit.recordAlone(
    { kind: 'system' },
    {
      action: 'webhook.reseal_secrets',
      outcome: report.unreadable.length ? 'failure' : 'success',
      details: { checked: report.checked, resealed: report.resealed, unreadable: report.unreadable },
    },
  );
  return report;
}
