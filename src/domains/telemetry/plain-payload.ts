// The hot path of payload parsing: the two shapes devices send all day, read straight from the
// bytes into points, without JSON.parse's object tree, Object.keys or the payload as a string
// (issue #9: parsing was ~7% of the ingest main thread, and its garbage a share of GC):
//   {"ts":<ms>,"values":{"k":v,...}}   and   {"k":v,...}
// It takes only what it can decide exactly as payload.ts would: ASCII text, keys that do not
// start with a digit (JSON.parse would reorder those), no escapes, no duplicate keys, values that
// are JSON numbers (finite, safe if integers), true/false or plain strings, a valid timestamp.
// Anything else, errors included, returns null and goes through payload.ts, which decides it
// (a test compares both on generated payloads).
import type { TelemetryPoint, TelemetryValue } from '../../ports/telemetry.js';
import type { ParseLimits } from './payload.js';
import { MAX_KEY_LENGTH, MIN_TS_MS } from './payload-rules.js';

/** Longer messages are rare; the duplicate-key check here is quadratic. */
const MAX_KEYS = 64;

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN = 0x7b;
const CLOSE = 0x7d;

/** A cursor over the payload; any surprise sets `at` to -1 (give up). */
class Reader {
  at = 0;
  constructor(readonly buf: Buffer) {}

  skipSpace(): number {
    const buf = this.buf;
    let at = this.at;
    while (at < buf.length) {
      const c = buf[at]!;
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      at++;
    }
    this.at = at;
    return at < buf.length ? buf[at]! : -1;
  }

  /** Consumes `c` (after whitespace) or fails. */
  expect(c: number): boolean {
    if (this.skipSpace() !== c) return false;
    this.at++;
    return true;
  }

  /** A string without escapes or control characters, ASCII only; the cursor is on its quote. */
  string(): string | null {
    const end = this.stringEnd();
    if (end < 0) return null;
    const start = this.at + 1;
    this.at = end + 1;
    return latin1(this.buf, start, end);
  }

  /**
   * The key at position `index` of a message: devices send the same keys in the same order, so
   * the string made for the previous message's key at that position is reused when the bytes
   * match (JSON.parse shares its key strings too; a new string per point was garbage).
   */
  key(index: number): string | null {
    const end = this.stringEnd();
    if (end < 0) return null;
    const buf = this.buf;
    const start = this.at + 1;
    this.at = end + 1;
    const known = recentKeys[index];
    if (known !== undefined && known.length === end - start) {
      let i = 0;
      while (i < known.length && known.charCodeAt(i) === buf[start + i]) i++;
      if (i === known.length) return known;
    }
    const key = latin1(buf, start, end);
    if (key.length <= MAX_KEY_LENGTH) recentKeys[index] = key;
    return key;
  }

  /** Where the plain string at the cursor ends (its closing quote), or -1. */
  private stringEnd(): number {
    const buf = this.buf;
    let at = this.at + 1;
    for (;;) {
      if (at >= buf.length) return -1;
      const c = buf[at]!;
      if (c === QUOTE) return at;
      if (c === 0x5c || c < 0x20 || c > 0x7e) return -1;
      at++;
    }
  }

  /** A JSON number (strict grammar), as JSON.parse reads it. */
  number(): number | null {
    const buf = this.buf;
    const start = this.at;
    let at = start;
    const negative = buf[at] === 0x2d;
    if (negative) at++;
    // The digits as an integer while it stays exact, and how many came after the point.
    let mantissa = 0;
    let digits = 0;
    let decimals = 0;
    if (buf[at] === 0x30) at++;
    else if (isDigit(buf[at])) {
      while (isDigit(buf[at])) {
        mantissa = mantissa * 10 + (buf[at]! - 0x30);
        digits++;
        at++;
      }
    } else return null;
    if (buf[at] === 0x2e) {
      at++;
      if (!isDigit(buf[at])) return null;
      while (isDigit(buf[at])) {
        mantissa = mantissa * 10 + (buf[at]! - 0x30);
        digits++;
        decimals++;
        at++;
      }
    }
    let exponent = false;
    if (buf[at] === 0x65 || buf[at] === 0x45) {
      exponent = true;
      at++;
      if (buf[at] === 0x2b || buf[at] === 0x2d) at++;
      if (!isDigit(buf[at])) return null;
      while (isDigit(buf[at])) at++;
    }
    this.at = at;
    // At most 15 digits (exact as an integer) over an exact power of ten: one correctly rounded
    // division, the same double as the decimal text (Clinger's fast path). Otherwise Number().
    if (!exponent && digits <= 15 && decimals <= 22) {
      const value = decimals === 0 ? mantissa : mantissa / POWERS_OF_TEN[decimals]!;
      return negative ? -value : value;
    }
    return Number(latin1(buf, start, at));
  }

  /** true, false, a number or a string; null for anything else (null, objects, arrays). */
  value(): TelemetryValue | null {
    const c = this.skipSpace();
    if (c === QUOTE) return this.string();
    if (c === 0x74) return this.word('true') ? true : null;
    if (c === 0x66) return this.word('false') ? false : null;
    const n = this.number();
    // What checkValue refuses (non-finite, unsafe integers) is left to payload.ts to refuse.
    if (n === null || !Number.isFinite(n) || (Number.isInteger(n) && !Number.isSafeInteger(n))) return null;
    return n;
  }

  private word(w: string): boolean {
    const buf = this.buf;
    for (let i = 0; i < w.length; i++) if (buf[this.at + i] !== w.charCodeAt(i)) return false;
    this.at += w.length;
    return true;
  }
}

const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

/** Node's Buffer#latin1Slice (what toString('latin1') calls, without parsing its arguments). */
const latin1 = (buf: Buffer, start: number, end: number): string => (buf as Buffer & { latin1Slice(s: number, e: number): string }).latin1Slice(start, end);

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

/** A key payload.ts takes as is, in the order of the text. */
function plainKey(key: string | null): key is string {
  if (key === null || key.length === 0 || key.length > MAX_KEY_LENGTH) return false;
  const first = key.charCodeAt(0);
  return first < 0x30 || first > 0x39;
}

/** The key strings of the last message read, by position (see Reader.key). */
const recentKeys: string[] = [];

function hasKey(points: readonly TelemetryPoint[], key: string): boolean {
  for (let i = 0; i < points.length; i++) if (points[i]!.key === key) return true;
  return false;
}

/** Reads `"k":v,...}` (the cursor past the `{`) into points at ts; false to give up. */
function readValues(r: Reader, ts: number, out: TelemetryPoint[]): boolean {
  if (r.skipSpace() === CLOSE) {
    r.at++;
    return true;
  }
  for (;;) {
    if (r.skipSpace() !== QUOTE) return false;
    const key = r.key(out.length);
    if (!plainKey(key) || out.length >= MAX_KEYS || hasKey(out, key)) return false;
    if (!r.expect(COLON)) return false;
    const value = r.value();
    if (value === null) return false;
    out.push({ key, ts, value });
    const c = r.skipSpace();
    r.at++;
    if (c === CLOSE) return true;
    if (c !== COMMA) return false;
  }
}

/** The points of a plain payload, exactly as parseTelemetryPayload would give them; null otherwise. */
export function parsePlainPayload(payload: Buffer, limits: ParseLimits): TelemetryPoint[] | null {
  const r = new Reader(payload);
  if (!r.expect(OPEN)) return null;
  const points: TelemetryPoint[] = [];
  if (r.skipSpace() === QUOTE && payload[r.at + 1] === 0x74 && payload[r.at + 2] === 0x73 && payload[r.at + 3] === QUOTE) {
    // {"ts":<int>,"values":{...}} in this order and nothing else; a "ts" data point (a flat
    // object holding a key "ts" but no "values") is left to payload.ts.
    r.at += 4;
    if (!r.expect(COLON)) return null;
    r.skipSpace();
    const ts = r.number();
    if (ts === null || !Number.isSafeInteger(ts) || ts < MIN_TS_MS || ts > limits.nowMs + limits.maxFutureSkewMs) return null;
    if (!r.expect(COMMA) || r.skipSpace() !== QUOTE || r.string() !== 'values' || !r.expect(COLON) || !r.expect(OPEN)) return null;
    if (!readValues(r, ts, points) || !r.expect(CLOSE)) return null;
  } else {
    if (!readValues(r, limits.nowMs, points)) return null;
    // A flat object naming both ts and values is a timestamped entry to payload.ts.
    if (hasKey(points, 'values') && hasKey(points, 'ts')) return null;
  }
  if (r.skipSpace() !== -1) return null;
  if (points.length === 0 || points.length > (limits.maxPoints ?? Infinity)) return null;
  return points;
}
