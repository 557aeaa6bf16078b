// The generated first-admin password, kept in <dataDir>/secrets/initial-admin-password (0600)
// until the admin changes it, so a first start that fails after creating the admin (a busy port)
// does not lose it: every start prints it again while it is still the admin's password.
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { verifyPassword } from './passwords.js';

export function initialPasswordPath(dataDir: string): string {
  return join(dataDir, 'secrets', 'initial-admin-password');
}

export async function keepInitialPassword(dataDir: string, password: string): Promise<void> {
  await mkdir(join(dataDir, 'secrets'), { recursive: true, mode: 0o700 });
  await writeFile(initialPasswordPath(dataDir), `${password}\n`, { mode: 0o600 });
}

export async function forgetInitialPassword(dataDir: string): Promise<void> {
  await unlink(initialPasswordPath(dataDir)).catch(() => undefined);
}

/** The kept password while it still opens the admin account; otherwise the file is removed. */
export async function pendingInitialPassword(dataDir: string, adminPasswordHash: string | null): Promise<string | undefined> {
  let password: string;
  try {
    password = (await readFile(initialPasswordPath(dataDir), 'utf8')).trim();
  } catch {
    return undefined;
  }
  if (adminPasswordHash && password && (await verifyPassword(password, adminPasswordHash))) return password;
  await forgetInitialPassword(dataDir);
  return undefined;
}
