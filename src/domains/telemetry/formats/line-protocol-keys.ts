// How InfluxDB line protocol maps onto Vigil's model (documented in docs/ingest.md):
// - the device is the one whose token authorised the write (org and bucket are accepted and
//   ignored: a device token can only write its own data);
// - each field becomes one key: `measurement.field`, and when the line has tags they follow in
//   braces, sorted by tag key, so series that differ only by tag stay apart:
//   `cpu,cpu=cpu0,host=a usage_user=1.5` → key `cpu.usage_user{cpu=cpu0;host=a}` (";", not ",", because the query API splits `?keys=` at commas);
// - a line without a timestamp takes the server's receive time.
import type { TelemetryPoint } from '../../../ports/telemetry.js';
import { parseLineProtocol, type LineError, type LinePoint, type Precision } from './line-protocol.js';

export interface LineLimits {
  nowMs: number;
  maxFutureSkewMs: number;
}

/** Same limit as the JSON payloads: keys longer than this are refused. */
const MAX_KEY_LENGTH = 255;

export function keyFor(measurement: string, field: string, tags: Map<string, string>): string {
  if (tags.size === 0) return `${measurement}.${field}`;
  const sorted = [...tags].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${measurement}.${field}{${sorted.map(([k, v]) => `${k}=${v}`).join(';')}}`;
}

/** Parses a write body into Vigil points; bad lines (syntax or limits) come back by number. */
export function lineProtocolToPoints(body: string, precision: Precision, limits: LineLimits): { points: TelemetryPoint[]; errors: LineError[] } {
  const parsed = parseLineProtocol(body, precision);
  const points: TelemetryPoint[] = [];
  const errors = parsed.errors;
  for (const line of parsed.points) {
    const problem = checkLine(line, limits);
    if (problem) {
      errors.push({ line: line.line, message: problem, text: '' });
      continue;
    }
    const ts = line.tsMs ?? limits.nowMs;
    for (const [field, value] of line.fields) points.push({ key: keyFor(line.measurement, field, line.tags), ts, value });
  }
  errors.sort((a, b) => a.line - b.line);
  return { points, errors };
}

function checkLine(line: LinePoint, limits: LineLimits): string | null {
  if (line.tsMs !== null && line.tsMs > limits.nowMs + limits.maxFutureSkewMs) {
    return `timestamp ${new Date(line.tsMs).toISOString()} is more than ${limits.maxFutureSkewMs} ms in the future (check the precision parameter)`;
  }
  for (const field of line.fields.keys()) {
    const key = keyFor(line.measurement, field, line.tags);
    if (key.length > MAX_KEY_LENGTH) return `key "${key.slice(0, 40)}..." is longer than ${MAX_KEY_LENGTH} characters`;
  }
  return null;
}
