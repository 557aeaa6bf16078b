// Device access tokens: 160 bits of randomness, so a fast SHA-256 is the right hash at rest
// (lookup by hash; nothing to brute-force). Shown to the user once, at creation or rotation.
import { createHash, randomBytes } from 'node:crypto';

export function newDeviceToken(): string {
  return randomBytes(20).toString('base64url');
}

export function hashDeviceToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
