// Custom roles: a tenant's own permission sets (say "alarm desk": read, alarms:write,
// dashboards:write), made by its admins and assigned to its users in place of a built-in role.
// They are checked by the same route table as the built-in roles. Nobody makes or assigns a set
// larger than what they hold, and none may hold tenants:manage (the platform's). A role's
// permissions are resolved per request from a cache that every node drops on an edit, so an edit
// applies at once; deleting a role ends the sessions of its users (they fall back to their
// built-in role at their next login).
import { randomUUID } from 'node:crypto';
import { Errors } from '../../errors.js';
import type { CustomRole, IdentityStore } from '../../ports/identity-store.js';
import type { AuthService } from './auth.service.js';
import type { Invalidations } from './invalidations.js';
import { CUSTOM_ROLE_PERMISSIONS, holdsAll, permissionsOf, type Permission } from './permissions.js';
import type { Principal } from './tokens.js';

export interface CustomRoleInput {
  name: string;
  description?: string;
  permissions: string[];
}

export class CustomRolesService {
  /** roleId → its permissions (null: no such role), on this node. */
  private readonly cache = new Map<string, ReadonlySet<Permission> | null>();

  constructor(
    private readonly identity: IdentityStore,
    private readonly auth: AuthService,
    private readonly invalidations: Invalidations,
  ) {
    invalidations.on((inv) => {
      if (inv.kind === 'custom-role') this.cache.delete(inv.roleId);
    });
  }

  /** The permissions of a role (cached); null when it no longer exists. */
  async permissionsOf(roleId: string): Promise<ReadonlySet<Permission> | null> {
    if (this.cache.has(roleId)) return this.cache.get(roleId)!;
    const role = await this.identity.getCustomRole(roleId);
    const permissions = role ? new Set(role.permissions as Permission[]) : null;
    if (this.cache.size >= 10_000) this.cache.clear();
    this.cache.set(roleId, permissions);
    return permissions;
  }

  async list(caller: Principal): Promise<CustomRole[]> {
    return this.identity.listCustomRoles(caller.tenantId);
  }

  /** The role, when it belongs to the caller's tenant (another tenant's is "not found"). */
  async get(caller: Principal, id: string): Promise<CustomRole> {
    const role = await this.identity.getCustomRole(id);
    if (!role || role.tenantId !== caller.tenantId) throw Errors.notFound(`no role ${id}`);
    return role;
  }

  async create(caller: Principal, input: CustomRoleInput): Promise<CustomRole> {
    const permissions = this.checkSet(caller, input.permissions);
    const name = input.name.trim();
    await this.checkName(caller.tenantId, name, null);
    const now = Date.now();
    const role: CustomRole = { id: randomUUID(), tenantId: caller.tenantId, name, description: input.description ?? '', permissions, createdAt: now, updatedAt: now };
    await this.put(role);
    return role;
  }

  /** Replaces name, description and permissions; the role's users hold the new set from their next request. */
  async update(caller: Principal, id: string, input: CustomRoleInput): Promise<CustomRole> {
    const current = await this.get(caller, id);
    this.checkSet(caller, current.permissions); // nobody edits a role larger than their own
    const permissions = this.checkSet(caller, input.permissions);
    const name = input.name.trim();
    await this.checkName(caller.tenantId, name, id);
    const role: CustomRole = { ...current, name, description: input.description ?? current.description, permissions, updatedAt: Math.max(Date.now(), current.updatedAt) };
    await this.put(role);
    this.invalidations.announce({ kind: 'custom-role', roleId: id });
    return role;
  }

  async remove(caller: Principal, id: string): Promise<void> {
    const role = await this.get(caller, id);
    this.checkSet(caller, role.permissions);
    const holders = await this.identity.usersWithCustomRole(id);
    await this.identity.deleteCustomRole(id);
    this.invalidations.announce({ kind: 'custom-role', roleId: id });
    for (const userId of holders) await this.auth.revokeUserSessions(userId, 'custom role deleted');
  }

  /** Checks an assignment: the role is of the caller's tenant and within what the caller holds. */
  async checkAssignable(caller: Principal, roleId: string): Promise<CustomRole> {
    const role = await this.get(caller, roleId).catch(() => {
      const shown = roleId.length > 80 ? `${roleId.slice(0, 80)}...` : roleId;
      throw Errors.badRequest(`customRoleId ${JSON.stringify(shown)} is not a role of your tenant (GET /api/v1/roles)`, { customRoleId: 'unknown' });
    });
    this.checkSet(caller, role.permissions);
    return role;
  }

  private checkSet(caller: Principal, wanted: readonly string[]): Permission[] {
    const unknown = wanted.filter((p) => !(CUSTOM_ROLE_PERMISSIONS as readonly string[]).includes(p));
    if (unknown.length) throw Errors.badRequest(`not a permission a custom role may hold: ${unknown.join(', ')}`);
    const set = [...new Set(wanted)] as Permission[];
    if (set.length === 0) throw Errors.badRequest('a role needs at least one permission');
    if (!holdsAll(permissionsOf(caller), set)) {
      const beyond = set.filter((p) => !permissionsOf(caller).has(p));
      throw Errors.forbidden(`you cannot grant permissions you do not hold: ${beyond.join(', ')}`);
    }
    return set;
  }

  private async checkName(tenantId: string, name: string, exceptId: string | null): Promise<void> {
    if (!name) throw Errors.badRequest('a role needs a name');
    const clash = (await this.identity.listCustomRoles(tenantId)).find((r) => r.name === name && r.id !== exceptId);
    if (clash) throw Errors.conflict(`a role named ${name} exists`);
  }

  private async put(role: CustomRole): Promise<void> {
    try {
      await this.identity.putCustomRole(role);
    } catch (err) {
      // Two creations of one name at once: the store's unique constraint decides.
      if ((await this.identity.listCustomRoles(role.tenantId)).some((r) => r.name === role.name && r.id !== role.id)) {
        throw Errors.conflict(`a role named ${role.name} exists`);
      }
      throw err;
    }
    this.cache.delete(role.id);
  }
}
