// Every numeric key of a device on its own chart over one shared time range. The range decides
// the resolution (raw points or avg/min/max windows, lib/aggregation.ts) so any range, a minute
// or a year, is one small request per view. In live mode new points stream in over Socket.IO and
// the window slides with the clock.
import { useEffect, useRef, useState } from 'react';
import { getDevicesByIdForecast, getDevicesByIdTelemetry } from '../api/generated';
import { useApi, useLive } from '../api/context';
import { chooseResolution, formatInterval, type Resolution } from '../lib/aggregation';
import { appendLive, pointCount, seriesFromResponse, trim, type Series } from '../lib/series';
import { bounds, type TimeRange } from '../lib/time-range';
import { TimeSeriesChart, type ChartMarker, type ForecastSeries } from './TimeSeriesChart';

/** Raw reads ask for at most this many points; a full answer means "too many, use windows". */
const RAW_LIMIT = 20_000;
/** Windowed live views refetch on this beat, so the newest window fills in. */
const LIVE_WINDOW_REFRESH_MS = 15_000;
const CLOCK_TICK_MS = 1000;
const NO_MARKERS: ChartMarker[] = [];
/** A forecast reaches a quarter of the visible span ahead, within the API's sensible bounds. */
const forecastHorizonMs = (spanMs: number) => Math.min(30 * 86_400_000, Math.max(10 * 60_000, Math.round(spanMs / 4)));

export function TelemetryCharts({
  deviceId,
  keys,
  range,
  markers,
  onZoom,
  showForecast = false,
}: {
  deviceId: string;
  keys: string[];
  range: TimeRange;
  /** Instants to mark on each key's chart (its alarms), by key. */
  markers: Map<string, ChartMarker[]>;
  onZoom: (from: number, to: number) => void;
  /** Overlay each key's forecast with its 95 % prediction interval. */
  showForecast?: boolean;
}) {
  const call = useApi();
  const live = useLive();
  const [now, setNow] = useState(() => Date.now());
  const [widthPx, setWidthPx] = useState(900);
  const [series, setSeries] = useState<Map<string, Series>>(new Map());
  const [resolution, setResolution] = useState<Resolution | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const container = useRef<HTMLDivElement>(null);
  const { from, to } = bounds(range, now);
  const spanMs = to - from;
  const planned = chooseResolution(spanMs, widthPx);
  const plannedKey = planned.kind === 'raw' ? 'raw' : String(planned.intervalMs);
  const keysKey = keys.join(',');
  const fetchKey = range.live ? `live:${range.spanMs}` : `${range.from}:${range.to}`;
  const [refreshTick, setRefreshTick] = useState(0);

  useEffect(() => {
    const el = container.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setWidthPx(Math.max(300, el.clientWidth)));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  // Fetch the history of the range at the planned resolution.
  useEffect(() => {
    if (keys.length === 0) return;
    let cancelled = false;
    const { from: f, to: t } = bounds(range, Date.now());
    const base = { keys: keysKey, from: String(Math.floor(f)), to: String(Math.ceil(t)) };
    const windowed = (intervalMs: number) =>
      getDevicesByIdTelemetry(call, { path: { id: deviceId }, query: { ...base, interval: String(intervalMs), agg: 'avg,min,max' } });
    setLoading(true);
    (async () => {
      let used: Resolution = planned;
      let res =
        planned.kind === 'raw'
          ? await getDevicesByIdTelemetry(call, { path: { id: deviceId }, query: { ...base, limit: RAW_LIMIT } })
          : await windowed(planned.intervalMs);
      if (planned.kind === 'raw' && pointCount(res) >= RAW_LIMIT) {
        used = { kind: 'aggregate', intervalMs: 1000 };
        res = await windowed(1000);
      }
      if (cancelled) return;
      setSeries(seriesFromResponse(res, keys));
      setResolution(used);
      setError(null);
    })()
      .catch((err: Error) => !cancelled && setError(err.message))
      .finally(() => !cancelled && setLoading(false));
    return () => {
      cancelled = true;
    };
  }, [call, deviceId, keysKey, fetchKey, plannedKey, refreshTick]);

  // Forecasts, fetched when switched on and again when the range changes.
  const [forecasts, setForecasts] = useState<Map<string, ForecastSeries | string>>(new Map());
  useEffect(() => {
    if (!showForecast || keys.length === 0) {
      setForecasts(new Map());
      return;
    }
    let cancelled = false;
    const horizon = String(forecastHorizonMs(spanMs));
    void Promise.all(
      keys.map(async (key): Promise<[string, ForecastSeries | string]> => {
        try {
          const f = await getDevicesByIdForecast(call, { path: { id: deviceId }, query: { key, horizon } });
          return [
            key,
            { ts: f.points.map((p) => p.ts), value: f.points.map((p) => p.value), lower: f.points.map((p) => p.lower95), upper: f.points.map((p) => p.upper95) },
          ];
        } catch (err) {
          return [key, (err as Error).message];
        }
      }),
    ).then((entries) => !cancelled && setForecasts(new Map(entries)));
    return () => {
      cancelled = true;
    };
  }, [call, deviceId, keysKey, fetchKey, showForecast]);

  // Live: stream new points in and let the window follow the clock.
  useEffect(() => {
    if (!range.live) return;
    const off = live.on('telemetry', (event) => {
      if (event.deviceId !== deviceId) return;
      setSeries((prev) => appendLive(prev, event.points, Date.now() - range.spanMs));
    });
    const clock = setInterval(() => {
      const t = Date.now();
      setNow(t);
      setSeries((prev) => {
        let changed = false;
        const next = new Map<string, Series>();
        for (const [k, s] of prev) {
          const trimmed = trim(s, t - range.spanMs);
          if (trimmed !== s) changed = true;
          next.set(k, trimmed);
        }
        return changed ? next : prev;
      });
    }, CLOCK_TICK_MS);
    const refresh = planned.kind === 'aggregate' ? setInterval(() => setRefreshTick((n) => n + 1), LIVE_WINDOW_REFRESH_MS) : undefined;
    return () => {
      off();
      clearInterval(clock);
      if (refresh) clearInterval(refresh);
    };
  }, [live, deviceId, range.live, range.live ? range.spanMs : 0, plannedKey]);

  return (
    <div className="charts" ref={container}>
      <div className="charts-status" aria-live="polite">
        {loading ? 'Loading…' : resolution?.kind === 'aggregate' ? `avg with min–max band per ${formatInterval(resolution.intervalMs)}` : 'raw points'}
        {error && <span className="error"> · {error}</span>}
      </div>
      {keys.length === 0 && <p className="muted">This device has sent no numeric values yet.</p>}
      {keys.map((key) => {
        const forecast = forecasts.get(key);
        return (
          <section key={key} className="chart-card" aria-label={`${key} chart`}>
            <h3>
              {key}
              {typeof forecast === 'string' && <span className="muted small"> · no forecast: {forecast}</span>}
            </h3>
            <TimeSeriesChart
              label={key}
              series={series.get(key) ?? { ts: [], value: [], min: null, max: null }}
              forecast={typeof forecast === 'object' ? forecast : null}
              from={from}
              to={to}
              markers={markers.get(key) ?? NO_MARKERS}
              onZoom={onZoom}
            />
          </section>
        );
      })}
    </div>
  );
}
