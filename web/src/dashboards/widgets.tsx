// What each dashboard widget draws, over the dashboard's shared time range. Chart and stat widgets
// stream their device's new points over Socket.IO; the alarm list follows alarm events; the
// status board and text need no stream.
import { Fragment, useEffect, useRef, useState, type ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { getAlarms, getDevices, getDevicesByIdTelemetry, getDevicesByIdTelemetryLatest } from '../api/generated';
import { useApi, useLive, useLiveSubscription } from '../api/context';
import { chooseResolution } from '../lib/aggregation';
import { appendLive, seriesFromResponse, trim, type Series } from '../lib/series';
import { useAsync } from '../lib/use-async';
import { formatAgo, formatValue } from '../lib/format';
import { TimeSeriesChart } from '../components/TimeSeriesChart';
import { Sparkline } from '../components/Sparkline';
import { SeverityBadge, StatusBadge } from '../components/Badges';
import { alarmChartLink } from '../components/AlarmTable';
import { configOf, type Widget } from './types';
import { CommandWidget, GaugeWidget, MapWidget, TableWidget } from './more-widgets';

const REFRESH_MS = 30_000;
const CLOCK_MS = 5_000;

export function WidgetBody({ widget, rangeMs, heightPx, onChange }: { widget: Widget; rangeMs: number; heightPx: number; onChange?: (w: Widget) => void }) {
  const c = configOf(widget);
  switch (widget.type) {
    case 'chart':
      return c.deviceId && c.key ? <ChartWidget deviceId={c.deviceId} keyName={c.key} agg={c.agg ?? 'avg'} rangeMs={rangeMs} heightPx={heightPx} /> : <Unbound />;
    case 'stat':
      return c.deviceId && c.key ? <StatWidget deviceId={c.deviceId} keyName={c.key} rangeMs={rangeMs} /> : <Unbound />;
    case 'alarms':
      return <AlarmsWidget deviceId={c.deviceId} />;
    case 'status':
      return <StatusWidget />;
    case 'text':
      return <Markdown text={c.text ?? ''} />;
    case 'gauge':
      return c.deviceId && c.key ? <GaugeWidget deviceId={c.deviceId} keyName={c.key} min={c.min} max={c.max} /> : <Unbound />;
    case 'table':
      return <TableWidget deviceType={c.deviceType} keys={(c.keys ?? '').split(',').map((k) => k.trim()).filter(Boolean)} />;
    case 'map':
      return <MapWidget widget={widget} onChange={onChange} heightPx={heightPx} />;
    case 'command':
      return c.deviceId && c.method ? <CommandWidget deviceId={c.deviceId} method={c.method} params={c.params} oneway={c.oneway} label={c.label} /> : <p className="muted widget-empty">Choose a device and a method in the widget's settings.</p>;
    default:
      // A widget type added by a newer server: shown as such rather than breaking the dashboard.
      return <p className="muted widget-empty">This widget type is not known to this console.</p>;
  }
}

function Unbound() {
  return <p className="muted widget-empty">Choose a device and a key in the widget's settings.</p>;
}

/** The series of one key over the last rangeMs, windowed to the widget's width, live. */
function useLiveSeries(deviceId: string, key: string, rangeMs: number, widthPx: number, agg: 'avg' | 'min' | 'max') {
  const call = useApi();
  const live = useLive();
  const [series, setSeries] = useState<Series | null>(null);
  const [now, setNow] = useState(Date.now());
  const resolution = chooseResolution(rangeMs, widthPx);
  const resolutionKey = resolution.kind === 'raw' ? 'raw' : resolution.intervalMs;
  useLiveSubscription({ deviceId });

  useEffect(() => {
    let cancelled = false;
    const load = async () => {
      const to = Date.now();
      const query = { keys: key, from: String(to - rangeMs), to: String(to) };
      const res =
        resolution.kind === 'raw'
          ? await getDevicesByIdTelemetry(call, { path: { id: deviceId }, query: { ...query, limit: 20_000 } })
          : await getDevicesByIdTelemetry(call, { path: { id: deviceId }, query: { ...query, interval: String(resolution.intervalMs), agg: 'avg,min,max' } });
      if (cancelled) return;
      const s = seriesFromResponse(res, [key]).get(key)!;
      // The chosen aggregate is the line; min and max still make the band.
      if (agg !== 'avg' && s.min && s.max) s.value = agg === 'min' ? s.min : s.max;
      setSeries(s);
    };
    void load().catch(() => undefined);
    const timer = setInterval(() => void load().catch(() => undefined), REFRESH_MS);
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, [call, deviceId, key, rangeMs, resolutionKey, agg]);

  useEffect(() => {
    const off = live.on('telemetry', (event) => {
      if (event.deviceId !== deviceId) return;
      setSeries((prev) => (prev ? appendLive(new Map([[key, prev]]), event.points, Date.now() - rangeMs).get(key)! : prev));
    });
    const clock = setInterval(() => {
      setNow(Date.now());
      setSeries((prev) => prev && trim(prev, Date.now() - rangeMs));
    }, CLOCK_MS);
    return () => {
      off();
      clearInterval(clock);
    };
  }, [live, deviceId, key, rangeMs]);
  return { series, from: now - rangeMs, to: now };
}

function useWidth(): [React.RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(400);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setWidth(el.clientWidth));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

function ChartWidget({ deviceId, keyName, agg, rangeMs, heightPx }: { deviceId: string; keyName: string; agg: 'avg' | 'min' | 'max'; rangeMs: number; heightPx: number }) {
  const [ref, width] = useWidth();
  const { series, from, to } = useLiveSeries(deviceId, keyName, rangeMs, width, agg);
  return (
    <div ref={ref} className="widget-chart">
      <TimeSeriesChart
        label={keyName}
        series={series ?? { ts: [], value: [], min: null, max: null }}
        from={from}
        to={to}
        height={Math.max(80, heightPx - 40)}
        legend={false}
      />
    </div>
  );
}

function StatWidget({ deviceId, keyName, rangeMs }: { deviceId: string; keyName: string; rangeMs: number }) {
  const call = useApi();
  const live = useLive();
  const latest = useAsync(async () => (await getDevicesByIdTelemetryLatest(call, { path: { id: deviceId }, query: { keys: keyName } })).data[keyName] ?? null, [call, deviceId, keyName]);
  // Sixty windows make the sparkline, whatever the range.
  const { series } = useLiveSeries(deviceId, keyName, rangeMs, 120, 'avg');
  useEffect(
    () =>
      live.on('telemetry', (event) => {
        if (event.deviceId !== deviceId) return;
        const p = event.points.filter((x) => x.key === keyName).at(-1);
        if (p) latest.setData((prev) => (!prev || prev.ts <= p.ts ? { ts: p.ts, value: p.value } : prev));
      }),
    [live, deviceId, keyName],
  );
  const values = (series?.value ?? []).filter((v): v is number => v !== null);
  return (
    <div className="widget-stat">
      <div className="stat-value" data-testid="stat-value">
        {formatValue(latest.data?.value)}
      </div>
      <div className="muted small">
        {keyName} · {formatAgo(latest.data?.ts)}
      </div>
      <div className="spark-wrap">
        <Sparkline values={values.map((v) => v - Math.min(...values))} width={200} height={32} label={`${keyName} trend`} />
      </div>
    </div>
  );
}

function AlarmsWidget({ deviceId }: { deviceId?: string }) {
  const call = useApi();
  const live = useLive();
  const alarms = useAsync(async () => (await getAlarms(call, { query: { status: 'active', deviceId, limit: 20 } })).items, [call, deviceId]);
  useLiveSubscription({ alarms: true });
  const reload = alarms.reload;
  useEffect(() => live.on('alarm', () => reload()), [live, reload]);
  if (!alarms.data) return <p className="muted widget-empty">Loading…</p>;
  if (alarms.data.length === 0) return <p className="muted widget-empty">No open alarms.</p>;
  return (
    <ul className="widget-list">
      {alarms.data.map((a) => (
        <li key={a.id}>
          <SeverityBadge severity={a.severity} /> <Link to={alarmChartLink(a)}>{a.message}</Link>
        </li>
      ))}
    </ul>
  );
}

function StatusWidget() {
  const call = useApi();
  const devices = useAsync(async () => (await getDevices(call, { query: { limit: 200, sort: 'name' } })).items, [call], { pollMs: 10_000 });
  return (
    <ul className="status-board">
      {devices.data?.map((d) => (
        <li key={d.id}>
          <Link to={`/devices/${d.id}`}>{d.name}</Link> <StatusBadge status={d.status} />
        </li>
      ))}
    </ul>
  );
}

/** A small, safe markdown subset: # headings, - lists, **bold**, paragraphs. No HTML is injected. */
export function Markdown({ text }: { text: string }) {
  const blocks: ReactNode[] = [];
  let list: string[] = [];
  const inline = (s: string) =>
    s.split(/(\*\*[^*]+\*\*)/).map((part, i) => (part.startsWith('**') && part.endsWith('**') ? <strong key={i}>{part.slice(2, -2)}</strong> : <Fragment key={i}>{part}</Fragment>));
  const flush = () => {
    if (list.length) blocks.push(<ul key={blocks.length}>{list.map((item, i) => <li key={i}>{inline(item)}</li>)}</ul>);
    list = [];
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('- ')) {
      list.push(line.slice(2));
      continue;
    }
    flush();
    const heading = /^(#{1,3})\s+(.*)$/.exec(line);
    if (heading) blocks.push(<h4 key={blocks.length}>{inline(heading[2]!)}</h4>);
    else if (line.trim()) blocks.push(<p key={blocks.length}>{inline(line)}</p>);
  }
  flush();
  return <div className="widget-text">{blocks}</div>;
}
