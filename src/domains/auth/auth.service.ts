// People: login, refresh, and the first-start bootstrap of the default tenant and admin.
import { randomBytes, randomUUID } from 'node:crypto';
import { Errors } from '../../errors.js';
import type { MetadataStore } from '../../ports/metadata-store.js';
import { hashPassword, verifyPassword } from './passwords.js';
import type { TokenService } from './tokens.js';

export const ADMIN_EMAIL = 'admin@localhost';

export class AuthService {
  constructor(
    private readonly store: MetadataStore,
    private readonly tokens: TokenService,
  ) {}

  async login(email: string, password: string) {
    const user = await this.store.findUserByEmail(email);
    // Same error and similar work whether the user exists or not: no account enumeration.
    const ok = user ? await verifyPassword(password, user.passwordHash) : await verifyPassword(password, DUMMY_HASH);
    if (!user || !ok) throw Errors.unauthorized('invalid email or password');
    return this.tokens.issue({ userId: user.id, tenantId: user.tenantId, role: user.role });
  }

  async refresh(refreshToken: string) {
    const principal = await this.tokens.verify(refreshToken, 'refresh');
    const user = await this.store.findUserById(principal.userId);
    if (!user) throw Errors.unauthorized('user no longer exists');
    return this.tokens.issue({ userId: user.id, tenantId: user.tenantId, role: user.role });
  }

  /**
   * Creates the default tenant and admin@localhost when the store is empty. Returns the
   * generated password (to print once) when none was configured.
   */
  async bootstrap(configuredPassword: string | undefined): Promise<{ created: boolean; generatedPassword?: string; tenantId: string }> {
    const tenants = await this.store.listTenants();
    if (tenants.length > 0) return { created: false, tenantId: tenants[0]!.id };
    const tenantId = randomUUID();
    const now = Date.now();
    await this.store.createTenant({ id: tenantId, name: 'default', createdAt: now });
    const password = configuredPassword ?? randomBytes(12).toString('base64url');
    await this.store.createUser({
      id: randomUUID(),
      tenantId,
      email: ADMIN_EMAIL,
      passwordHash: await hashPassword(password),
      role: 'admin',
      createdAt: now,
    });
    return { created: true, tenantId, generatedPassword: configuredPassword ? undefined : password };
  }
}

const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
