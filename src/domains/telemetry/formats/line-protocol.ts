// Parser for the InfluxDB line protocol (v2 reference: "Line protocol"), written from the spec:
//   measurement[,tag=value...] field=value[,field=value...] [timestamp]
// One bad line never spoils the batch: every line is parsed on its own and reported by number,
// so the caller can store the good ones and name the bad ones (Influx's partial-write answer).
// Pure: precision and the server clock come in as arguments.

export type LineFieldValue = number | boolean | string;

export interface LinePoint {
  /** 1-based number of the line the point started on. */
  line: number;
  measurement: string;
  /** Tags in the order they were written (Map keeps any key, even "__proto__"). */
  tags: Map<string, string>;
  fields: Map<string, LineFieldValue>;
  /** Epoch milliseconds; null when the line carried no timestamp. */
  tsMs: number | null;
}

export interface LineError {
  line: number;
  message: string;
  /** The offending line as sent (cut to 200 characters). */
  text: string;
}

export type Precision = 'ns' | 'us' | 'ms' | 's';

/** Timestamp units per millisecond, as a divisor (ns/us) or multiplier (s). */
const PER_MS: Record<Precision, bigint> = { ns: 1_000_000n, us: 1_000n, ms: 1n, s: 1n };

const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const COMMA = 0x2c;
const SPACE = 0x20;

export function isPrecision(value: unknown): value is Precision {
  return value === 'ns' || value === 'us' || value === 'ms' || value === 's';
}

/** Parses a whole body. Blank lines and `#` comments are skipped, as Influx does. */
export function parseLineProtocol(body: string, precision: Precision): { points: LinePoint[]; errors: LineError[] } {
  const points: LinePoint[] = [];
  const errors: LineError[] = [];
  let pos = 0;
  let lineNo = 1;
  while (pos < body.length) {
    const start = pos;
    const startLine = lineNo;
    const parser = new LineParser(body, pos, precision);
    let end: number;
    try {
      const point = parser.parse(startLine);
      end = parser.pos;
      if (point) points.push(point);
    } catch (err) {
      if (!(err instanceof LineSyntaxError)) throw err;
      // Resynchronise at the next newline after the failure point (a quoted string already
      // consumed keeps its newlines).
      end = body.indexOf('\n', Math.max(parser.pos, start));
      if (end < 0) end = body.length;
      errors.push({ line: startLine, message: err.message, text: body.slice(start, Math.min(end, start + 200)).replace(/\r$/, '') });
    }
    for (let i = start; i < end; i++) if (body.charCodeAt(i) === NEWLINE) lineNo++;
    pos = end;
    if (body.charCodeAt(pos) === NEWLINE) {
      pos++;
      lineNo++;
    }
  }
  return { points, errors };
}

class LineSyntaxError extends Error {}

class LineParser {
  pos: number;

  constructor(
    private readonly s: string,
    start: number,
    private readonly precision: Precision,
  ) {
    this.pos = start;
  }

  /** Parses one line starting at pos; null for a blank or comment line. Leaves pos at its newline. */
  parse(line: number): LinePoint | null {
    const s = this.s;
    while (s[this.pos] === ' ' || s[this.pos] === '\t') this.pos++;
    if (this.atEol() || s[this.pos] === '#') {
      const nl = s.indexOf('\n', this.pos);
      this.pos = nl < 0 ? s.length : nl;
      return null;
    }
    const measurement = this.token(',  ', true);
    if (measurement.length === 0) this.fail('missing measurement');
    const tags = new Map<string, string>();
    while (s[this.pos] === ',') {
      this.pos++;
      const key = this.token('=, ', false);
      if (s[this.pos] !== '=') this.fail(`tag "${key}" has no value (expected key=value)`);
      this.pos++;
      const value = this.token(', =', false);
      if (key.length === 0 || value.length === 0) this.fail('tag keys and values must not be empty');
      tags.set(key, value);
    }
    if (s[this.pos] !== ' ') this.fail('missing field set (expected a space after the measurement and tags)');
    while (s[this.pos] === ' ') this.pos++;
    if (this.atEol()) this.fail('missing field set');
    const fields = new Map<string, LineFieldValue>();
    for (;;) {
      const key = this.token('=, ', false);
      if (key.length === 0) this.fail('empty field key');
      if (s[this.pos] !== '=') this.fail(`field "${key}" has no value (expected key=value)`);
      this.pos++;
      fields.set(key, this.fieldValue(key));
      if (s[this.pos] !== ',') break;
      this.pos++;
    }
    let tsMs: number | null = null;
    if (s[this.pos] === ' ') {
      while (s[this.pos] === ' ') this.pos++;
      if (!this.atEol()) tsMs = this.timestamp();
    }
    while (s[this.pos] === ' ' || s[this.pos] === '\r') this.pos++;
    if (!this.atEol()) this.fail(`unexpected "${s[this.pos]}" after the ${tsMs === null ? 'field set' : 'timestamp'}`);
    return { line, measurement, tags, fields, tsMs };
  }

  private atEol(): boolean {
    const c = this.s[this.pos];
    return c === undefined || c === '\n' || (c === '\r' && (this.s[this.pos + 1] === '\n' || this.pos + 1 === this.s.length));
  }

  private fail(message: string): never {
    throw new LineSyntaxError(message);
  }

  /**
   * Reads an identifier up to an unescaped stop character. A backslash escapes the stop
   * characters (and space, comma, equals); before anything else it stays a literal backslash.
   * The common case (no backslash) is one scan and one slice.
   */
  private token(stops: string, isMeasurement: boolean): string {
    const s = this.s;
    const start = this.pos;
    let i = start;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === BACKSLASH) return this.escapedToken(stops, isMeasurement);
      if (c === NEWLINE || stops.includes(s[i]!)) break;
      if (c === CARRIAGE_RETURN && (i + 1 === s.length || s.charCodeAt(i + 1) === NEWLINE)) break;
    }
    this.pos = i;
    return s.slice(start, i);
  }

  private escapedToken(stops: string, isMeasurement: boolean): string {
    const s = this.s;
    let out = '';
    while (this.pos < s.length) {
      const c = s[this.pos]!;
      if (c === '\n' || (c === '\r' && this.atEol())) break;
      if (c === '\\') {
        const next = s[this.pos + 1];
        const escapable = next === ',' || next === ' ' || (!isMeasurement && next === '=');
        if (escapable || next === '\\') {
          out += next;
          this.pos += 2;
          continue;
        }
      } else if (stops.includes(c)) {
        break;
      }
      out += c;
      this.pos++;
    }
    return out;
  }

  private fieldValue(key: string): LineFieldValue {
    const s = this.s;
    if (s[this.pos] === '"') {
      this.pos++;
      let out = '';
      for (;;) {
        if (this.pos >= s.length) this.fail(`field "${key}": unterminated string`);
        const c = s[this.pos];
        if (c === '\\' && (s[this.pos + 1] === '"' || s[this.pos + 1] === '\\')) {
          out += s[this.pos + 1];
          this.pos += 2;
          continue;
        }
        this.pos++;
        if (c === '"') return out;
        out += c;
      }
    }
    const start = this.pos;
    let i = start;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === COMMA || c === SPACE || c === NEWLINE) break;
      if (c === CARRIAGE_RETURN && (i + 1 === s.length || s.charCodeAt(i + 1) === NEWLINE)) break;
    }
    this.pos = i;
    const raw = s.slice(start, i);
    if (raw.length === 0) this.fail(`field "${key}" has an empty value`);
    switch (raw) {
      case 't': case 'T': case 'true': case 'True': case 'TRUE':
        return true;
      case 'f': case 'F': case 'false': case 'False': case 'FALSE':
        return false;
    }
    const suffix = raw[raw.length - 1];
    if (suffix === 'i' || suffix === 'u') {
      const digits = raw.slice(0, -1);
      const pattern = suffix === 'i' ? /^-?\d+$/ : /^\d+$/;
      if (!pattern.test(digits)) this.fail(`field "${key}": invalid ${suffix === 'i' ? 'integer' : 'unsigned integer'} "${raw}"`);
      const value = Number(digits);
      // Vigil keeps numbers as doubles: an integer beyond 2^53 would be silently rounded.
      if (!Number.isSafeInteger(value)) this.fail(`field "${key}": integer ${digits} is beyond 2^53 and cannot be stored exactly`);
      return value;
    }
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw)) this.fail(`field "${key}": invalid value "${raw}" (strings need double quotes)`);
    const value = Number(raw);
    if (!Number.isFinite(value)) this.fail(`field "${key}": ${raw} is out of range`);
    return value;
  }

  private timestamp(): number {
    const s = this.s;
    const start = this.pos;
    while (this.pos < s.length && s[this.pos] !== ' ' && !this.atEol()) this.pos++;
    const raw = s.slice(start, this.pos);
    if (!/^-?\d{1,19}$/.test(raw)) this.fail(`invalid timestamp "${raw}" (expected an integer in ${this.precision})`);
    const ticks = BigInt(raw);
    const perMs = PER_MS[this.precision];
    const ms = this.precision === 's' ? ticks * 1000n : ticks / perMs;
    if (ms < 0n) this.fail(`timestamp ${raw} is before 1970`);
    if (ms > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`timestamp ${raw} is out of range for precision ${this.precision}`);
    return Number(ms);
  }
}
