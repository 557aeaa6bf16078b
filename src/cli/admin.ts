// `vigil admin <action>`: recovery and scripted set-up on a STOPPED server's data directory
// (DuckDB allows one process per file; the pid lock says which Vigil holds it).
//   reset-password  new password for a user (default admin@localhost), ends their sessions, lifts a lockout
//   create-user     a user in a tenant (default: the first tenant)
//   create-device   a device; prints its id and access token as JSON (for scripts)
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { parseCommandLine } from './args.js';
import { DuckDbDatabase } from '../adapters/embedded/duckdb-database.js';
import { DuckDbIdentityStore } from '../adapters/embedded/duckdb-identity-store.js';
import { DuckDbAuditLog } from '../adapters/embedded/duckdb-audit-log.js';
import { DuckDbMetadataStore } from '../adapters/embedded/duckdb-metadata-store.js';
import { DataDirLockedError, isDuckDbLockError, lockDataDir } from '../adapters/embedded/data-dir-lock.js';
import { ADMIN_EMAIL } from '../domains/auth/auth.service.js';
import { forgetInitialPassword } from '../domains/auth/initial-password.js';
import { checkPassword } from '../domains/auth/password-policy.js';
import { hashPassword } from '../domains/auth/passwords.js';
import { ROLES } from '../domains/auth/permissions.js';
import { hashDeviceToken, newDeviceToken } from '../domains/devices/credentials.js';
import type { Role } from '../ports/metadata-store.js';

const HELP = `usage: vigil admin <action> [options]     (run while Vigil is stopped)

  reset-password [--email E] [--password P]   set a new password (generated and printed when
                                              --password is not given); ends the user's sessions
                                              and lifts a login lockout. Default user: ${ADMIN_EMAIL}
  create-user --email E --role R [--password P] [--tenant T]
                                              roles: ${ROLES.join(', ')}
  create-device --name N [--type T] [--tenant T]
                                              prints {"id","tenantId","accessToken"} as JSON

  --data-dir <dir>  the data directory (VIGIL_DATA_DIR, default ./data)
  --tenant <t>      tenant name or id (default: the first tenant, created at first start)`;

type Stores = { metadata: DuckDbMetadataStore; identity: DuckDbIdentityStore; dataDir: string; audit(action: string, tenantId: string | null, target: string): Promise<void> };

class CliError extends Error {}

async function withStores<T>(dataDirFlag: string | undefined, fn: (s: Stores) => Promise<T>): Promise<T> {
  const dataDir = resolve(dataDirFlag ?? process.env.VIGIL_DATA_DIR ?? './data');
  if (!existsSync(join(dataDir, 'vigil.duckdb'))) throw new CliError(`no Vigil data in ${dataDir} (start Vigil once, or pass --data-dir)`);
  let lock;
  try {
    lock = lockDataDir(dataDir);
  } catch (err) {
    if (err instanceof DataDirLockedError) {
      throw new CliError(`${err.message.replace(/; stop it.*$/, '')}; stop it first (vigil admin works on a stopped server's data)`);
    }
    throw err;
  }
  let db: DuckDbDatabase | undefined;
  try {
    db = await DuckDbDatabase.open(join(dataDir, 'vigil.duckdb'));
    const metadata = new DuckDbMetadataStore(db);
    await metadata.init();
    const identity = new DuckDbIdentityStore(db);
    await identity.init();
    const auditLog = new DuckDbAuditLog(db);
    await auditLog.init();
    // What the command line changes is audited like an API call; the actor is the local OS user.
    const audit = (action: string, tenantId: string | null, target: string) =>
      auditLog.append({ at: Date.now(), tenantId, actor: `cli:${userInfo().username}`, actorEmail: null, action, target, ip: 'local', outcome: 'success', statusCode: 0 });
    try {
      return await fn({ metadata, identity, dataDir, audit });
    } finally {
      await auditLog.close();
      await identity.close();
      await metadata.close();
    }
  } catch (err) {
    if (isDuckDbLockError(err)) throw new CliError(`another process holds ${dataDir}/vigil.duckdb; stop it first`);
    throw err;
  } finally {
    db?.close();
    lock.release();
  }
}

async function tenantId(s: Stores, wanted: string | undefined): Promise<string> {
  const tenants = await s.metadata.listTenants();
  const t = wanted ? tenants.find((x) => x.id === wanted || x.name === wanted) : tenants[0];
  if (!t) throw new CliError(wanted ? `no tenant "${wanted}"` : 'no tenant yet (start Vigil once)');
  return t.id;
}

function policy(password: string, email: string): void {
  try {
    checkPassword(password, { email });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

export async function run(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  const parsed = parseCommandLine(
    'admin',
    rest,
    {
      'data-dir': { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
      role: { type: 'string' },
      tenant: { type: 'string' },
      name: { type: 'string' },
      type: { type: 'string' },
    },
    HELP,
  );
  if (!action || action === '--help' || action === '-h') {
    console.log(HELP);
    return action ? 0 : 1;
  }
  if (parsed.exitCode !== undefined) return parsed.exitCode;
  const f = parsed.values;
  try {
    if (action === 'reset-password') {
      const email = (f.email ?? ADMIN_EMAIL).toLowerCase();
      const password = f.password ?? randomBytes(15).toString('base64url');
      policy(password, email);
      const revoked = await withStores(f['data-dir'], async (s) => {
        const user = await s.identity.getUserByEmail(email);
        if (!user) throw new CliError(`no user ${email}`);
        await s.identity.updateUser(user.id, { passwordHash: await hashPassword(password) });
        await s.identity.clearLoginFailures(email);
        if (email === ADMIN_EMAIL) await forgetInitialPassword(s.dataDir);
        await s.audit('cli.reset-password', user.tenantId, user.id);
        return (await s.identity.revokeUserSessions(user.id, 'password reset from the command line', Date.now())).length;
      });
      console.log(`password of ${email} reset${f.password ? '' : `; new password: ${password}`} (${revoked} session(s) ended)`);
      return 0;
    }
    if (action === 'create-user') {
      if (!f.email || !f.role) throw new CliError('create-user needs --email and --role');
      if (!(ROLES as string[]).includes(f.role)) throw new CliError(`unknown role "${f.role}"; one of ${ROLES.join(', ')}`);
      const email = f.email.toLowerCase();
      const password = f.password ?? randomBytes(15).toString('base64url');
      policy(password, email);
      const created = await withStores(f['data-dir'], async (s) => {
        if (await s.identity.getUserByEmail(email)) throw new CliError(`a user ${email} exists`);
        const user = { id: randomUUID(), tenantId: await tenantId(s, f.tenant), email, passwordHash: await hashPassword(password), role: f.role as Role, createdAt: Date.now() };
        await s.metadata.createUser(user);
        await s.audit('cli.create-user', user.tenantId, user.id);
        return user;
      });
      console.log(`created ${email} (${created.role}) in tenant ${created.tenantId}${f.password ? '' : `; password: ${password}`}`);
      return 0;
    }
    if (action === 'create-device') {
      if (!f.name) throw new CliError('create-device needs --name');
      const token = newDeviceToken();
      const device = await withStores(f['data-dir'], async (s) => {
        const tid = await tenantId(s, f.tenant);
        const { maxDevices } = await s.identity.getTenantSettings(tid);
        if (maxDevices !== null && (await s.metadata.listDevices(tid, { offset: 0, limit: 1 })).total >= maxDevices) {
          throw new CliError(`device quota of the tenant reached (${maxDevices})`);
        }
        const now = Date.now();
        const d = { id: randomUUID(), tenantId: tid, name: f.name!, type: f.type ?? 'default', labels: {}, tokenHash: hashDeviceToken(token), createdAt: now, updatedAt: now, lastSeenAt: null };
        await s.metadata.createDevice(d);
        await s.audit('cli.create-device', tid, d.id);
        return d;
      });
      console.log(JSON.stringify({ id: device.id, tenantId: device.tenantId, name: device.name, accessToken: token }));
      return 0;
    }
    console.error(`vigil admin: unknown action "${action}"\n\n${HELP}`);
    return 1;
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    console.error(`vigil admin: ${err.message}`);
    return 1;
  }
}
