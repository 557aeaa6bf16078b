// Chart data per key, in the column layout uPlot draws from: timestamps plus a value column, and
// for windowed data the min and max columns that make the band around the average.
import type { GetDevicesByIdTelemetryResult } from '../api/generated';
import type { LivePoint } from '../live/live';

export interface Series {
  ts: number[];
  value: (number | null)[];
  min: (number | null)[] | null;
  max: (number | null)[] | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** One Series per key from a telemetry response (raw: `value`; windowed: `avg`, `min`, `max`). */
export function seriesFromResponse(res: GetDevicesByIdTelemetryResult, keys: string[]): Map<string, Series> {
  const windowed = res.interval !== undefined;
  const out = new Map<string, Series>();
  for (const key of keys) {
    const rows = res.data[key] ?? [];
    out.set(key, {
      ts: rows.map((r) => r.ts),
      value: rows.map((r) => num(windowed ? r.avg : r.value)),
      min: windowed ? rows.map((r) => num(r.min)) : null,
      max: windowed ? rows.map((r) => num(r.max)) : null,
    });
  }
  return out;
}

/** Number of points in a response, to tell whether a raw read hit its limit. */
export function pointCount(res: GetDevicesByIdTelemetryResult): number {
  let n = 0;
  for (const rows of Object.values(res.data)) n += rows.length;
  return n;
}

/**
 * Adds live points to the series of their keys, in time order, dropping what fell out of the
 * window. Returns new Series objects for the keys that changed (the chart redraws those only).
 */
export function appendLive(series: Map<string, Series>, points: LivePoint[], fromMs: number): Map<string, Series> {
  const next = new Map(series);
  const touched = new Set<string>();
  for (const p of points) {
    const value = num(p.value);
    const s = next.get(p.key);
    if (value === null || !s) continue;
    let copy = s;
    if (!touched.has(p.key)) {
      copy = { ts: [...s.ts], value: [...s.value], min: s.min && [...s.min], max: s.max && [...s.max] };
      next.set(p.key, copy);
      touched.add(p.key);
    }
    // Usually the newest point: append; an out-of-order one is inserted where it belongs.
    let at = copy.ts.length;
    while (at > 0 && copy.ts[at - 1]! > p.ts) at--;
    if (at > 0 && copy.ts[at - 1] === p.ts) continue;
    copy.ts.splice(at, 0, p.ts);
    copy.value.splice(at, 0, value);
    copy.min?.splice(at, 0, value);
    copy.max?.splice(at, 0, value);
  }
  for (const key of touched) next.set(key, trim(next.get(key)!, fromMs));
  return next;
}

/** Drops points older than fromMs. */
export function trim(s: Series, fromMs: number): Series {
  let cut = 0;
  while (cut < s.ts.length && s.ts[cut]! < fromMs) cut++;
  if (cut === 0) return s;
  return { ts: s.ts.slice(cut), value: s.value.slice(cut), min: s.min?.slice(cut) ?? null, max: s.max?.slice(cut) ?? null };
}
