// API keys for service accounts: a random secret shown once, stored as SHA-256 (it has 256 bits of
// entropy, so a slow hash would add nothing), scoped to permissions of the creator's role and
// always expiring. A key never holds more than its creator holds now: each use takes the creator's
// current role (scopes ∩ that role), and a disabled or deleted creator's keys are refused.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Errors } from '../../errors.js';
import type { ApiKey, IdentityStore } from '../../ports/identity-store.js';
import type { Role } from '../../ports/metadata-store.js';
import { PERMISSIONS, permissionsOf, type Permission } from './permissions.js';
import type { Principal } from './tokens.js';

export const API_KEY_PREFIX = 'vgk_';
const MAX_TTL_DAYS = 366;

export type ApiKeyView = Omit<ApiKey, 'keyHash'>;

function hashKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function looksLikeApiKey(value: string): boolean {
  return value.startsWith(API_KEY_PREFIX);
}

export class ApiKeysService {
  /** A custom role's permissions (null: deleted); set by the composition root. */
  private customRolePermissions: (roleId: string) => Promise<ReadonlySet<Permission> | null> = async () => null;

  constructor(
    private readonly identity: IdentityStore,
    private readonly tenantActive: (tenantId: string) => boolean,
  ) {}

  useCustomRoles(permissionsOf: (roleId: string) => Promise<ReadonlySet<Permission> | null>): void {
    this.customRolePermissions = permissionsOf;
  }

  async create(caller: Principal, input: { name: string; scopes: string[]; expiresInDays: number }): Promise<ApiKeyView & { key: string }> {
    if (caller.apiKeyId) throw Errors.forbidden('an API key cannot create API keys');
    const unknown = input.scopes.filter((s) => !(PERMISSIONS as readonly string[]).includes(s));
    if (unknown.length) throw Errors.badRequest(`unknown permission(s): ${unknown.join(', ')}`);
    const held = permissionsOf(caller);
    const beyond = input.scopes.filter((s) => !held.has(s as Permission));
    if (beyond.length) throw Errors.forbidden(`your ${caller.permissions ? 'custom role' : `role ${caller.role}`} does not hold: ${beyond.join(', ')}`);
    if (input.scopes.length === 0) throw Errors.badRequest('an API key needs at least one permission');
    if (!(input.expiresInDays > 0 && input.expiresInDays <= MAX_TTL_DAYS)) throw Errors.badRequest(`expiresInDays must be 1-${MAX_TTL_DAYS}`);
    const secret = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const now = Date.now();
    const key: ApiKey = {
      id: randomUUID(),
      tenantId: caller.tenantId,
      name: input.name,
      keyHash: hashKey(secret),
      role: caller.role,
      scopes: [...new Set(input.scopes)],
      createdBy: caller.userId,
      createdAt: now,
      expiresAt: now + input.expiresInDays * 86_400_000,
      revokedAt: null,
      lastUsedAt: null,
    };
    await this.identity.createApiKey(key);
    const { keyHash: _h, ...view } = key;
    return { ...view, key: secret };
  }

  async list(caller: Principal): Promise<ApiKeyView[]> {
    return (await this.identity.listApiKeys(caller.tenantId)).map(({ keyHash: _h, ...view }) => view);
  }

  async revoke(caller: Principal, id: string): Promise<void> {
    if (!(await this.identity.revokeApiKey(caller.tenantId, id, Date.now()))) throw Errors.notFound(`no active API key ${id}`);
  }

  /** The principal of a valid, unexpired, unrevoked key whose creator is still an active user of its tenant. */
  async authenticate(secret: string): Promise<Principal> {
    const key = await this.identity.findApiKeyByHash(hashKey(secret));
    const now = Date.now();
    if (!key || key.revokedAt !== null) throw Errors.unauthorized('invalid API key');
    if (key.expiresAt <= now) throw Errors.unauthorized('API key expired');
    if (!this.tenantActive(key.tenantId)) throw Errors.unauthorized('tenant suspended');
    const creator = await this.identity.getUser(key.createdBy);
    if (!creator || creator.tenantId !== key.tenantId || creator.disabled) {
      throw Errors.unauthorized('the user who created this API key is disabled or deleted; the key is refused');
    }
    const creatorRoleId = await this.identity.getUserCustomRole(creator.id);
    const creatorPermissions = creatorRoleId ? await this.customRolePermissions(creatorRoleId) : undefined;
    if (creatorPermissions === null) throw Errors.unauthorized("the role of this API key's creator was deleted; the key is refused");
    if (key.lastUsedAt === null || now - key.lastUsedAt > 60_000) await this.identity.touchApiKey(key.id, now);
    return {
      userId: `apikey:${key.id}`,
      tenantId: key.tenantId,
      // The creator's role now, not at creation: a demotion narrows the key at once.
      role: creator.role as Role,
      sessionId: `apikey:${key.id}`,
      apiKeyId: key.id,
      scopes: key.scopes,
      ...(creatorPermissions ? { permissions: creatorPermissions } : {}),
    };
  }
}
