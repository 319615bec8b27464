/**
 * Every permission of the platform, `resource:action`, and what each role holds: the one table the
 * routes, the services and the README's matrix are all derived from.
 */
export const PERMISSIONS = {
  'market:read': 'Listings, coin detail, history and top lists',
  'risk:read': 'Coin risk reports, correlations and rankings',
  'account:manage': "Read one's own account and change one's password",
  'api_keys:manage': "Create, list and revoke one's own API keys",
  'portfolios:manage':
    "Create portfolios and manage one's own: transactions, imports, holdings, performance, risk, targets",
  'portfolios:admin': "Read and change anyone's portfolios",
  'alerts:manage': "Create one's own alerts and webhook endpoints; read their events and deliveries",
  'alerts:admin': "Read and change anyone's alerts and webhook endpoints",
  'jobs:trigger': 'Trigger market syncs and backfills',
  'jobs:read': 'Follow the jobs one started',
  'jobs:admin': 'See every job; the queue dashboard',
  'users:admin': 'Register, search, change and suspend users; end their sessions; revoke their keys',
  'audit:read': 'Read the audit log',
  'reports:manage':
    "Request one's own reports (statements, realized gains, coin risk) and schedules; download them",
  'reports:admin': "Read, download and delete anyone's reports and schedules",
} as const;

export type TPermission = keyof typeof PERMISSIONS;
export const PERMISSION_NAMES = Object.keys(PERMISSIONS) as TPermission[];

export const ROLES = ['admin', 'trader', 'analyst', 'service'] as const;
export type TRole = (typeof ROLES)[number];

const READ: TPermission[] = ['market:read', 'risk:read'];
const SELF: TPermission[] = ['account:manage', 'api_keys:manage'];

export const ROLE_PERMISSIONS: Record<TRole, readonly TPermission[]> = {
  admin: PERMISSION_NAMES,
  // Owns portfolios; reads markets and risk.
  trader: [...READ, ...SELF, 'portfolios:manage', 'alerts:manage', 'reports:manage'],
  // Reads markets and risk, with alerts on them; coin risk reports.
  analyst: [...READ, ...SELF, 'alerts:manage', 'reports:manage'],
  // Machine accounts: trigger syncs and backfills and follow those jobs.
  service: [...READ, ...SELF, 'jobs:trigger', 'jobs:read'],
};

/** What an anonymous caller may do while PUBLIC_MARKET_DATA is on (the default). */
export const PUBLIC_PERMISSIONS: readonly TPermission[] = READ;
