// The fleet's vital signs: devices by state, open alarms by severity, live ingest rate, and the
// most recent rejected payloads with their reasons (admins only; the API refuses others).
import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router-dom';
import { getAlarms, getDevices, getIngestRejected } from '../api/generated';
import { ApiError } from '../api/session';
import { useApi, useLive, useLiveSubscription, useSession } from '../api/context';
import { useAsync } from '../lib/use-async';
import { counterTotal, ratePerSec, type CounterSample } from '../lib/metrics';
import { formatAgo, formatRate } from '../lib/format';
import { Sparkline } from './Sparkline';

const SUMMARY_POLL_MS = 5000;
// Counting by state scans the whole fleet on the server (state is live, not a column): less often.
const STATE_COUNT_POLL_MS = 15_000;
const RATE_POLL_MS = 2000;
const RATE_HISTORY = 60;
const SEVERITY_ORDER = ['critical', 'major', 'warning', 'minor', 'info'];

function useIngestRate(): { rate: number | null; history: number[] } {
  const [state, setState] = useState<{ rate: number | null; history: number[] }>({ rate: null, history: [] });
  const last = useRef<CounterSample | null>(null);
  useEffect(() => {
    let stopped = false;
    async function sample() {
      if (document.visibilityState !== 'visible') return;
      try {
        const text = await (await fetch('/metrics')).text();
        const value = counterTotal(text, 'vigil_points_accepted_total');
        if (value === null || stopped) return;
        const next = { at: Date.now(), value };
        const prev = last.current;
        last.current = next;
        if (!prev) return;
        const rate = ratePerSec(prev, next);
        if (rate !== null) setState((s) => ({ rate, history: [...s.history, rate].slice(-RATE_HISTORY) }));
      } catch {
        // /metrics unreachable (e.g. behind a proxy that hides it): the rate stays unknown.
      }
    }
    void sample();
    const timer = setInterval(sample, RATE_POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);
  return state;
}

/**
 * `enabled` false holds back the first loads: the fleet page lets the device table's first page
 * go first, because counting devices by state scans the whole fleet on the server.
 */
export function FleetSummary({ enabled = true }: { enabled?: boolean }) {
  const call = useApi();
  const session = useSession();
  const counts = useAsync(
    async () => {
      if (!enabled) return undefined;
      const [all, online] = await Promise.all([
        getDevices(call, { query: { limit: 1 } }),
        getDevices(call, { query: { status: 'online', limit: 1 } }),
      ]);
      return { total: all.total, online: online.total, offline: all.total - online.total };
    },
    [call, enabled],
    { pollMs: STATE_COUNT_POLL_MS },
  );
  const alarms = useAsync(
    async () => {
      if (!enabled) return undefined;
      const open = await getAlarms(call, { query: { status: 'active', limit: 1000 } });
      const bySeverity = new Map<string, number>();
      for (const a of open.items) bySeverity.set(a.severity, (bySeverity.get(a.severity) ?? 0) + 1);
      return { total: open.total, bySeverity };
    },
    [call, enabled],
    { pollMs: SUMMARY_POLL_MS },
  );
  const rejected = useAsync(
    async () => {
      if (!enabled) return undefined;
      try {
        return (await getIngestRejected(call, { query: { limit: 6 } })).items;
      } catch (err) {
        if (err instanceof ApiError && err.status === 403) return null; // not an admin
        throw err;
      }
    },
    [call, session.role, enabled],
    { pollMs: SUMMARY_POLL_MS },
  );
  const ingest = useIngestRate();
  // Alarm counts change the moment an alarm is raised or handled anywhere in the tenant.
  const live = useLive();
  useLiveSubscription({ alarms: true });
  const reloadAlarms = alarms.reload;
  useEffect(() => live.on('alarm', () => reloadAlarms()), [live, reloadAlarms]);
  const severities = alarms.data
    ? [...alarms.data.bySeverity.entries()].sort((a, b) => SEVERITY_ORDER.indexOf(a[0]) - SEVERITY_ORDER.indexOf(b[0]))
    : [];

  return (
    <div className="summary-grid">
      <section className="card" aria-labelledby="devices-by-state">
        <h2 id="devices-by-state">Devices</h2>
        <div className="big-number" data-testid="devices-total">
          {counts.data?.total.toLocaleString() ?? '—'}
        </div>
        <ul className="state-list">
          <li>
            <span className="dot dot-online" aria-hidden="true" /> Online
            <strong data-testid="devices-online">{counts.data?.online.toLocaleString() ?? '—'}</strong>
          </li>
          <li>
            <span className="dot dot-offline" aria-hidden="true" /> Offline
            <strong>{counts.data?.offline.toLocaleString() ?? '—'}</strong>
          </li>
        </ul>
      </section>

      <section className="card" aria-labelledby="open-alarms">
        <h2 id="open-alarms">
          <Link to="/alarms">Open alarms</Link>
        </h2>
        <div className="big-number">{alarms.data?.total.toLocaleString() ?? '—'}</div>
        <ul className="state-list">
          {severities.length === 0 && <li className="muted">No open alarms</li>}
          {severities.map(([severity, n]) => (
            <li key={severity}>
              <span className={`dot severity-dot-${severity}`} aria-hidden="true" /> {severity}
              <strong>{n}</strong>
            </li>
          ))}
        </ul>
      </section>

      <section className="card" aria-labelledby="ingest-rate">
        <h2 id="ingest-rate">Ingest rate</h2>
        <div className="big-number" data-testid="ingest-rate">
          {formatRate(ingest.rate)} <span className="unit">points/s</span>
        </div>
        <div className="spark-wrap">
          <Sparkline values={ingest.history} width={220} height={40} label="Ingest rate over the last two minutes" />
        </div>
      </section>

      <section className="card card-wide" aria-labelledby="rejections">
        <h2 id="rejections">Recent rejections</h2>
        {rejected.data === null ? (
          <p className="muted">Only admins see the dead-letter log.</p>
        ) : rejected.data && rejected.data.length === 0 ? (
          <p className="muted">No payload rejected recently.</p>
        ) : (
          <ul className="rejections">
            {rejected.data?.map((r) => (
              <li key={r.id}>
                <span className="reason">{r.reason}</span>
                <span className="rej-message" title={r.payloadHead}>
                  {r.message}
                </span>
                <span className="muted">
                  {r.deviceId ? <Link to={`/devices/${r.deviceId}`}>device</Link> : 'unknown device'} · {r.transport} ·{' '}
                  {formatAgo(r.at)}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
