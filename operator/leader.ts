import { ApiException, type CoordinationV1Api, type V1Lease, V1MicroTime } from '@kubernetes/client-node';

/**
 * Leader election on a coordination.k8s.io Lease (client-node has none): the holder renews the Lease
 * every `renewMs`; another candidate takes it over only once `leaseSeconds` have passed without a
 * renewal. Every write carries the resourceVersion it read, so of two candidates writing at once one
 * gets 409 Conflict and stays a follower. A leader that cannot renew within the lease duration stops
 * leading (`onStopped`); `release` hands the Lease back at shutdown so a follower takes over at once.
 */
export function createLeaderElector(options: {
  api: CoordinationV1Api;
  namespace: string;
  name: string;
  identity: string;
  leaseSeconds: number;
  renewMs: number;
  onStarted: () => void;
  onStopped: () => void;
  log: (message: string, details?: Record<string, unknown>) => void;
}) {
  const { api, namespace, name, identity, leaseSeconds } = options;
  let leading = false;
  let lastRenewed = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const expired = (lease: V1Lease, now: number) => {
    const renewed = lease.spec?.renewTime ? new Date(lease.spec.renewTime).getTime() : 0;
    return (
      !lease.spec?.holderIdentity || renewed + (lease.spec.leaseDurationSeconds ?? leaseSeconds) * 1000 < now
    );
  };

  async function attempt(): Promise<boolean> {
    const now = Date.now();
    let lease: V1Lease | undefined;
    try {
      lease = await api.readNamespacedLease({ name, namespace });
    } catch (error) {
      if (!(error instanceof ApiException) || error.code !== 404) throw error;
    }
    const spec = {
      holderIdentity: identity,
      leaseDurationSeconds: leaseSeconds,
      renewTime: new V1MicroTime(now),
    };
    if (!lease) {
      await api.createNamespacedLease({
        namespace,
        body: {
          metadata: { name, namespace },
          spec: { ...spec, acquireTime: new V1MicroTime(now), leaseTransitions: 0 },
        },
      });
      return true;
    }
    const mine = lease.spec?.holderIdentity === identity;
    if (!mine && !expired(lease, now)) return false;
    await api.replaceNamespacedLease({
      name,
      namespace,
      body: {
        ...lease,
        spec: {
          ...lease.spec,
          ...spec,
          ...(mine
            ? {}
            : {
                acquireTime: new V1MicroTime(now),
                leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + 1,
              }),
        },
      },
    });
    return true;
  }

  async function tick() {
    try {
      const held = await attempt();
      if (held) lastRenewed = Date.now();
      if (held && !leading) {
        leading = true;
        options.log('became the leader', { lease: name, identity });
        options.onStarted();
      } else if (!held && leading) {
        leading = false;
        options.onStopped();
      }
    } catch (error) {
      // 409: another candidate wrote first. Anything else: the API server is away; keep leading only
      // while the Lease we hold has not run out.
      if (!(error instanceof ApiException && error.code === 409))
        options.log('lease renewal failed', { error: String(error) });
      if (leading && Date.now() - lastRenewed > leaseSeconds * 1000) {
        leading = false;
        options.log('lost the lease', { lease: name });
        options.onStopped();
      }
    }
    if (!stopped) timer = setTimeout(() => void tick(), options.renewMs);
  }

  return {
    start: () => void tick(),
    isLeader: () => leading,
    /** Stops campaigning and, when leading, hands the Lease back (an expired renewTime, no holder). */
    async release() {
      stopped = true;
      clearTimeout(timer);
      if (!leading) return;
      leading = false;
      try {
        const lease = await api.readNamespacedLease({ name, namespace });
        if (lease.spec?.holderIdentity !== identity) return;
        await api.replaceNamespacedLease({
          name,
          namespace,
          body: {
            ...lease,
            spec: {
              ...lease.spec,
              holderIdentity: undefined,
              renewTime: new V1MicroTime(0),
              leaseDurationSeconds: 1,
            },
          },
        });
      } catch (error) {
        options.log('could not release the lease', { error: String(error) });
      }
    },
  };
}
