import { ownsOrMay, standingOf } from '../platform/access/index.ts';
import type { TQueryable } from '../platform/db/tx.ts';
import { alertOwner, type TAlertRecord } from './alerts.repository.ts';

/**
 * Why an alert may no longer be evaluated for its owner, or null when it may. An alert acts for its
 * owner long after the request that made it, so each evaluation asks again what a request would: the
 * owner is active, their role still holds `alerts:manage`, and a watched portfolio is still theirs to
 * read (their own with `portfolios:manage`, or anyone's with `portfolios:admin`). What the role holds
 * now counts, not the key that made the alert: an alert belongs to the user.
 */
export async function lostStanding(
  q: TQueryable,
  alert: Pick<TAlertRecord, 'owner_id' | 'portfolio_id'>,
  options: { share?: boolean } = {},
): Promise<string | null> {
  const owner = await alertOwner(q, alert, options);
  if (!owner || owner.status !== 'active') return 'owner not active';
  const standing = standingOf(owner);
  if (!standing.permissions.has('alerts:manage')) return 'owner no longer holds alerts:manage';
  if (alert.portfolio_id === null) return null;
  if (owner.portfolio_owner_id === null) return 'portfolio gone';
  if (
    !standing.permissions.has('portfolios:manage') ||
    !ownsOrMay(standing, owner.portfolio_owner_id, 'portfolios:admin')
  )
    return 'owner may no longer read the portfolio';
  return null;
}
