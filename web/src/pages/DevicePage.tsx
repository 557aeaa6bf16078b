// One device: identity and state, latest values, live charts of every numeric key with zoom and
// pan into history, its alarms and its credentials, attributes, command console and firmware. ?alarm=<id> (from an alarm's "show on chart"
// link) marks the alarm's moment on the charts and shows its explanation.
import { useCallback, useEffect, useMemo } from 'react';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { getAlarms, getDevicesById, getDevicesByIdTelemetryLatest } from '../api/generated';
import { useApi, useLive, useLiveSubscription } from '../api/context';
import { ApiError } from '../api/session';
import { useAsync } from '../lib/use-async';
import { formatAgo, formatTime, formatValue } from '../lib/format';
import { PRESETS, pan, rangeFromSearch, searchWithRange, zoomOut, zoomTo, type TimeRange } from '../lib/time-range';
import { StatusBadge } from '../components/Badges';
import { TelemetryCharts } from '../components/TelemetryCharts';
import type { ChartMarker } from '../components/TimeSeriesChart';
import { AlarmTable, alarmExplanation, alarmMoment, mergeAlarm } from '../components/AlarmTable';
import { CredentialsPanel } from '../components/CredentialsPanel';
import { HealthCard } from '../components/HealthCard';
import { AttributesPanel } from '../device/AttributesPanel';
import { CommandConsole } from '../device/CommandConsole';
import { FirmwarePanel } from '../device/FirmwarePanel';

export function DevicePage() {
  const { id = '' } = useParams();
  const call = useApi();
  const live = useLive();
  const [search, setSearch] = useSearchParams();
  const range = rangeFromSearch(search);
  const alarmId = search.get('alarm');
  const showForecast = search.get('forecast') === '1';
  const setRange = useCallback(
    (r: TimeRange) => setSearch((s) => searchWithRange(s, r), { replace: false }),
    [setSearch],
  );

  const device = useAsync(() => getDevicesById(call, { path: { id } }), [call, id]);
  const latest = useAsync(() => getDevicesByIdTelemetryLatest(call, { path: { id } }), [call, id]);
  const alarms = useAsync(async () => (await getAlarms(call, { query: { deviceId: id, limit: 200 } })).items, [call, id]);
  useLiveSubscription(device.data ? { deviceId: id } : null);

  useEffect(() => {
    const offTelemetry = live.on('telemetry', (event) => {
      if (event.deviceId !== id) return;
      latest.setData((prev) => {
        const data = { ...(prev?.data ?? {}) };
        for (const p of event.points) if (!data[p.key] || data[p.key]!.ts <= p.ts) data[p.key] = { ts: p.ts, value: p.value };
        return { deviceId: id, data };
      });
    });
    const offStatus = live.on('status', (event) => {
      if (event.deviceId === id) device.setData((prev) => prev && { ...prev, status: event.status, lastSeenAt: event.at });
    });
    const offAlarm = live.on('alarm', (alarm) => {
      if (alarm.deviceId === id) alarms.setData((prev) => mergeAlarm(prev ?? [], alarm));
    });
    return () => {
      offTelemetry();
      offStatus();
      offAlarm();
    };
  }, [live, id]);

  const latestEntries = Object.entries(latest.data?.data ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const numericKeys = useMemo(
    () => latestEntries.filter(([, v]) => typeof v.value === 'number').map(([k]) => k),
    [latestEntries.map(([k, v]) => `${k}:${typeof v.value}`).join(',')],
  );
  const focused = alarmId ? alarms.data?.find((a) => a.id === alarmId) : undefined;
  // Every alarm of a key is marked on that key's chart with the range the model expected; the
  // focused one is also marked on all other charts.
  const markers = useMemo(() => {
    const byKey = new Map<string, ChartMarker[]>();
    const add = (key: string, marker: ChartMarker) => byKey.set(key, [...(byKey.get(key) ?? []), marker]);
    for (const a of alarms.data ?? []) {
      const e = alarmExplanation(a);
      const key = e?.key ?? a.key;
      if (key) add(key, { ts: alarmMoment(a), expected: e?.expected });
    }
    if (focused) for (const k of numericKeys) if (k !== (alarmExplanation(focused)?.key ?? focused.key)) add(k, { ts: alarmMoment(focused) });
    return byKey;
  }, [alarms.data, focused, numericKeys]);
  const lastSeen = latestEntries.reduce((max, [, v]) => Math.max(max, v.ts), device.data?.lastSeenAt ?? 0) || null;

  if (device.error) {
    const missing = device.error instanceof ApiError && device.error.status === 404;
    return (
      <section className="page">
        <h1>{missing ? 'Device not found' : 'Could not load the device'}</h1>
        <p>
          {missing ? 'It may have been deleted.' : device.error.message} <Link to="/">Back to the fleet</Link>
        </p>
      </section>
    );
  }
  const d = device.data;
  const now = Date.now();
  const explanation = focused ? alarmExplanation(focused) : null;

  return (
    <section className="page device-page">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/">Fleet</Link> <span aria-hidden="true">/</span> <span>{d?.name ?? '…'}</span>
      </nav>
      <div className="page-head">
        <h1>{d?.name ?? 'Loading…'}</h1>
        {d && <StatusBadge status={d.status} />}
        {d && <span className="muted">{d.type}</span>}
        {d &&
          Object.entries(d.labels).map(([k, v]) => (
            <span key={k} className="label-chip">
              {k}={v}
            </span>
          ))}
        <span className="muted push-right" title={formatTime(lastSeen)}>
          Last seen {formatAgo(lastSeen, now)}
        </span>
      </div>

      {focused && (
        <div className={`alarm-banner severity-border-${focused.severity}`} role="note" aria-label="Alarm on the chart">
          <strong>{focused.message}</strong>
          <span className="muted">
            {' '}
            · {formatTime(alarmMoment(focused))} · status {focused.status}
            {explanation?.expected && ` · expected ${formatValue(explanation.expected[0])} to ${formatValue(explanation.expected[1])}`}
            {explanation?.observed !== undefined && `, observed ${formatValue(explanation.observed)}`}
          </span>
          <button type="button" className="btn btn-ghost btn-small" onClick={() => setSearch((s) => (s.delete('alarm'), s))}>
            Hide
          </button>
        </div>
      )}

      <section className="card" aria-labelledby="latest-title">
        <h2 id="latest-title">Latest values</h2>
        {latestEntries.length === 0 ? (
          <p className="muted">No telemetry yet.</p>
        ) : (
          <dl className="latest-grid">
            {latestEntries.map(([key, v]) => (
              <div key={key} className="latest-item" data-key={key}>
                <dt>{key}</dt>
                <dd>
                  <span className="latest-value">{formatValue(v.value)}</span>
                  <span className="muted small">{formatAgo(v.ts, now)}</span>
                </dd>
              </div>
            ))}
          </dl>
        )}
      </section>

      <section className="card" aria-labelledby="charts-title">
        <div className="card-head">
          <h2 id="charts-title">Telemetry</h2>
          <div className="range-bar" role="group" aria-label="Time range">
            {PRESETS.map((p) => (
              <button
                key={p.label}
                type="button"
                className={`btn btn-small ${range.live && range.spanMs === p.spanMs ? 'btn-selected' : 'btn-ghost'}`}
                aria-pressed={range.live && range.spanMs === p.spanMs}
                onClick={() => setRange({ live: true, spanMs: p.spanMs })}
              >
                {p.label}
              </button>
            ))}
            <span className="divider" aria-hidden="true" />
            <button type="button" className="btn btn-small btn-ghost" onClick={() => setRange(pan(range, Date.now(), -0.5))} aria-label="Earlier">
              ←
            </button>
            <button type="button" className="btn btn-small btn-ghost" onClick={() => setRange(pan(range, Date.now(), 0.5))} aria-label="Later">
              →
            </button>
            <button type="button" className="btn btn-small btn-ghost" onClick={() => setRange(zoomOut(range, Date.now()))}>
              Zoom out
            </button>
            <span className="divider" aria-hidden="true" />
            <button
              type="button"
              className={`btn btn-small ${showForecast ? 'btn-selected' : 'btn-ghost'}`}
              aria-pressed={showForecast}
              onClick={() => setSearch((s) => (showForecast ? s.delete('forecast') : s.set('forecast', '1'), s), { replace: true })}
            >
              Forecast
            </button>
            <span className={`range-state ${range.live ? 'is-live' : ''}`}>
              {range.live ? 'Live' : `${formatTime(range.from)} – ${formatTime(range.to)}`}
            </span>
          </div>
        </div>
        <p className="muted small">Drag across a chart to zoom in.</p>
        <TelemetryCharts deviceId={id} keys={numericKeys} range={range} markers={markers}
          showForecast={showForecast}
          onZoom={(f, t) => setRange(zoomTo(f, t))}
        />
      </section>

      <div className="two-col">
        <section className="card" aria-labelledby="device-alarms-title">
          <h2 id="device-alarms-title">Alarms</h2>
          <AlarmTable
            alarms={alarms.data ?? []}
            showDevice={false}
            onChanged={(a) => alarms.setData((prev) => mergeAlarm(prev ?? [], a))}
          />
        </section>
        <div className="side-col">
          {d && <HealthCard deviceId={id} deviceType={d.type} />}
          <CredentialsPanel deviceId={id} />
        </div>
      </div>

      <div className="two-col">
        <CommandConsole deviceId={id} />
        <div className="side-col">
          <AttributesPanel deviceId={id} />
          {d && <FirmwarePanel deviceId={id} deviceType={d.type} latest={Object.fromEntries(latestEntries.map(([k, v]) => [k, v.value]))} />}
        </div>
      </div>
    </section>
  );
}
