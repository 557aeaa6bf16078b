// Identity beyond the basic user row: account state, login sessions (refresh-token families),
// login failures (lockout), tenant status and quotas, API keys. Narrow on purpose, beside
// MetadataStore (which keeps tenants, users and devices). Implemented on DuckDB (embedded) and
// PostgreSQL (scaled out); every implementation runs test/contracts/identity-store.contract.ts.
import type { Role, User } from './metadata-store.js';

export interface UserAccount extends User {
  disabled: boolean;
}

export interface Session {
  id: string;
  userId: string;
  tenantId: string;
  /** jti of the one refresh token of this family that may still be used. */
  currentTokenId: string;
  createdAt: number;
  lastUsedAt: number;
  expiresAt: number;
  /** Why and when it ended; null while active. */
  revokedAt: number | null;
  revokedReason: string | null;
  ip: string;
  userAgent: string;
}

export interface LoginFailures {
  /** Lowercased email (any email, existing or not: the answer must not tell them apart). */
  account: string;
  failures: number;
  lastFailureAt: number;
  lockedUntil: number | null;
}

export interface TenantSettings {
  tenantId: string;
  suspended: boolean;
  /** null: unlimited. */
  maxDevices: number | null;
  /** Telemetry points accepted per second (burst: 2 s worth); null: unlimited. */
  maxPointsPerSec: number | null;
  /** Series (device x key) the tenant may hold; null/absent: the platform's VIGIL_MAX_SERIES_PER_TENANT. */
  maxSeries?: number | null;
  /** Telemetry storage the tenant may use (estimated bytes); null/absent: unlimited. */
  maxStorageBytes?: number | null;
  /** Management-API requests per minute, all of the tenant's callers together; null/absent: the platform default. */
  apiRequestsPerMin?: number | null;
  /** Management-API requests per minute per user or API key; null/absent: the platform default. */
  apiRequestsPerMinPerUser?: number | null;
}

/** A tenant's own permission set, assignable to its users in place of a built-in role. */
export interface CustomRole {
  id: string;
  tenantId: string;
  name: string;
  description: string;
  permissions: string[];
  createdAt: number;
  updatedAt: number;
}

export interface ApiKey {
  id: string;
  tenantId: string;
  name: string;
  /** SHA-256 of the secret; the secret itself is shown once and never stored. */
  keyHash: string;
  role: Role;
  /** Permissions the key may use (a subset of its role's). */
  scopes: string[];
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export interface IdentityStore {
  init(): Promise<void>;

  listUsers(tenantId: string): Promise<UserAccount[]>;
  getUser(id: string): Promise<UserAccount | null>;
  getUserByEmail(email: string): Promise<UserAccount | null>;
  updateUser(id: string, patch: { role?: Role; disabled?: boolean; passwordHash?: string }): Promise<boolean>;
  deleteUser(id: string): Promise<boolean>;

  createSession(session: Session): Promise<void>;
  getSession(id: string): Promise<Session | null>;
  /** Compare-and-set of the family's current refresh token: false when `expected` is not current
   *  (a reused token) or the session is revoked. */
  rotateSession(id: string, expectedTokenId: string, nextTokenId: string, at: number, expiresAt: number): Promise<boolean>;
  revokeSession(id: string, reason: string, at: number): Promise<boolean>;
  /** Revokes every active session of a user; returns their ids. */
  revokeUserSessions(userId: string, reason: string, at: number): Promise<string[]>;
  /** Active (not revoked, not expired) sessions, newest first. */
  listSessions(userId: string, now: number): Promise<Session[]>;

  getLoginFailures(account: string): Promise<LoginFailures | null>;
  putLoginFailures(state: LoginFailures): Promise<void>;
  clearLoginFailures(account: string): Promise<void>;

  getTenantSettings(tenantId: string): Promise<TenantSettings>;
  putTenantSettings(settings: TenantSettings): Promise<void>;
  /** Removes the tenant row, its users, sessions, settings and API keys (devices go through their service). */
  deleteTenant(tenantId: string): Promise<void>;

  listCustomRoles(tenantId: string): Promise<CustomRole[]>;
  getCustomRole(id: string): Promise<CustomRole | null>;
  /** Inserts or replaces (by id); a second role of the same name in a tenant is refused by the store. */
  putCustomRole(role: CustomRole): Promise<void>;
  /** Removes the role and every assignment of it. */
  deleteCustomRole(id: string): Promise<boolean>;
  /** The custom role assigned to a user, or null (the built-in role applies). */
  getUserCustomRole(userId: string): Promise<string | null>;
  setUserCustomRole(userId: string, roleId: string | null): Promise<void>;
  /** Users holding the role. */
  usersWithCustomRole(roleId: string): Promise<string[]>;

  createApiKey(key: ApiKey): Promise<void>;
  findApiKeyByHash(keyHash: string): Promise<ApiKey | null>;
  listApiKeys(tenantId: string): Promise<ApiKey[]>;
  revokeApiKey(tenantId: string, id: string, at: number): Promise<boolean>;
  touchApiKey(id: string, at: number): Promise<void>;

  close(): Promise<void>;
}
