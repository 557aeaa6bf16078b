// One key's chart (uPlot, canvas): the value line, the min/max band when the data is windowed, and
// markers (e.g. the alarm being inspected). Dragging across the chart selects a range to zoom
// into; the owner then fetches that range at a resolution that suits it.
import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import type { Series } from '../lib/series';
import { THEME_EVENT, cssVar } from '../lib/theme';

export interface ChartProps {
  label: string;
  series: Series;
  from: number;
  to: number;
  markers?: number[];
  onZoom?: (from: number, to: number) => void;
  height?: number;
}

function columns(s: Series): uPlot.AlignedData {
  const xs = s.ts.map((t) => t / 1000);
  return s.min && s.max ? [xs, s.value, s.min, s.max] : [xs, s.value];
}

export function TimeSeriesChart({ label, series, from, to, markers = [], onZoom, height = 200 }: ChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef({ from, to, markers, onZoom, series });
  latest.current = { from, to, markers, onZoom, series };
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
    const axisStyle = { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const opts: uPlot.Options = {
      width: Math.max(100, el.clientWidth),
      height,
      scales: { x: { time: true, range: () => [latest.current.from / 1000, latest.current.to / 1000] } },
      cursor: { drag: { x: true, y: false, setScale: false } },
      legend: { show: true, live: true },
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
      ],
      bands: banded ? [{ series: [3, 2], fill: band }] : undefined,
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
            ctx.strokeStyle = marker;
            ctx.lineWidth = 2 * devicePixelRatio;
            ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
            for (const ts of latest.current.markers) {
              const x = u.valToPos(ts / 1000, 'x', true);
              if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
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
    const u = new uPlot(opts, columns(latest.current.series), el);
    plot.current = u;
    const observer = new ResizeObserver(() => u.setSize({ width: Math.max(100, el.clientWidth), height }));
    observer.observe(el);
    return () => {
      observer.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [label, banded, height, theme]);

  useEffect(() => {
    plot.current?.setData(columns(series));
  }, [series, from, to, markers.join(',')]);

  // data-points lets end-to-end tests see what the canvas holds.
  return <div className="chart" ref={host} role="img" aria-label={`Chart of ${label}`} data-points={series.ts.length} />;
}
