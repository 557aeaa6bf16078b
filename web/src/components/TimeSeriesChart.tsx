// One key's chart (uPlot, canvas): the value line, the min/max band when the data is windowed, and
// markers (e.g. the alarm being inspected). Dragging across the chart selects a range to zoom
// into; the owner then fetches that range at a resolution that suits it.
import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import type { Series } from '../lib/series';
import { THEME_EVENT, cssVar } from '../lib/theme';

/** A forecast after the newest point: expected value and its 95 % prediction interval. */
export interface ForecastSeries {
  ts: number[];
  value: (number | null)[];
  lower: (number | null)[];
  upper: (number | null)[];
}

/** A marked instant (an alarm), optionally with the range the model expected there. */
export interface ChartMarker {
  ts: number;
  expected?: [number, number];
}

export interface ChartProps {
  label: string;
  series: Series;
  forecast?: ForecastSeries | null;
  from: number;
  to: number;
  markers?: ChartMarker[];
  onZoom?: (from: number, to: number) => void;
  height?: number;
  /** The value legend under the chart (off in small dashboard widgets). */
  legend?: boolean;
  /** Spans shaded across the chart (e.g. when a rule would have been firing); `to` null: still open. */
  intervals?: ChartInterval[];
}

export interface ChartInterval {
  from: number;
  to: number | null;
}

/** uPlot's columns: x, value, [min, max], [forecast, lower, upper]; history and forecast share x. */
function columns(s: Series, f: ForecastSeries | null | undefined): uPlot.AlignedData {
  const banded = s.min !== null && s.max !== null;
  if (!f) {
    const xs = s.ts.map((t) => t / 1000);
    return banded ? [xs, s.value, s.min!, s.max!] : [xs, s.value];
  }
  // Live points may have overtaken the forecast's first steps: x must stay ascending.
  const newest = s.ts.length ? s.ts[s.ts.length - 1]! : -Infinity;
  const start = f.ts.findIndex((t) => t > newest);
  const ahead = start === -1 ? 0 : f.ts.length - start;
  const pick = <T,>(col: T[]) => (ahead ? col.slice(start) : []);
  const futurePad = new Array<null>(ahead).fill(null);
  const pastPad = new Array<null>(s.ts.length).fill(null);
  const xs = [...s.ts, ...pick(f.ts)].map((t) => t / 1000);
  const history = banded ? [[...s.value, ...futurePad], [...s.min!, ...futurePad], [...s.max!, ...futurePad]] : [[...s.value, ...futurePad]];
  // The forecast line starts at the newest real value, so the two lines join.
  const joined = [...pastPad, ...pick(f.value)];
  if (s.ts.length && ahead) joined[s.ts.length - 1] = s.value[s.value.length - 1] ?? null;
  return [xs, ...history, joined, [...pastPad, ...pick(f.lower)], [...pastPad, ...pick(f.upper)]] as uPlot.AlignedData;
}

const NO_INTERVALS: ChartInterval[] = [];

export function TimeSeriesChart({ label, series, forecast, from, to, markers = [], onZoom, height = 200, legend = true, intervals = NO_INTERVALS }: ChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const forecastEnd = forecast?.ts.length ? forecast.ts[forecast.ts.length - 1]! : to;
  const latest = useRef({ from, to: Math.max(to, forecastEnd), markers, onZoom, series, forecast, intervals });
  latest.current = { from, to: Math.max(to, forecastEnd), markers, onZoom, series, forecast, intervals };
  const withForecast = !!forecast;
  const [theme, setTheme] = useState(0);
  const banded = series.min !== null;

  useEffect(() => {
    const redraw = () => setTheme((t) => t + 1);
    window.addEventListener(THEME_EVENT, redraw);
    return () => window.removeEventListener(THEME_EVENT, redraw);
  }, []);

  useEffect(() => {
    const el = host.current!;
    const axis = cssVar('--text-muted') || '#667';
    const grid = cssVar('--grid') || 'rgba(128,128,128,0.15)';
    const accent = cssVar('--chart-line') || '#2f6fed';
    const band = cssVar('--chart-band') || 'rgba(47,111,237,0.15)';
    const marker = cssVar('--danger') || '#d33';
    const forecastLine = cssVar('--chart-forecast') || '#8b5cf6';
    const forecastBand = cssVar('--chart-forecast-band') || 'rgba(139,92,246,0.15)';
    const forecastFirst = banded ? 4 : 2;
    const intervalFill = cssVar('--chart-interval') || 'rgba(211,52,74,0.16)';
    const expectedFill = cssVar('--chart-expected') || 'rgba(31,157,85,0.3)';
    const axisStyle = { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const opts: uPlot.Options = {
      width: Math.max(100, el.clientWidth),
      height,
      scales: { x: { time: true, range: () => [latest.current.from / 1000, latest.current.to / 1000] } },
      cursor: { drag: { x: true, y: false, setScale: false } },
      legend: { show: legend, live: true },
      axes: [axisStyle, { ...axisStyle, size: 56 }],
      series: [
        {},
        { label, stroke: accent, width: 1.5, points: { show: false } },
        ...(banded
          ? [
              { label: 'min', stroke: 'transparent', points: { show: false } },
              { label: 'max', stroke: 'transparent', points: { show: false } },
            ]
          : []),
        ...(withForecast
          ? [
              { label: 'forecast', stroke: forecastLine, width: 1.5, dash: [6, 4], points: { show: false } },
              { label: '95% low', stroke: 'transparent', points: { show: false } },
              { label: '95% high', stroke: 'transparent', points: { show: false } },
            ]
          : []),
      ],
      bands: [
        ...(banded ? [{ series: [3, 2] as [number, number], fill: band }] : []),
        ...(withForecast ? [{ series: [forecastFirst + 2, forecastFirst + 1] as [number, number], fill: forecastBand }] : []),
      ],
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width > 3) {
              const a = u.posToVal(u.select.left, 'x') * 1000;
              const b = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
              latest.current.onZoom?.(a, b);
            }
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          },
        ],
        draw: [
          (u) => {
            const ctx = u.ctx;
            ctx.save();
            ctx.fillStyle = intervalFill;
            for (const span of latest.current.intervals) {
              const left = Math.max(u.bbox.left, u.valToPos(span.from / 1000, 'x', true));
              const right = Math.min(u.bbox.left + u.bbox.width, u.valToPos((span.to ?? latest.current.to) / 1000, 'x', true));
              if (right > left) ctx.fillRect(left, u.bbox.top, Math.max(1, right - left), u.bbox.height);
            }
            ctx.strokeStyle = marker;
            ctx.lineWidth = 2 * devicePixelRatio;
            ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
            for (const { ts, expected } of latest.current.markers) {
              const x = u.valToPos(ts / 1000, 'x', true);
              if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
              if (expected) {
                // The model's expected range at that moment, as a band across the marker.
                const top = u.valToPos(expected[1], 'y', true);
                const bottom = u.valToPos(expected[0], 'y', true);
                const half = 8 * devicePixelRatio;
                ctx.fillStyle = expectedFill;
                ctx.fillRect(x - half, Math.min(top, bottom), 2 * half, Math.max(2, Math.abs(bottom - top)));
              }
              ctx.beginPath();
              ctx.moveTo(x, u.bbox.top);
              ctx.lineTo(x, u.bbox.top + u.bbox.height);
              ctx.stroke();
            }
            ctx.restore();
          },
        ],
      },
    };
    const u = new uPlot(opts, columns(latest.current.series, latest.current.forecast), el);
    plot.current = u;
    const observer = new ResizeObserver(() => u.setSize({ width: Math.max(100, el.clientWidth), height }));
    observer.observe(el);
    return () => {
      observer.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [label, banded, withForecast, height, legend, theme]);

  useEffect(() => {
    plot.current?.setData(columns(series, forecast));
  }, [series, forecast, from, to, markers.map((m) => m.ts).join(','), intervals]);

  // data-points lets end-to-end tests see what the canvas holds.
  return <div className="chart" ref={host} role="img" aria-label={`Chart of ${label}`} data-points={series.ts.length} data-intervals={intervals.length} />;
}
