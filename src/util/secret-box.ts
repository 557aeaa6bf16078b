// Secrets kept in the data directory, encrypted with AES-256-GCM under a key from the operator
// (VIGIL_SECRETS_KEY or VIGIL_SECRETS_KEY_FILE), so a copied data directory or backup does not
// carry usable secrets. Stored form: `vigil-secret:v1:<iv>:<tag>:<ciphertext>` (base64url).
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const PREFIX = 'vigil-secret:v1:';

export class SecretBoxError extends Error {}

function keyBytes(secretsKey: string): Buffer {
  // The operator's key is any long string; HKDF turns it into exactly 256 bits.
  return Buffer.from(hkdfSync('sha256', secretsKey, 'vigil-secrets', 'data-dir secrets v1', 32));
}

export function isSealed(stored: string): boolean {
  return stored.startsWith(PREFIX);
}

export function seal(plaintext: string, secretsKey: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyBytes(secretsKey), iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${PREFIX}${iv.toString('base64url')}:${cipher.getAuthTag().toString('base64url')}:${ciphertext.toString('base64url')}`;
}

export function open(stored: string, secretsKey: string | undefined, what: string): string {
  if (!isSealed(stored)) return stored;
  if (!secretsKey) throw new SecretBoxError(`${what} is encrypted; set VIGIL_SECRETS_KEY or VIGIL_SECRETS_KEY_FILE`);
  const [iv, tag, ciphertext] = stored.slice(PREFIX.length).split(':');
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyBytes(secretsKey), Buffer.from(iv!, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag!, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext!, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretBoxError(`${what} cannot be decrypted with the configured VIGIL_SECRETS_KEY (wrong key?)`);
  }
}
