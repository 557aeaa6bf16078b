// Channel secrets (webhook signing keys, SMTP passwords) are stored encrypted with AES-256-GCM.
// The key comes from VIGIL_SECRETS_KEY (or a file named by VIGIL_SECRETS_KEY_FILE), else it is
// generated once into <dataDir>/secrets/secrets.key with mode 0600, like the JWT secret.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const VERSION = 'v1';

export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** Any text key is stretched to 32 bytes with SHA-256; a 64-hex or 44-base64 key of 32 bytes is used as is. */
  static fromText(text: string): SecretBox {
    const trimmed = text.trim();
    if (/^[0-9a-f]{64}$/i.test(trimmed)) return new SecretBox(Buffer.from(trimmed, 'hex'));
    const b64 = Buffer.from(trimmed, 'base64');
    if (b64.length === 32 && /^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) return new SecretBox(b64);
    return new SecretBox(createHash('sha256').update(trimmed).digest());
  }

  static async load(options: { key?: string; keyFile?: string; dataDir: string }): Promise<SecretBox> {
    if (options.key) return SecretBox.fromText(options.key);
    if (options.keyFile) return SecretBox.fromText(await readFile(options.keyFile, 'utf8'));
    const path = join(options.dataDir, 'secrets', 'secrets.key');
    try {
      return SecretBox.fromText(await readFile(path, 'utf8'));
    } catch {
      await mkdir(join(options.dataDir, 'secrets'), { recursive: true, mode: 0o700 });
      const key = randomBytes(32).toString('hex');
      try {
        await writeFile(path, key, { mode: 0o600, flag: 'wx' });
      } catch {
        return SecretBox.fromText(await readFile(path, 'utf8')); // another start won the race
      }
      return SecretBox.fromText(key);
    }
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join(':');
  }

  /** Throws when the text was sealed with another key or tampered with. */
  open(sealed: string): string {
    const [version, iv, tag, data] = sealed.split(':');
    if (version !== VERSION || !iv || !tag || data === undefined) throw new Error('not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
  }
}
