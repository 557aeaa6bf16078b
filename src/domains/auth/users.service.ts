// Tenant administration of people: create, list, change role, disable, delete, reset password,
// sessions and lockouts. Every call is scoped to the caller's tenant; a user of another tenant is
// "not found", never "forbidden", so ids of other tenants cannot be probed.
import { randomUUID } from 'node:crypto';
import { Errors } from '../../errors.js';
import type { IdentityStore, UserAccount } from '../../ports/identity-store.js';
import type { MetadataStore, Role } from '../../ports/metadata-store.js';
import type { AuthService } from './auth.service.js';
import { lockRemainingMs } from './lockout.js';
import { checkPassword } from './password-policy.js';
import { hashPassword } from './passwords.js';
import { canGrant } from './permissions.js';
import type { Principal } from './tokens.js';

export interface UserView {
  id: string;
  tenantId: string;
  email: string;
  role: Role;
  disabled: boolean;
  createdAt: number;
  /** Failed logins since the last success, and until when the account is locked (null: not locked). */
  failedLogins: number;
  lockedUntil: number | null;
}

export class UsersService {
  constructor(
    private readonly store: MetadataStore,
    private readonly identity: IdentityStore,
    private readonly auth: AuthService,
  ) {}

  private async view(u: UserAccount): Promise<UserView> {
    const failures = await this.identity.getLoginFailures(u.email);
    const locked = lockRemainingMs(failures, Date.now()) > 0;
    return {
      id: u.id,
      tenantId: u.tenantId,
      email: u.email,
      role: u.role,
      disabled: u.disabled,
      createdAt: u.createdAt,
      failedLogins: failures?.failures ?? 0,
      lockedUntil: locked ? failures!.lockedUntil : null,
    };
  }

  /** The user, when it belongs to the caller's tenant. */
  private async own(caller: Principal, id: string): Promise<UserAccount> {
    const user = await this.identity.getUser(id);
    if (!user || user.tenantId !== caller.tenantId) throw Errors.notFound(`no user ${id}`);
    return user;
  }

  private checkGrant(caller: Principal, role: Role): void {
    if (!canGrant(caller.role, role)) throw Errors.forbidden(`a ${caller.role} cannot grant the role ${role}`);
  }

  async list(caller: Principal): Promise<UserView[]> {
    return Promise.all((await this.identity.listUsers(caller.tenantId)).map((u) => this.view(u)));
  }

  async get(caller: Principal, id: string): Promise<UserView> {
    return this.view(await this.own(caller, id));
  }

  async create(caller: Principal, input: { email: string; password: string; role: Role }): Promise<UserView> {
    this.checkGrant(caller, input.role);
    return this.createInTenant(caller.tenantId, input);
  }

  /** Also used by the tenants domain (a new tenant's first admin) and the CLI. */
  async createInTenant(tenantId: string, input: { email: string; password: string; role: Role }): Promise<UserView> {
    const email = input.email.trim().toLowerCase();
    checkPassword(input.password, { email });
    if (await this.identity.getUserByEmail(email)) throw Errors.conflict(`a user ${email} exists`);
    const id = randomUUID();
    const passwordHash = await hashPassword(input.password);
    try {
      await this.store.createUser({ id, tenantId, email, passwordHash, role: input.role, createdAt: Date.now() });
    } catch (err) {
      // Two creations of one email at once: the store's unique constraint decides; the loser is told why.
      if (await this.identity.getUserByEmail(email)) throw Errors.conflict(`a user ${email} exists`);
      throw err;
    }
    return this.view((await this.identity.getUser(id))!);
  }

  async update(caller: Principal, id: string, patch: { role?: Role; disabled?: boolean }): Promise<UserView> {
    const user = await this.own(caller, id);
    if (patch.role !== undefined) {
      this.checkGrant(caller, patch.role);
      this.checkGrant(caller, user.role); // an admin cannot demote a superadmin
    }
    if (id === caller.userId && (patch.disabled || (patch.role && patch.role !== user.role))) {
      throw Errors.conflict('you cannot disable yourself or change your own role');
    }
    await this.identity.updateUser(id, patch);
    // A token carries its role; ending the sessions makes a role change or a disable take effect now.
    if (patch.disabled || (patch.role && patch.role !== user.role)) await this.auth.revokeUserSessions(id, 'account changed by an admin');
    return this.view((await this.identity.getUser(id))!);
  }

  async remove(caller: Principal, id: string): Promise<void> {
    const user = await this.own(caller, id);
    if (id === caller.userId) throw Errors.conflict('you cannot delete yourself');
    this.checkGrant(caller, user.role);
    await this.auth.revokeUserSessions(id, 'user deleted');
    await this.identity.deleteUser(id);
  }

  async resetPassword(caller: Principal, id: string, password: string): Promise<void> {
    const user = await this.own(caller, id);
    this.checkGrant(caller, user.role);
    await this.auth.setPassword(id, user.email, password);
    await this.auth.revokeUserSessions(id, 'password reset by an admin');
  }

  async sessions(caller: Principal, id: string) {
    return this.auth.sessions((await this.own(caller, id)).id);
  }

  async revokeSessions(caller: Principal, id: string): Promise<number> {
    return this.auth.revokeUserSessions((await this.own(caller, id)).id, 'revoked by an admin');
  }

  async unlock(caller: Principal, id: string): Promise<void> {
    await this.identity.clearLoginFailures((await this.own(caller, id)).email);
  }
}
