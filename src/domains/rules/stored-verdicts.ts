// What a backtest of an anomaly rule replays: the live models' verdicts are not stored point by
// point, but each anomalous episode left an `anomaly` alarm with the point's time, the model's
// keys and its score. Those are the verdicts the rule would have judged (one per episode).
import type { AlarmService } from '../alarms/alarms.service.js';
import type { StoredVerdicts } from './backtest.js';

/** Episodes read per device and backtest. */
const MAX_VERDICTS = 10_000;

export function storedVerdicts(alarms: AlarmService): StoredVerdicts {
  return async (tenantId, deviceId, fromMs, toMs) => {
    // Raised at or after the range's start (a point is judged when it arrives, never before its
    // time); the point's own time decides whether it lies in the range.
    const page = await alarms.list(tenantId, { deviceId, type: 'anomaly', fromMs, offset: 0, limit: MAX_VERDICTS });
    const out: { ts: number; keys: string[]; score: number }[] = [];
    for (const a of page.items) {
      const d = a.details as { ts?: unknown; keys?: unknown; score?: unknown } | null;
      const ts = typeof d?.ts === 'number' ? d.ts : a.createdAt;
      if (ts < fromMs || ts >= toMs || typeof d?.score !== 'number') continue;
      const keys = Array.isArray(d.keys) ? d.keys.filter((k): k is string => typeof k === 'string') : a.key ? [a.key] : [];
      out.push({ ts, keys, score: d.score });
    }
    return out.sort((x, y) => x.ts - y.ts);
  };
}
