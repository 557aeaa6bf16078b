// "Test against history": replays the form's rule (saved or not) over a device's stored data with
// POST /rules/test, and draws the target key over the same range with the spans the rule would have
// been firing shaded. Nothing is raised or sent: the backtest has no side effects.
import { useState } from 'react';
import { getDevicesByIdTelemetry, postRulesTest, type PostRulesTestResult } from '../api/generated';
import { useApi } from '../api/context';
import { DevicePicker } from '../components/DevicePicker';
import { TimeSeriesChart } from '../components/TimeSeriesChart';
import { chooseResolution } from '../lib/aggregation';
import { seriesFromResponse, type Series } from '../lib/series';
import { errorMessage } from '../lib/problems';
import { formatTime } from '../lib/format';
import { DAY_MS, HOUR_MS } from '../lib/time-range';
import { chartKey, draftToBody, firingIntervals, validateDraft, type FiringInterval, type RuleDraft } from './rule-form';

const RANGES = [
  { label: '6 h', ms: 6 * HOUR_MS },
  { label: '24 h', ms: DAY_MS },
  { label: '7 d', ms: 7 * DAY_MS },
  { label: '30 d', ms: 30 * DAY_MS },
];
const CHART_WIDTH_PX = 900;

interface Outcome {
  result: PostRulesTestResult;
  from: number;
  to: number;
  key: string | null;
  series: Series | null;
  intervals: FiringInterval[];
}

export function BacktestPanel({ draft, onInvalid }: { draft: RuleDraft; onInvalid: (errors: Record<string, string>) => void }) {
  const call = useApi();
  const [deviceId, setDeviceId] = useState(draft.targetKind === 'device' ? draft.deviceId : '');
  const [rangeMs, setRangeMs] = useState(DAY_MS);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const device = draft.targetKind === 'device' ? draft.deviceId : deviceId;

  async function run() {
    const problems = validateDraft(draft);
    if (Object.keys(problems).length) return onInvalid(problems);
    if (!device) return setError('Choose a device to test against.');
    setBusy(true);
    setError(null);
    const to = Date.now();
    const from = to - rangeMs;
    const key = chartKey(draft);
    try {
      const resolution = chooseResolution(rangeMs, CHART_WIDTH_PX);
      const [result, telemetry] = await Promise.all([
        postRulesTest(call, { body: { rule: draftToBody(draft), from, to, deviceIds: [device] } }),
        key
          ? getDevicesByIdTelemetry(call, {
              path: { id: device },
              query: {
                keys: key,
                from: String(from),
                to: String(to),
                ...(resolution.kind === 'aggregate' ? { interval: String(resolution.intervalMs), agg: 'avg,min,max' } : { limit: 10_000, order: 'asc' }),
              },
            })
          : Promise.resolve(null),
      ]);
      const events = result.events.filter((e) => e.deviceId === device);
      setOutcome({
        result,
        from,
        to,
        key,
        series: telemetry && key ? seriesFromResponse(telemetry, [key]).get(key)! : null,
        intervals: firingIntervals(events),
      });
    } catch (err) {
      setError(`Test failed: ${errorMessage(err)}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-label="Test against history">
      <h2>Test against history</h2>
      <div className="form-row">
        {draft.targetKind !== 'device' && (
          <label className="field">
            <span>Device</span>
            <DevicePicker value={deviceId} onChange={setDeviceId} type={draft.targetKind === 'type' ? draft.deviceType : undefined} label="Test device" />
          </label>
        )}
        <label className="field">
          <span>Over the last</span>
          <select value={rangeMs} onChange={(e) => setRangeMs(Number(e.target.value))}>
            {RANGES.map((r) => (
              <option key={r.ms} value={r.ms}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="btn" onClick={() => void run()} disabled={busy}>
          {busy ? 'Testing…' : 'Run test'}
        </button>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {outcome && (
        <div className="backtest-result" role="status">
          <p>
            {outcome.intervals.length === 0
              ? 'Would not have fired'
              : `Would have fired ${outcome.intervals.length} time${outcome.intervals.length === 1 ? '' : 's'}`}{' '}
            over {outcome.result.points.toLocaleString()} points{outcome.result.truncated ? ' (stopped early: too many points)' : ''}.
          </p>
          {outcome.series && outcome.key && (
            <TimeSeriesChart label={outcome.key} series={outcome.series} from={outcome.from} to={outcome.to} intervals={outcome.intervals} height={220} />
          )}
          {outcome.intervals.length > 0 && (
            <ul className="plain-list intervals">
              {outcome.intervals.slice(0, 50).map((s) => (
                <li key={s.from}>
                  fired {formatTime(s.from)} — {s.to === null ? 'still firing at the end' : `cleared ${formatTime(s.to)}`}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}
