// Text that can be stored and given back unchanged. JSON.parse accepts "\ud800" escapes and
// Buffer#toString turns invalid UTF-8 into U+FFFD without a word; both would alter data
// silently, so the parsers reject them instead.
import { isUtf8 } from 'node:buffer';

interface WellFormed {
  isWellFormed(): boolean;
}

/** True when the string has no lone surrogate (it encodes to UTF-8 and back unchanged). */
export function isWellFormedText(text: string): boolean {
  return (text as unknown as WellFormed).isWellFormed();
}

/** True when the bytes are valid UTF-8 (simdutf in Node: gigabytes per second). */
export function isValidUtf8(bytes: Uint8Array): boolean {
  return isUtf8(bytes);
}
