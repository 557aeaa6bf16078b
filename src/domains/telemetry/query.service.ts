// Telemetry reads for the API: raw ranges, windowed aggregates, latest values and keys,
// always scoped to a device of the caller's tenant. Results keyed by telemetry key are
// null-prototype objects: a key is data, so "constructor" or "__proto__" is just another key.
import { Errors } from '../../errors.js';
import type { Aggregate, TelemetryStore } from '../../ports/telemetry-store.js';
import type { MetadataStore } from '../../ports/metadata-store.js';
import { durationMs, MAX_DURATION_MS, MAX_TIME_MS } from '../../util/duration.js';
import type { KeyUnits } from './key-units.js';

const AGGREGATES: readonly Aggregate[] = ['avg', 'min', 'max', 'sum', 'count'];
/** A query may produce at most this many windows per key: more is a mistake, not a chart. */
const MAX_WINDOWS = 100_000;

/** A rejected value as echoed in a problem body: long enough to recognise, never the whole 8 KB. */
export function clip(value: string): string {
  return value.length > 100 ? `${value.slice(0, 100)}...` : value;
}

/** At most this many keys in one `keys=` list (a URL holds about 8 KB anyway). */
export const MAX_QUERY_KEYS = 1000;

/** Accepts epoch milliseconds or an ISO-8601 date-time, within the range of a JavaScript Date. */
export function parseTime(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const ms = /^-?\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (Number.isNaN(ms)) throw Errors.badRequest(`${name} must be epoch milliseconds or an ISO-8601 date-time`, { [name]: clip(value) });
  if (Math.abs(ms) > MAX_TIME_MS) {
    throw Errors.badRequest(`${name} must be between -${MAX_TIME_MS} and ${MAX_TIME_MS} epoch milliseconds`, { [name]: clip(value) });
  }
  return ms;
}

/** A window: "500ms", "10s", "1m", "1h", "1d", "1w" or a plain number of milliseconds. */
export function parseInterval(value: string): number {
  const ms = durationMs(value);
  if (ms === null) {
    throw Errors.badRequest(`interval must look like 10s, 1m, 1h, 1d or milliseconds, at most ${MAX_DURATION_MS} ms`, { interval: clip(value) });
  }
  return ms;
}

/** A comma-separated key list; `name` is the parameter named in the error. */
export function parseKeys(value: string | undefined, name = 'keys'): string[] | undefined {
  if (!value) return undefined;
  const keys = value.split(',').map((k) => k.trim()).filter(Boolean);
  if (keys.length > MAX_QUERY_KEYS) throw Errors.badRequest(`${name} may list at most ${MAX_QUERY_KEYS} keys`, { [name]: `${keys.length} keys` });
  return keys.length ? keys : undefined;
}

export interface TelemetryQueryInput {
  keys?: string;
  from?: string;
  to?: string;
  limit?: number;
  order?: 'asc' | 'desc';
  interval?: string;
  agg?: string;
}

export class TelemetryQueryService {
  constructor(
    private readonly telemetry: TelemetryStore,
    private readonly metadata: MetadataStore,
    private readonly maxPoints: number,
    /** Units the devices declared for their keys (optional: tests build the service without). */
    private readonly units?: KeyUnits,
  ) {}

  private async requireDevice(tenantId: string, deviceId: string): Promise<void> {
    if (!(await this.metadata.getDevice(tenantId, deviceId))) throw Errors.notFound(`device ${deviceId} not found`);
  }

  async query(tenantId: string, deviceId: string, q: TelemetryQueryInput) {
    await this.requireDevice(tenantId, deviceId);
    const now = Date.now();
    const toMs = parseTime(q.to, 'to', now);
    const fromMs = parseTime(q.from, 'from', toMs - 24 * 3_600_000);
    if (fromMs > toMs) throw Errors.badRequest('from must not be after to', { from: fromMs, to: toMs });
    const keys = parseKeys(q.keys);
    if (q.interval || q.agg) {
      const intervalMs = parseInterval(q.interval ?? '1m');
      const aggregates = [...new Set((q.agg ?? 'avg').split(',').map((a) => a.trim()))] as Aggregate[];
      const unknown = aggregates.filter((a) => !AGGREGATES.includes(a));
      if (unknown.length) {
        throw Errors.badRequest(`agg: unknown aggregate ${unknown.slice(0, 5).join(', ').slice(0, 200)}; use ${AGGREGATES.join(', ')}`, { agg: clip(q.agg ?? '') });
      }
      if ((toMs - fromMs) / intervalMs > MAX_WINDOWS) {
        throw Errors.badRequest(`from..to at interval ${intervalMs} ms makes more than ${MAX_WINDOWS} windows; widen the interval`, {
          interval: clip(q.interval ?? ''),
        });
      }
      const rows = await this.telemetry.queryAggregate({ tenantId, deviceId, keys, fromMs, toMs, intervalMs, aggregates });
      return { deviceId, from: fromMs, to: toMs, interval: intervalMs, aggregates, data: groupByKey(rows) };
    }
    const limit = Math.min(q.limit ?? 1000, this.maxPoints);
    const points = await this.telemetry.queryRaw({ tenantId, deviceId, keys, fromMs, toMs, limit, order: q.order ?? 'asc' });
    return { deviceId, from: fromMs, to: toMs, data: groupByKey(points) };
  }

  async latest(tenantId: string, deviceId: string, keys?: string) {
    await this.requireDevice(tenantId, deviceId);
    const points = await this.telemetry.latest(tenantId, deviceId, parseKeys(keys));
    const data: Record<string, { ts: number; value: unknown }> = Object.create(null);
    for (const p of points) data[p.key] = { ts: p.ts, value: p.value };
    return { deviceId, data };
  }

  async keys(tenantId: string, deviceId: string) {
    await this.requireDevice(tenantId, deviceId);
    const [keys, known] = await Promise.all([this.telemetry.keys(tenantId, deviceId), this.units?.units(tenantId, deviceId)]);
    // Null prototype: keys are device data and may be any string, "__proto__" included.
    const units: Record<string, string> = Object.create(null);
    for (const [key, unit] of known ?? []) units[key] = unit;
    return { deviceId, keys, units };
  }
}

function groupByKey<T extends { key: string }>(rows: T[]): Record<string, Omit<T, 'key'>[]> {
  const out: Record<string, Omit<T, 'key'>[]> = Object.create(null);
  for (const { key, ...rest } of rows) (out[key] ??= []).push(rest);
  return out;
}
