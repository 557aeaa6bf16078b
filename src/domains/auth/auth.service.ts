// People: login (with per-account lockout), refresh-token rotation with reuse detection,
// logout, sessions, own password, and the first-start bootstrap of the default tenant and admin.
import { randomBytes, randomUUID } from 'node:crypto';
import { Errors } from '../../errors.js';
import type { IdentityStore, Session } from '../../ports/identity-store.js';
import type { MetadataStore } from '../../ports/metadata-store.js';
import type { AuditService } from '../audit/audit.service.js';
import { Invalidations } from './invalidations.js';
import { AddressFailures, afterFailure, lockRemainingMs } from './lockout.js';
import { checkPassword } from './password-policy.js';
import { hashPassword, verifyPassword } from './passwords.js';
import type { Permission } from './permissions.js';
import type { Principal, TokenService } from './tokens.js';

export const ADMIN_EMAIL = 'admin@localhost';

export interface ClientInfo {
  ip: string;
  userAgent: string;
}

export type SessionView = Omit<Session, 'currentTokenId'>;

export class AuthService {
  /** sessionId → still active. Revocations all pass through this service and are announced to
   *  every node (invalidations.ts), so each node's cache stays true. */
  private readonly sessionActive = new Map<string, boolean>();
  private readonly passwordChangedListeners = new Set<(userId: string, email: string) => void>();
  private readonly addressFailures = new AddressFailures();
  /** A custom role's permissions (null: deleted); set by the composition root. */
  private customRolePermissions: (roleId: string) => Promise<ReadonlySet<Permission> | null> = async () => null;

  constructor(
    private readonly store: MetadataStore,
    private readonly identity: IdentityStore,
    private readonly tokens: TokenService,
    private readonly audit: AuditService,
    /** Whether a tenant may log in (not suspended). */
    private readonly tenantActive: (tenantId: string) => boolean = () => true,
    /** Where revoked sessions are announced (to this node's caches and live sockets, and the other nodes). */
    readonly invalidations: Invalidations = new Invalidations(),
  ) {
    invalidations.on((inv) => {
      if (inv.kind === 'sessions') for (const id of inv.ids) this.sessionActive.set(id, false);
    });
  }

  useCustomRoles(permissionsOf: (roleId: string) => Promise<ReadonlySet<Permission> | null>): void {
    this.customRolePermissions = permissionsOf;
  }

  /** The user's custom role, carried in the tokens so that each request resolves its permissions. */
  private async customRoleClaim(userId: string): Promise<{ customRoleId?: string }> {
    const customRoleId = await this.identity.getUserCustomRole(userId);
    return customRoleId ? { customRoleId } : {};
  }

  onPasswordChanged(listener: (userId: string, email: string) => void): void {
    this.passwordChangedListeners.add(listener);
  }

  async login(email: string, password: string, client: ClientInfo) {
    const account = email.trim().toLowerCase();
    const now = Date.now();
    const failures = await this.identity.getLoginFailures(account);
    const user = await this.identity.getUserByEmail(account);
    const base = { tenantId: user?.tenantId ?? null, actor: user?.id ?? null, actorEmail: account, action: 'auth.login', target: user?.id ?? null, ip: client.ip };
    const lockedMs = Math.max(lockRemainingMs(failures, now), this.addressFailures.blockedMs(client.ip, now));
    if (lockedMs > 0) {
      this.audit.record({ ...base, outcome: 'locked', statusCode: 429 });
      throw Errors.rateLimited(`too many failed logins; try again in ${Math.ceil(lockedMs / 1000)} s`, {
        retryAfterSec: Math.ceil(lockedMs / 1000),
      });
    }
    // Same error and similar work whether the user exists or not: no account enumeration.
    const ok = user ? await verifyPassword(password, user.passwordHash) : await verifyPassword(password, DUMMY_HASH);
    if (!user || !ok) {
      await this.identity.putLoginFailures(afterFailure(failures, account, now));
      this.addressFailures.fail(client.ip, now);
      this.audit.record({ ...base, outcome: 'failure', statusCode: 401 });
      throw Errors.unauthorized('invalid email or password');
    }
    if (user.disabled || !this.tenantActive(user.tenantId)) {
      this.audit.record({ ...base, outcome: user.disabled ? 'disabled' : 'tenant suspended', statusCode: 401 });
      throw Errors.unauthorized(user.disabled ? 'account disabled' : 'tenant suspended');
    }
    if (failures) await this.identity.clearLoginFailures(account);
    const sessionId = randomUUID();
    const pair = await this.tokens.issue({ userId: user.id, tenantId: user.tenantId, role: user.role, sessionId, ...(await this.customRoleClaim(user.id)) });
    await this.identity.createSession({
      id: sessionId,
      userId: user.id,
      tenantId: user.tenantId,
      currentTokenId: pair.refreshTokenId,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: now + this.tokens.refreshTtlMs,
      revokedAt: null,
      revokedReason: null,
      ip: client.ip,
      userAgent: client.userAgent.slice(0, 200),
    });
    this.sessionActive.set(sessionId, true);
    this.audit.record({ ...base, outcome: 'success', statusCode: 200 });
    return publicPair(pair);
  }

  /** Rotates the session's refresh token. Presenting a refresh token that was already exchanged
   *  means it was copied: the whole session ends, the thief's and the owner's tokens alike. */
  async refresh(refreshToken: string, client: ClientInfo) {
    const claims = await this.tokens.verify(refreshToken, 'refresh');
    const session = await this.identity.getSession(claims.sessionId);
    if (!session || session.revokedAt !== null) throw Errors.unauthorized('session ended; log in again');
    const user = await this.identity.getUser(claims.userId);
    if (!user || user.disabled || !this.tenantActive(user.tenantId)) {
      await this.revoke(session.id, 'account unavailable');
      throw Errors.unauthorized('account unavailable');
    }
    const now = Date.now();
    const pair = await this.tokens.issue({ userId: user.id, tenantId: user.tenantId, role: user.role, sessionId: session.id, ...(await this.customRoleClaim(user.id)) });
    const rotated = await this.identity.rotateSession(session.id, claims.tokenId, pair.refreshTokenId, now, now + this.tokens.refreshTtlMs);
    if (!rotated) {
      await this.revoke(session.id, 'refresh token reused');
      this.audit.record({
        tenantId: user.tenantId, actor: user.id, actorEmail: user.email, action: 'auth.refresh-reuse',
        target: session.id, ip: client.ip, outcome: 'session revoked', statusCode: 401,
      });
      throw Errors.unauthorized('refresh token already used; the session is revoked, log in again');
    }
    return publicPair(pair);
  }

  /** Ends the session the refresh token belongs to. */
  async logout(refreshToken: string): Promise<void> {
    const claims = await this.tokens.verify(refreshToken, 'refresh');
    await this.revoke(claims.sessionId, 'logout');
  }

  /** The principal of a valid access token whose session is still active. */
  async authenticate(accessToken: string): Promise<Principal> {
    const claims = await this.tokens.verify(accessToken, 'access');
    let active = this.sessionActive.get(claims.sessionId);
    if (active === undefined) {
      const session = await this.identity.getSession(claims.sessionId);
      active = !!session && session.revokedAt === null;
      if (this.sessionActive.size >= 200_000) this.sessionActive.clear(); // bounded; misses re-read the store
      this.sessionActive.set(claims.sessionId, active);
    }
    if (!active) throw Errors.unauthorized('session ended; log in again');
    if (!this.tenantActive(claims.tenantId)) throw Errors.unauthorized('tenant suspended');
    const { tokenId: _tokenId, ...principal } = claims;
    if (!principal.customRoleId) return principal;
    const permissions = await this.customRolePermissions(principal.customRoleId);
    if (!permissions) throw Errors.unauthorized('your role was deleted; log in again');
    return { ...principal, permissions };
  }

  async revoke(sessionId: string, reason: string): Promise<void> {
    this.sessionActive.set(sessionId, false);
    await this.identity.revokeSession(sessionId, reason, Date.now());
    this.invalidations.announce({ kind: 'sessions', ids: [sessionId] });
  }

  async revokeUserSessions(userId: string, reason: string): Promise<number> {
    const ids = await this.identity.revokeUserSessions(userId, reason, Date.now());
    if (ids.length) this.invalidations.announce({ kind: 'sessions', ids });
    return ids.length;
  }

  async sessions(userId: string): Promise<SessionView[]> {
    return (await this.identity.listSessions(userId, Date.now())).map(({ currentTokenId: _t, ...rest }) => rest);
  }

  /** Revokes one of the user's own sessions; false when it is not theirs. */
  async revokeOwnSession(userId: string, sessionId: string): Promise<boolean> {
    const session = await this.identity.getSession(sessionId);
    if (!session || session.userId !== userId) return false;
    await this.revoke(sessionId, 'revoked by user');
    return true;
  }

  async changeOwnPassword(principal: Principal, currentPassword: string, newPassword: string): Promise<void> {
    const user = await this.identity.getUser(principal.userId);
    if (!user) throw Errors.unauthorized('account no longer exists');
    if (!(await verifyPassword(currentPassword, user.passwordHash))) throw Errors.forbidden('current password is wrong');
    await this.setPassword(user.id, user.email, newPassword);
    // Other logins end; the one that changed the password stays.
    for (const s of await this.identity.listSessions(user.id, Date.now())) {
      if (s.id !== principal.sessionId) await this.revoke(s.id, 'password changed');
    }
  }

  /** Sets a password after the policy check; every session of the user but none else is kept. */
  async setPassword(userId: string, email: string, password: string): Promise<void> {
    checkPassword(password, { email });
    await this.identity.updateUser(userId, { passwordHash: await hashPassword(password) });
    await this.identity.clearLoginFailures(email);
    for (const l of this.passwordChangedListeners) l(userId, email);
  }

  /**
   * Creates the default tenant and admin@localhost (the platform superadmin) when the store is
   * empty. Returns the generated password when none was configured.
   */
  async bootstrap(configuredPassword: string | undefined): Promise<{ created: boolean; generatedPassword?: string; tenantId: string }> {
    const tenants = await this.store.listTenants();
    if (tenants.length > 0) return { created: false, tenantId: tenants[0]!.id };
    const tenantId = randomUUID();
    const password = configuredPassword ?? randomBytes(15).toString('base64url');
    const passwordHash = await hashPassword(password);
    // Nodes starting together on a new shared database all find it empty. The admin's unique
    // email decides which of them bootstraps, before any tenant exists: a node that made its own
    // tenant first and dropped it on losing left a moment in which a third node could list that
    // doomed tenant and take it for the default one.
    try {
      await this.store.createUser({ id: randomUUID(), tenantId, email: ADMIN_EMAIL, passwordHash, role: 'superadmin', createdAt: Date.now() });
    } catch (err) {
      const winner = await this.store.findUserByEmail(ADMIN_EMAIL);
      if (!winner) throw err;
      // The winner may still be creating its tenant (or have died before it did): make sure it exists.
      await this.ensureTenant(winner.tenantId);
      return { created: false, tenantId: winner.tenantId };
    }
    await this.ensureTenant(tenantId);
    return { created: true, tenantId, generatedPassword: configuredPassword ? undefined : password };
  }

  /** Creates the default tenant unless another node already has (the insert that loses is ignored). */
  private async ensureTenant(tenantId: string): Promise<void> {
    try {
      await this.store.createTenant({ id: tenantId, name: 'default', createdAt: Date.now() });
    } catch (err) {
      if (!(await this.store.listTenants()).some((t) => t.id === tenantId)) throw err;
    }
  }
}

function publicPair(pair: { accessToken: string; refreshToken: string; expiresIn: number }) {
  return { accessToken: pair.accessToken, refreshToken: pair.refreshToken, expiresIn: pair.expiresIn };
}

const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
