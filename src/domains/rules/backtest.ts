// Replays stored history through a rule (saved or not) and reports when it would have fired and
// cleared. The same pure step() as the live engine, fed points in time order with a tick before
// each point (so durations end when they would have on the clock) and one at the end of the range.
// Reads only: no alarm, no notification, no state is touched.
import type { MetadataStore } from '../../ports/metadata-store.js';
import type { TelemetryStore, StoredPoint } from '../../ports/telemetry-store.js';
import { Errors } from '../../errors.js';
import { initialState, numericValue, step, type RuleInput, type RuleState } from './evaluate.js';
import { ruleKeys, type RuleSpec } from './rule.js';

export interface BacktestRange {
  fromMs: number;
  toMs: number;
  /** Devices to replay; default: the rule's target (at most MAX_DEVICES of a type or tenant). */
  deviceIds?: string[];
}

export interface BacktestEvent {
  deviceId: string;
  kind: 'fire' | 'clear';
  at: number;
  value: number | null;
}

export interface BacktestResult {
  events: BacktestEvent[];
  devices: number;
  points: number;
  /** A device had more than MAX_POINTS_PER_DEVICE points in the range: only the first ones were replayed. */
  truncated: boolean;
}

export const MAX_POINTS_PER_DEVICE = 200_000;
const MAX_DEVICES = 100;
/** Schedules are ticked once a minute; a bounded range keeps that loop small. */
const MAX_SCHEDULE_RANGE_MS = 31 * 86_400_000;

interface DevicePoint extends StoredPoint {
  deviceId: string;
  /** Anomaly verdicts: the keys of the model that judged. */
  keys?: string[];
}

/** The stored verdicts of a device's anomaly models in a range, oldest first (for anomaly rules). */
export type StoredVerdicts = (tenantId: string, deviceId: string, fromMs: number, toMs: number) => Promise<{ ts: number; keys: string[]; score: number }[]>;

export async function backtest(
  spec: RuleSpec,
  tenantId: string,
  range: BacktestRange,
  telemetry: TelemetryStore,
  metadata: MetadataStore,
  verdicts?: StoredVerdicts,
): Promise<BacktestResult> {
  if (range.toMs <= range.fromMs) throw Errors.unprocessable('to must be after from', { problems: [{ field: 'to', message: 'must be after from' }] });
  const c = spec.condition;
  if (c.type === 'predicted_failure' || (c.type === 'anomaly' && !verdicts)) {
    // The maintenance estimates of the time are not stored (only the alarms a policy raised).
    throw Errors.unprocessable(`a ${c.type} rule cannot be backtested: the estimates it judges are not stored`, {
      problems: [{ field: 'rule.condition.type', message: `${c.type} rules judge live estimates; backtest replays stored history` }],
    });
  }
  if (c.type === 'schedule' && range.toMs - range.fromMs > MAX_SCHEDULE_RANGE_MS) {
    throw Errors.unprocessable('a schedule rule replays at most 31 days', { problems: [{ field: 'to', message: 'at most 31 days after from for a schedule rule' }] });
  }
  const crossDevice = c.type === 'comparison' && (c.left.deviceId !== null || c.right.deviceId !== null);
  let deviceIds = range.deviceIds;
  if (crossDevice && c.type === 'comparison') deviceIds = [...new Set([c.left.deviceId, c.right.deviceId].filter((d): d is string => d !== null))];
  else if (!deviceIds?.length) {
    if (spec.target.deviceId) deviceIds = [spec.target.deviceId];
    else {
      const filter = {
        offset: 0,
        limit: MAX_DEVICES,
        ...(spec.target.deviceType ? { type: spec.target.deviceType } : {}),
        ...(spec.target.labels ? { labels: spec.target.labels } : {}),
      };
      deviceIds = (await metadata.listDevices(tenantId, filter)).items.map((d) => d.id);
    }
  }
  const keys = ruleKeys(c);
  let truncated = false;
  let points = 0;
  const read = async (deviceId: string): Promise<DevicePoint[]> => {
    if (c.type === 'anomaly') {
      // Anomaly rules replay the models' verdicts, stored as their anomaly alarms (one per episode).
      const found = await verdicts!(tenantId, deviceId, range.fromMs, range.toMs);
      points += found.length;
      return found.map((v) => ({ ts: v.ts, key: v.keys.join('+'), value: v.score, deviceId, keys: v.keys }) as DevicePoint);
    }
    const rows = await telemetry.queryRaw({
      tenantId,
      deviceId,
      ...(keys.length ? { keys } : {}),
      fromMs: range.fromMs,
      toMs: range.toMs,
      limit: MAX_POINTS_PER_DEVICE + 1,
      order: 'asc',
    });
    if (rows.length > MAX_POINTS_PER_DEVICE) {
      truncated = true;
      rows.length = MAX_POINTS_PER_DEVICE;
    }
    points += rows.length;
    return rows.map((r) => ({ ...r, deviceId }));
  };

  const events: BacktestEvent[] = [];
  const replay = (instance: string, series: DevicePoint[]) => {
    let state: RuleState = initialState(c.type === 'inactivity' ? range.fromMs : null);
    const run = (input: RuleInput) => {
      const r = step(spec, state, input);
      state = r.state;
      for (const e of r.events) events.push({ deviceId: instance, kind: e.kind, at: e.at, value: e.value });
    };
    let nextMinute = Math.ceil(range.fromMs / 60_000) * 60_000;
    const ticksUntil = (t: number) => {
      if (c.type === 'schedule') for (; nextMinute <= t; nextMinute += 60_000) run({ kind: 'tick', now: nextMinute });
      else run({ kind: 'tick', now: t });
    };
    for (const p of series) {
      ticksUntil(p.ts);
      const value = numericValue(p.value);
      if (c.type === 'anomaly') {
        run({ kind: 'verdict', deviceId: p.deviceId, keys: p.keys ?? [p.key], ts: p.ts, score: value ?? 0 });
        continue;
      }
      if (value === null && c.type !== 'inactivity') continue;
      run({ kind: 'point', deviceId: p.deviceId, key: p.key, ts: p.ts, value: value ?? 0 });
    }
    ticksUntil(range.toMs);
  };

  if (crossDevice) {
    const merged = (await Promise.all(deviceIds!.map(read))).flat().sort((a, b) => a.ts - b.ts);
    const originator = c.type === 'comparison' ? (c.left.deviceId ?? c.right.deviceId)! : '';
    replay(originator, merged);
  } else {
    for (const deviceId of deviceIds!) {
      if (!(await metadata.getDevice(tenantId, deviceId))) throw Errors.unprocessable(`device ${deviceId} not found`, { problems: [{ field: 'deviceIds', message: `device ${deviceId} not found` }] });
      replay(deviceId, await read(deviceId));
    }
  }
  events.sort((a, b) => a.at - b.at);
  return { events, devices: deviceIds!.length, points, truncated };
}
