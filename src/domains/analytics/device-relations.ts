// Which live model judges a key of a device that sends several keys together. Every such device
// gets one relational model across its keys (detectors/relational.ts): it predicts each key from
// the others and its own last value, so a pump's bearing temperature climbing after a start is
// ordinary, while a bearing that heats without more current is not. A key whose changes the
// other keys explain (decided when the relational model is fitted) is then judged by that model
// only: its own per-key model still learns and still reports a stuck value, but its deviation
// alarms are left to the relational model, which knows the operating state. Keys split into
// operating regimes are already judged within their state and keep their own alarms.
import type { DetectionResult } from './detectors/index.js';

/** Most keys in one device's relational model: its fit solves a (2k)² system per key. */
export const MAX_RELATION_KEYS = 8;
/** Fewest keys sent together that make a relational model. */
export const MIN_RELATION_KEYS = 2;

/** The series name of a device's relational model, as GET /api/v1/models lists it. */
export function relationsName(keys: readonly string[]): string {
  return `relations(${keys.join(',')})`;
}

/** The keys of a relational model's series name, or null when the name is not one. */
export function relationsKeys(name: string): string[] | null {
  if (!name.startsWith('relations(') || !name.endsWith(')')) return null;
  const keys = name.slice('relations('.length, -1).split(',');
  return keys.length >= MIN_RELATION_KEYS && keys.every((k) => k.length > 0) ? keys : null;
}

/** The keys a device's relational model takes from one sample: its numeric keys, sorted, at most MAX_RELATION_KEYS. */
export function relationKeysOf(numericKeys: Iterable<string>): string[] | null {
  const keys = [...new Set(numericKeys)].sort().slice(0, MAX_RELATION_KEYS);
  return keys.length >= MIN_RELATION_KEYS ? keys : null;
}

/**
 * True when a per-key result must not raise its own alarm because the device's relational model
 * judges this key: the key is explained by the others and its model is not split into regimes.
 * A stuck value (flatline) is always the per-key model's to report.
 */
export function leftToRelations(explained: ReadonlySet<string> | undefined, key: string, perKeyKind: string, result: DetectionResult): boolean {
  return explained !== undefined && !result.flatline && explained.has(key) && !perKeyKind.startsWith('2 regimes');
}
