// Password policy after NIST SP 800-63B: a length minimum and a refusal of passwords known from
// breaches, and no composition rules (they push people to predictable patterns).
import { Errors } from '../../errors.js';

export const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_LENGTH = 256;

// The most common passwords of public breach corpora that reach 12 characters, plus the obvious
// product-specific ones. Small on purpose: the length minimum already excludes the short ones.
const COMMON = new Set(
  [
    '123456789012', '1234567890123', '12345678910', '123456123456', '111111111111', '000000000000',
    'qwertyuiopas', 'qwerty123456', '1q2w3e4r5t6y', '1qaz2wsx3edc', 'qwertyuiop123', 'asdfghjkl123',
    'password1234', 'password12345', 'password123456', 'passwordpassword', 'password1!23', 'p@ssw0rd1234',
    'iloveyou1234', 'abcdefghijkl', 'abc123456789', 'abcd12345678', 'letmein12345', 'welcome12345',
    'welcome123456', 'administrator', 'admin1234567', 'adminadmin123', 'changeme1234', 'changeme123456',
    'trustno1trustno1', 'football1234', 'baseball1234', 'superman1234', 'sunshine1234', 'princess1234',
    'monkey123456', 'dragon123456', 'master123456', 'shadow123456', 'michael12345', 'jennifer1234',
    'qazwsxedcrfv', 'zaq12wsxcde3', '987654321098', '147258369147', 'aaaaaaaaaaaa', 'vigil1234567',
    'vigilpassword', 'vigil-password', 'thingsboard123', 'mosquitto1234', 'raspberry123', 'raspberrypi1',
  ].map((p) => p.toLowerCase()),
);

/** Throws a 400 that says what is wrong; returns nothing when the password is acceptable. */
export function checkPassword(password: string, context: { email?: string } = {}): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw Errors.badRequest(`password must have at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  if (password.length > MAX_PASSWORD_LENGTH) throw Errors.badRequest(`password must have at most ${MAX_PASSWORD_LENGTH} characters`);
  const lower = password.toLowerCase();
  if (COMMON.has(lower) || /^(.)\1+$/.test(password)) throw Errors.badRequest('password is too common (found in breach lists)');
  const local = context.email?.split('@')[0]?.toLowerCase();
  if (local && local.length >= 4 && lower.includes(local) && password.length - local.length < 6) {
    throw Errors.badRequest('password must not be built from the email address');
  }
}
