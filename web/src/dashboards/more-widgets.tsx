// The gauge, latest-values table, floor-plan device map and command button widgets.
import { useEffect, useRef, useState, type PointerEvent } from 'react';
import { Link } from 'react-router-dom';
import { getDevices, getDevicesByIdTelemetryLatest, postDevicesByIdRpc, type GetDevicesResult } from '../api/generated';
import { useApi, useLive, useLiveSubscription, useSession } from '../api/context';
import { useAsync } from '../lib/use-async';
import { formatAgo, formatValue } from '../lib/format';
import { errorMessage } from '../lib/problems';
import { parseParams, showJson } from '../device/json-input';
import type { Placement, Widget } from './types';
import { configOf } from './types';

/** The fraction of the gauge's arc a value fills, clamped to the scale. */
export function gaugeFraction(value: number, min: number, max: number): number {
  if (!(max > min) || !Number.isFinite(value)) return 0;
  return Math.min(1, Math.max(0, (value - min) / (max - min)));
}

/** A point on the gauge's 240° arc (from lower left, clockwise) for a fraction 0..1. */
function arcPoint(fraction: number, r: number, cx: number, cy: number): [number, number] {
  const angle = ((-210 + 240 * fraction) * Math.PI) / 180;
  return [cx + r * Math.cos(angle), cy + r * Math.sin(angle)];
}

function useLatestValue(deviceId: string, key: string) {
  const call = useApi();
  const live = useLive();
  const latest = useAsync(async () => (await getDevicesByIdTelemetryLatest(call, { path: { id: deviceId }, query: { keys: key } })).data[key] ?? null, [call, deviceId, key]);
  useLiveSubscription({ deviceId });
  useEffect(
    () =>
      live.on('telemetry', (event) => {
        if (event.deviceId !== deviceId) return;
        const p = event.points.filter((x) => x.key === key).at(-1);
        if (p) latest.setData((prev) => (!prev || prev.ts <= p.ts ? { ts: p.ts, value: p.value } : prev));
      }),
    [live, deviceId, key],
  );
  return latest.data;
}

export function GaugeWidget({ deviceId, keyName, min = 0, max = 100 }: { deviceId: string; keyName: string; min?: number; max?: number }) {
  const latest = useLatestValue(deviceId, keyName);
  const value = typeof latest?.value === 'number' ? latest.value : null;
  const f = value === null ? 0 : gaugeFraction(value, min, max);
  const [sx, sy] = arcPoint(0, 40, 50, 52);
  const [ex, ey] = arcPoint(1, 40, 50, 52);
  const [vx, vy] = arcPoint(f, 40, 50, 52);
  return (
    <div className="widget-gauge" role="meter" aria-label={`${keyName} gauge`} aria-valuemin={min} aria-valuemax={max} aria-valuenow={value ?? undefined}>
      <svg viewBox="0 0 100 80" aria-hidden="true">
        <path d={`M ${sx} ${sy} A 40 40 0 1 1 ${ex} ${ey}`} className="gauge-track" />
        {value !== null && f > 0 && <path d={`M ${sx} ${sy} A 40 40 0 ${f * 240 > 180 ? 1 : 0} 1 ${vx} ${vy}`} className="gauge-fill" />}
        <text x="50" y="56" textAnchor="middle" className="gauge-value">
          {formatValue(value)}
        </text>
        <text x="2" y="79" className="gauge-scale">
          {min}
        </text>
        <text x="98" y="79" textAnchor="end" className="gauge-scale">
          {max}
        </text>
      </svg>
      <div className="muted small">
        {keyName} · {formatAgo(latest?.ts)}
      </div>
    </div>
  );
}

const TABLE_DEVICES = 25;

export function TableWidget({ deviceType, keys }: { deviceType?: string; keys: string[] }) {
  const call = useApi();
  const rows = useAsync(
    async () => {
      const devices = (await getDevices(call, { query: { type: deviceType || undefined, sort: 'name', order: 'asc', limit: TABLE_DEVICES } })).items;
      const latest = await Promise.all(
        devices.map((d) => getDevicesByIdTelemetryLatest(call, { path: { id: d.id }, query: keys.length ? { keys: keys.join(',') } : {} }).catch(() => null)),
      );
      return devices.map((d, i) => ({ device: d, data: latest[i]?.data ?? {} }));
    },
    [call, deviceType, keys.join(',')],
    { pollMs: 10_000 },
  );
  const columns = keys.length ? keys : [...new Set((rows.data ?? []).flatMap((r) => Object.keys(r.data)))].sort().slice(0, 8);
  if (!rows.data) return <p className="muted widget-empty">Loading…</p>;
  return (
    <div className="table-scroll">
      <table className="table widget-table">
        <thead>
          <tr>
            <th>Device</th>
            {columns.map((k) => (
              <th key={k}>{k}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.data.map(({ device, data }) => (
            <tr key={device.id}>
              <td>
                <Link to={`/devices/${device.id}`}>{device.name}</Link>
              </td>
              {columns.map((k) => (
                <td key={k}>{formatValue(data[k]?.value)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A placement moved to a pointer position inside the image, clamped to it. */
export function placeAt(p: Placement, rect: { left: number; top: number; width: number; height: number }, clientX: number, clientY: number): Placement {
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  return { ...p, x: +clamp((clientX - rect.left) / rect.width).toFixed(4), y: +clamp((clientY - rect.top) / rect.height).toFixed(4) };
}

type Device = GetDevicesResult['items'][number];

/**
 * Devices on an uploaded floor plan (no map tiles): each placed device is a dot coloured by its
 * status, linking to its page. Editors drag dots to move them (or focus one and use the arrow
 * keys); the positions are fractions of the image, stored in the widget's config.
 */
export function MapWidget({ widget, onChange, heightPx }: { widget: Widget; onChange?: (w: Widget) => void; heightPx: number }) {
  const c = configOf(widget);
  const call = useApi();
  const placements = c.placements ?? [];
  const ids = placements.map((p) => p.deviceId);
  const devices = useAsync(
    async () => {
      const map = new Map<string, Device>();
      // The status of placed devices; one list call when they are few enough to find by name order.
      const all = await getDevices(call, { query: { limit: 1000 } });
      for (const d of all.items) if (ids.includes(d.id)) map.set(d.id, d);
      return map;
    },
    [call, ids.join(',')],
    { pollMs: 10_000 },
  );
  const frame = useRef<HTMLDivElement>(null);
  const [dragging, setDragging] = useState<{ deviceId: string; current: Placement } | null>(null);

  const update = (next: Placement) => onChange?.({ ...widget, config: { ...widget.config, placements: placements.map((p) => (p.deviceId === next.deviceId ? next : p)) } });
  const down = (e: PointerEvent, p: Placement) => {
    if (!onChange) return;
    e.preventDefault();
    (e.currentTarget as Element).setPointerCapture?.(e.pointerId);
    setDragging({ deviceId: p.deviceId, current: p });
  };
  const move = (e: PointerEvent) => {
    if (!dragging || !frame.current) return;
    setDragging({ ...dragging, current: placeAt(dragging.current, frame.current.getBoundingClientRect(), e.clientX, e.clientY) });
  };
  const up = () => {
    if (dragging) update(dragging.current);
    setDragging(null);
  };

  if (!c.image) return <p className="muted widget-empty">Upload a floor plan in the widget's settings.</p>;
  return (
    <div className="widget-map" ref={frame} onPointerMove={move} onPointerUp={up} onPointerCancel={up}>
      {/* The frame hugs the image at its own aspect ratio, so positions are fractions of the plan. */}
      <img src={c.image} alt="Floor plan" draggable={false} style={{ maxHeight: Math.max(60, heightPx - 8) }} />
      {placements.map((p) => {
        const shown = dragging?.deviceId === p.deviceId ? dragging.current : p;
        const d = devices.data?.get(p.deviceId);
        const name = d?.name ?? p.deviceId.slice(0, 8);
        return onChange ? (
          <button
            key={p.deviceId}
            type="button"
            className={`map-pin status-${d?.status ?? 'unknown'}`}
            style={{ left: `${shown.x * 100}%`, top: `${shown.y * 100}%` }}
            aria-label={`${name} at ${Math.round(shown.x * 100)}%, ${Math.round(shown.y * 100)}% (drag or arrow keys to move)`}
            data-device-id={p.deviceId}
            onPointerDown={(e) => down(e, p)}
            onKeyDown={(e) => {
              const step = e.shiftKey ? 0.1 : 0.02;
              const delta = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] }[e.key];
              if (!delta) return;
              e.preventDefault();
              update({ ...p, x: Math.min(1, Math.max(0, +(p.x + delta[0]!).toFixed(4))), y: Math.min(1, Math.max(0, +(p.y + delta[1]!).toFixed(4))) });
            }}
          >
            <span>{name}</span>
          </button>
        ) : (
          <Link key={p.deviceId} to={`/devices/${p.deviceId}`} className={`map-pin status-${d?.status ?? 'unknown'}`} style={{ left: `${shown.x * 100}%`, top: `${shown.y * 100}%` }}>
            <span>{name}</span>
          </Link>
        );
      })}
    </div>
  );
}

/** A floor plan scaled down to at most maxPx on its longer side, as a JPEG data URL (kept in the dashboard JSON). */
export async function floorPlanDataUrl(file: Blob, maxPx = 1600): Promise<string> {
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const scale = Math.min(1, maxPx / Math.max(img.naturalWidth, img.naturalHeight));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(img.naturalWidth * scale));
    canvas.height = Math.max(1, Math.round(img.naturalHeight * scale));
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    return canvas.toDataURL('image/jpeg', 0.85);
  } finally {
    URL.revokeObjectURL(url);
  }
}

export function CommandWidget({ deviceId, method, params, oneway, label }: { deviceId: string; method: string; params?: string; oneway?: boolean; label?: string }) {
  const call = useApi();
  const session = useSession();
  const [state, setState] = useState<{ busy: boolean; text: string | null; ok: boolean }>({ busy: false, text: null, ok: true });
  if (!session.can('commands:send')) return <p className="muted widget-empty">Your role may not send commands.</p>;

  async function send() {
    const parsed = parseParams(params ?? '');
    if (!parsed.ok) return setState({ busy: false, ok: false, text: `Params ${parsed.error}` });
    setState({ busy: true, ok: true, text: null });
    try {
      const res = await postDevicesByIdRpc(call, { path: { id: deviceId }, body: { method, oneway: !!oneway, ...(parsed.value === undefined ? {} : { params: parsed.value }) } });
      setState({ busy: false, ok: res.status !== 'failed' && res.status !== 'expired', text: `${res.status}${res.response !== null && res.response !== undefined ? `: ${showJson(res.response)}` : ''}` });
    } catch (err) {
      setState({ busy: false, ok: false, text: errorMessage(err) });
    }
  }

  return (
    <div className="widget-command">
      <button type="button" className="btn btn-primary" disabled={state.busy} onClick={() => void send()}>
        {state.busy ? 'Sending…' : label || method}
      </button>
      {state.text && (
        <p className={state.ok ? 'form-ok' : 'form-error'} role="status">
          {state.text}
        </p>
      )}
    </div>
  );
}
