// What each role may do, as src/domains/auth/permissions.ts grants it. The console only uses this
// to hide controls a role cannot use; the API enforces the same table on every call, so a stale
// copy here can at worst show a button that answers 403.
export type Permission =
  | 'read'
  | 'alarms:write'
  | 'commands:send'
  | 'firmware:write'
  | 'rules:write'
  | 'channels:manage'
  | 'devices:write'
  | 'models:write'
  | 'dashboards:write'
  | 'deadletter:read'
  | 'users:manage'
  | 'audit:read'
  | 'tenants:manage';

export const ROLES = ['viewer', 'operator', 'engineer', 'admin', 'superadmin'] as const;
export type Role = (typeof ROLES)[number];

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

function isRole(role: string | null): role is Role {
  return role !== null && (ROLES as readonly string[]).includes(role);
}

/** An unknown role (e.g. one added on the server later) may do nothing as far as the UI knows. */
export function roleCan(role: string | null, permission: Permission): boolean {
  return isRole(role) && ROLE_PERMISSIONS[role].has(permission);
}

/** The roles a user may hand out: those whose permissions the granter holds all of (as the API checks). */
export function grantableRoles(granter: string | null): Role[] {
  if (!isRole(granter)) return [];
  const held = ROLE_PERMISSIONS[granter];
  return ROLES.filter((r) => [...ROLE_PERMISSIONS[r]].every((p) => held.has(p)));
}

/** The API-key scopes a user may give a key: the permissions of their own role. */
export function grantableScopes(granter: string | null): Permission[] {
  return isRole(granter) ? [...ROLE_PERMISSIONS[granter]] : [];
}
