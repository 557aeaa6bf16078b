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
import type { CustomRolesService } from './custom-roles.service.js';
import { holdsAll, permissionsOf, ROLE_PERMISSIONS, type Permission } from './permissions.js';
import type { Principal } from './tokens.js';

export interface UserView {
  id: string;
  tenantId: string;
  email: string;
  role: Role;
  /** A custom role of the tenant held in place of `role` (its permissions apply); null: none. */
  customRoleId: string | null;
  /** What the user may do: the custom role's permissions, else the built-in role's. */
  permissions: string[];
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
    private readonly customRoles?: CustomRolesService,
  ) {}

  /** The permissions a user holds now (custom role, else built-in role). */
  private async permissionsOfUser(u: UserAccount): Promise<{ customRoleId: string | null; permissions: ReadonlySet<Permission> }> {
    const customRoleId = await this.identity.getUserCustomRole(u.id);
    const custom = customRoleId && this.customRoles ? await this.customRoles.permissionsOf(customRoleId) : null;
    return { customRoleId: custom ? customRoleId : null, permissions: custom ?? ROLE_PERMISSIONS[u.role] };
  }

  private async view(u: UserAccount): Promise<UserView> {
    const failures = await this.identity.getLoginFailures(u.email);
    const locked = lockRemainingMs(failures, Date.now()) > 0;
    const held = await this.permissionsOfUser(u);
    return {
      id: u.id,
      tenantId: u.tenantId,
      email: u.email,
      role: u.role,
      customRoleId: held.customRoleId,
      permissions: [...held.permissions],
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
    if (!holdsAll(permissionsOf(caller), ROLE_PERMISSIONS[role])) throw Errors.forbidden(`you cannot grant the role ${role}: it holds permissions you do not`);
  }

  /** Nobody manages (changes, deletes, resets) a user who holds more than they do. */
  private async checkManage(caller: Principal, user: UserAccount): Promise<void> {
    if (!holdsAll(permissionsOf(caller), (await this.permissionsOfUser(user)).permissions)) {
      throw Errors.forbidden('you cannot manage a user who holds permissions you do not');
    }
  }

  private async checkCustomRole(caller: Principal, customRoleId: string | null | undefined): Promise<void> {
    if (customRoleId == null) return;
    if (!this.customRoles) throw Errors.badRequest('custom roles are not available');
    await this.customRoles.checkAssignable(caller, customRoleId);
  }

  async list(caller: Principal): Promise<UserView[]> {
    return Promise.all((await this.identity.listUsers(caller.tenantId)).map((u) => this.view(u)));
  }

  async get(caller: Principal, id: string): Promise<UserView> {
    return this.view(await this.own(caller, id));
  }

  async create(caller: Principal, input: { email: string; password: string; role: Role; customRoleId?: string | null }): Promise<UserView> {
    this.checkGrant(caller, input.role);
    await this.checkCustomRole(caller, input.customRoleId);
    const created = await this.createInTenant(caller.tenantId, input);
    if (!input.customRoleId) return created;
    await this.identity.setUserCustomRole(created.id, input.customRoleId);
    return this.view((await this.identity.getUser(created.id))!);
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

  async update(caller: Principal, id: string, patch: { role?: Role; disabled?: boolean; customRoleId?: string | null }): Promise<UserView> {
    const user = await this.own(caller, id);
    const currentCustomRole = await this.identity.getUserCustomRole(id);
    const customRoleChanged = patch.customRoleId !== undefined && patch.customRoleId !== currentCustomRole;
    await this.checkManage(caller, user); // an admin can neither demote nor disable a superadmin
    if (patch.role !== undefined) this.checkGrant(caller, patch.role);
    if (customRoleChanged) await this.checkCustomRole(caller, patch.customRoleId);
    if (id === caller.userId && (patch.disabled || (patch.role && patch.role !== user.role) || customRoleChanged)) {
      throw Errors.conflict('you cannot disable yourself or change your own role');
    }
    await this.identity.updateUser(id, { role: patch.role, disabled: patch.disabled });
    if (customRoleChanged) await this.identity.setUserCustomRole(id, patch.customRoleId ?? null);
    // A token carries its role; ending the sessions makes a role change or a disable take effect now.
    if (patch.disabled || (patch.role && patch.role !== user.role) || customRoleChanged) await this.auth.revokeUserSessions(id, 'account changed by an admin');
    return this.view((await this.identity.getUser(id))!);
  }

  async remove(caller: Principal, id: string): Promise<void> {
    const user = await this.own(caller, id);
    if (id === caller.userId) throw Errors.conflict('you cannot delete yourself');
    await this.checkManage(caller, user);
    await this.auth.revokeUserSessions(id, 'user deleted');
    await this.identity.deleteUser(id);
  }

  async resetPassword(caller: Principal, id: string, password: string): Promise<void> {
    const user = await this.own(caller, id);
    await this.checkManage(caller, user);
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
