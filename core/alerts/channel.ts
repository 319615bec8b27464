/** The Redis channel an owner's alert events are published on (live streams subscribe to it). */
export const alertChannel = (prefix: string, ownerId: string) => `${prefix}alerts:user:${ownerId}`;
