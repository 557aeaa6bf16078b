// Who may do what: one table from route to permission, one from role to permissions. The HTTP
// layer (src/transports/http/access.ts) enforces the route table in a single hook and refuses to
// start when a route has no entry, so a new route cannot ship unprotected by omission.
import type { Role } from '../../ports/metadata-store.js';

export const PERMISSIONS = [
  'read', // devices, telemetry, analytics, alarms, models of the own tenant
  'alarms:write', // acknowledge, dismiss, clear
  'commands:send', // RPC to devices (operators run the plant)
  'firmware:write', // OTA packages, assignments and campaigns
  'rules:write', // rules, notification policies and silences
  'channels:manage', // notification channels (they hold secrets: webhook keys, SMTP passwords)
  'devices:write', // register, edit, delete, rotate credentials
  'models:write', // detectors, maintenance policies, RUL models, retraining
  'dashboards:write', // create, edit, delete dashboards
  'deadletter:read', // rejected payloads of the tenant's devices
  'users:manage', // users, their sessions and lockouts, API keys
  'audit:read',
  'tenants:manage', // the platform: every tenant
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Not a permission: who may call at all. public: anyone; device: a device token checked by the
 *  route; self: any logged-in user, acting on their own account. */
export type RouteAccess = Permission | 'public' | 'device' | 'self';

const VIEWER: Permission[] = ['read'];
const OPERATOR: Permission[] = [...VIEWER, 'alarms:write', 'commands:send'];
const ENGINEER: Permission[] = [...OPERATOR, 'devices:write', 'firmware:write', 'rules:write', 'models:write', 'dashboards:write', 'deadletter:read'];
const ADMIN: Permission[] = [...ENGINEER, 'users:manage', 'audit:read', 'channels:manage'];
const SUPERADMIN: Permission[] = [...ADMIN, 'tenants:manage'];

export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  viewer: new Set(VIEWER),
  operator: new Set(OPERATOR),
  engineer: new Set(ENGINEER),
  admin: new Set(ADMIN),
  superadmin: new Set(SUPERADMIN),
};
export const ROLES = Object.keys(ROLE_PERMISSIONS) as Role[];

/** What a tenant's custom role may contain: everything but the platform's own permission. */
export const CUSTOM_ROLE_PERMISSIONS: readonly Permission[] = PERMISSIONS.filter((p) => p !== 'tenants:manage');

/** What a caller holds: its custom role's set when it has one, else its built-in role's. */
export function permissionsOf(holder: { role: Role; permissions?: ReadonlySet<Permission> }): ReadonlySet<Permission> {
  return holder.permissions ?? ROLE_PERMISSIONS[holder.role] ?? new Set();
}

/** Whether a holder may hand out a permission set: nobody grants more than they hold. */
export function holdsAll(holder: ReadonlySet<Permission>, wanted: Iterable<Permission>): boolean {
  for (const p of wanted) if (!holder.has(p)) return false;
  return true;
}

/** Whether a role may grant another: nobody hands out more than they hold. */
export function canGrant(granter: Role, role: Role): boolean {
  for (const p of ROLE_PERMISSIONS[role]) if (!ROLE_PERMISSIONS[granter].has(p)) return false;
  return true;
}

/** `METHOD /url/with/:params` → access. Every route of the HTTP API is listed here. */
export const ROUTE_ACCESS: Readonly<Record<string, RouteAccess>> = {
  'POST /api/v1/auth/login': 'public',
  'POST /api/v1/auth/refresh': 'public',
  'POST /api/v1/auth/logout': 'public', // the refresh token itself is the credential
  'GET /api/v1/auth/me': 'self',
  'POST /api/v1/auth/password': 'self',
  'GET /api/v1/auth/sessions': 'self',
  'DELETE /api/v1/auth/sessions/:id': 'self',

  'GET /api/v1/users': 'users:manage',
  'POST /api/v1/users': 'users:manage',
  'GET /api/v1/users/:id': 'users:manage',
  'PATCH /api/v1/users/:id': 'users:manage',
  'DELETE /api/v1/users/:id': 'users:manage',
  'POST /api/v1/users/:id/password': 'users:manage',
  'GET /api/v1/users/:id/sessions': 'users:manage',
  'DELETE /api/v1/users/:id/sessions': 'users:manage',
  'DELETE /api/v1/users/:id/lockout': 'users:manage',

  'GET /api/v1/roles': 'users:manage',
  'POST /api/v1/roles': 'users:manage',
  'GET /api/v1/roles/:id': 'users:manage',
  'PUT /api/v1/roles/:id': 'users:manage',
  'DELETE /api/v1/roles/:id': 'users:manage',

  'GET /api/v1/api-keys': 'users:manage',
  'POST /api/v1/api-keys': 'users:manage',
  'DELETE /api/v1/api-keys/:id': 'users:manage',

  'GET /api/v1/tenants': 'tenants:manage',
  'POST /api/v1/tenants': 'tenants:manage',
  'PATCH /api/v1/tenants/:id': 'tenants:manage',
  'DELETE /api/v1/tenants/:id': 'tenants:manage',
  'GET /api/v1/tenant': 'read',

  'POST /api/v1/devices': 'devices:write',
  'GET /api/v1/devices': 'read',
  'GET /api/v1/devices/:id': 'read',
  'PATCH /api/v1/devices/:id': 'devices:write',
  'DELETE /api/v1/devices/:id': 'devices:write',
  'POST /api/v1/devices/:id/credentials/rotate': 'devices:write',
  'POST /api/v1/devices/:id/disable': 'devices:write',
  'POST /api/v1/devices/:id/enable': 'devices:write',
  'PUT /api/v1/devices/:id/credentials/mqtt-basic': 'devices:write',
  'GET /api/v1/devices/:id/credentials/mqtt-basic': 'devices:write', // who may connect as the device: not for viewers
  'DELETE /api/v1/devices/:id/credentials/mqtt-basic': 'devices:write',
  'POST /api/v1/devices/:id/certificates': 'devices:write',
  'POST /api/v1/devices/:id/certificates/register': 'devices:write',
  'GET /api/v1/devices/:id/certificates': 'read',
  'POST /api/v1/certificates/:fingerprint/revoke': 'devices:write',
  'GET /api/v1/device-ca/certificate': 'read',
  'GET /api/v1/device-ca/crl': 'read',
  'GET /api/v1/device-cas': 'read',
  'POST /api/v1/device-cas': 'devices:write',
  'DELETE /api/v1/device-cas/:id': 'devices:write',
  'POST /api/v1/device-profiles': 'devices:write',
  'GET /api/v1/device-profiles': 'read',
  'GET /api/v1/device-profiles/:id': 'read',
  'PUT /api/v1/device-profiles/:id': 'devices:write',
  'DELETE /api/v1/device-profiles/:id': 'devices:write',
  'GET /api/v1/devices/:id/telemetry': 'read',
  'GET /api/v1/devices/:id/telemetry/latest': 'read',
  'GET /api/v1/devices/:id/keys': 'read',
  'GET /api/v1/ingest/rejected': 'deadletter:read',

  // Device management (attributes, commands, provisioning, claiming, OTA).
  'GET /api/v1/devices/:id/attributes': 'read',
  'GET /api/v1/devices/:id/gateway': 'read',
  'GET /api/v1/devices/:id/attributes/history': 'read',
  'POST /api/v1/devices/:id/attributes/:scope': 'devices:write',
  'DELETE /api/v1/devices/:id/attributes/:scope': 'devices:write',
  'POST /api/v1/devices/:id/rpc': 'commands:send',
  'GET /api/v1/devices/:id/rpc': 'read',
  'GET /api/v1/devices/:id/rpc/:rpcId': 'read',
  'POST /api/v1/devices/import': 'devices:write',
  'POST /api/v1/devices/claim': 'devices:write',
  'POST /api/v1/provisioning/profiles': 'devices:write',
  'GET /api/v1/provisioning/profiles': 'read',
  'DELETE /api/v1/provisioning/profiles/:id': 'devices:write',
  'POST /api/v1/ota/packages': 'firmware:write',
  'GET /api/v1/ota/packages': 'read',
  'DELETE /api/v1/ota/packages/:id': 'firmware:write',
  'POST /api/v1/ota/packages/:id/assign': 'firmware:write',
  'PUT /api/v1/devices/:id/ota/:kind': 'firmware:write',
  'GET /api/v1/devices/:id/ota/:kind': 'read',
  'DELETE /api/v1/devices/:id/ota/:kind': 'firmware:write',
  'POST /api/v1/ota/campaigns': 'firmware:write',
  'GET /api/v1/ota/campaigns': 'read',
  'GET /api/v1/ota/campaigns/:id': 'read',
  'POST /api/v1/ota/campaigns/:id/resume': 'firmware:write',
  'POST /api/v1/ota/campaigns/:id/rollback': 'firmware:write',
  'GET /api/v1/devices/:id/forecast': 'read',
  'GET /api/v1/devices/:id/trends': 'read',
  'GET /api/v1/devices/:id/time-to-threshold': 'read',
  'GET /api/v1/devices/:id/health': 'read',
  'GET /api/v1/alarms': 'read',
  'POST /api/v1/alarms/:id/acknowledge': 'alarms:write',
  'POST /api/v1/alarms/:id/dismiss': 'alarms:write',
  'POST /api/v1/alarms/:id/clear': 'alarms:write',
  'GET /api/v1/models': 'read',
  'POST /api/v1/models/retrain': 'models:write',
  'GET /api/v1/analytics/detectors': 'read',
  'PUT /api/v1/analytics/detectors/:type': 'models:write',
  'DELETE /api/v1/analytics/detectors/:type': 'models:write',
  'GET /api/v1/maintenance/policies': 'read',
  'PUT /api/v1/maintenance/policies/:type': 'models:write',
  'DELETE /api/v1/maintenance/policies/:type': 'models:write',
  'GET /api/v1/maintenance/rul-models': 'read',
  'POST /api/v1/maintenance/rul-models/:type/train': 'models:write',
  'DELETE /api/v1/maintenance/rul-models/:type': 'models:write',

  // Rules, alarm history, notifications (docs/rules.md).
  'GET /api/v1/rules': 'read',
  'POST /api/v1/rules': 'rules:write',
  'GET /api/v1/rules/:id': 'read',
  'GET /api/v1/rules/:id/versions': 'read',
  'PUT /api/v1/rules/:id': 'rules:write',
  'DELETE /api/v1/rules/:id': 'rules:write',
  'POST /api/v1/rules/:id/enable': 'rules:write',
  'POST /api/v1/rules/:id/disable': 'rules:write',
  'POST /api/v1/rules/test': 'read', // a backtest changes nothing
  'GET /api/v1/alarms/:id': 'read',
  'GET /api/v1/alarms/:id/history': 'read',
  'POST /api/v1/alarms/:id/comments': 'alarms:write',
  'GET /api/v1/incidents': 'read',
  'GET /api/v1/incidents/:id': 'read',
  'POST /api/v1/incidents/:id/acknowledge': 'alarms:write',
  'POST /api/v1/notifications/channels': 'channels:manage',
  'GET /api/v1/notifications/channels': 'read',
  'DELETE /api/v1/notifications/channels/:id': 'channels:manage',
  'POST /api/v1/notifications/policies': 'rules:write',
  'GET /api/v1/notifications/policies': 'read',
  'DELETE /api/v1/notifications/policies/:id': 'rules:write',
  'POST /api/v1/silences': 'rules:write',
  'GET /api/v1/silences': 'read',
  'DELETE /api/v1/silences/:id': 'rules:write',
  'GET /api/v1/notifications/deliveries': 'read',

  'GET /api/v1/dashboards': 'read',
  'POST /api/v1/dashboards': 'dashboards:write',
  'GET /api/v1/dashboards/:id': 'read',
  'PUT /api/v1/dashboards/:id': 'dashboards:write',
  'DELETE /api/v1/dashboards/:id': 'dashboards:write',

  'GET /api/v1/audit': 'audit:read',
  'GET /api/v1/audit/export': 'audit:read',

  'POST /api/v1/:token/telemetry': 'device',
  'POST /api/v1/telemetry': 'device',
  'POST /api/v2/write': 'device', // InfluxDB line protocol, Authorization: Token <device token>
  'POST /api/v1/:token/attributes': 'device',
  'GET /api/v1/:token/attributes': 'device',
  'GET /api/v1/:token/attributes/updates': 'device',
  'GET /api/v1/:token/rpc': 'device',
  'POST /api/v1/:token/rpc/:id': 'device',
  'POST /api/v1/:token/rpc': 'device',
  'POST /api/v1/:token/claim': 'device',
  'POST /api/v1/provision': 'device', // the provision key and secret in the body are the credential
  'GET /api/v1/:token/firmware': 'device',
  'GET /api/v1/:token/software': 'device',

  'GET /health': 'public',
  'GET /ready': 'public',
  'GET /metrics': 'public',
  'GET /api/openapi.json': 'public',
  'OPTIONS *': 'public', // CORS preflight (answers only configured origins)
};

/** Documentation UI routes (static files) are public by prefix. */
const PUBLIC_PREFIXES = ['/api/docs'];

/** A file of the built web console (`/assets/index-3f2a.js`, `/favicon.svg`): public, like any
 *  page's static files. Only GET, only names with an extension, never under /api. */
function isConsoleFile(method: string, url: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  if (url === '/api' || url.startsWith('/api/') || url.includes(':') || url.includes('*')) return false;
  return /\/[^/]+\.[A-Za-z0-9]+$/.test(url);
}

export function routeKey(method: string, url: string): string {
  return `${method === 'HEAD' ? 'GET' : method} ${url}`;
}

export function accessFor(method: string, url: string): RouteAccess | undefined {
  const key = routeKey(method, url);
  if (Object.hasOwn(ROUTE_ACCESS, key)) return ROUTE_ACCESS[key];
  if (PUBLIC_PREFIXES.some((p) => url === p || url.startsWith(`${p}/`))) return 'public';
  if (isConsoleFile(method, url)) return 'public';
  return undefined;
}

export function roleHas(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role]?.has(permission) ?? false;
}
