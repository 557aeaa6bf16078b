// The side panel that binds a widget: title, device, key and aggregation, or the text of a text widget.
import { useState } from 'react';
import { getDevices, getDevicesByIdKeys } from '../api/generated';
import { useApi } from '../api/context';
import { useAsync } from '../lib/use-async';
import { configOf, type Widget, type WidgetConfig } from './types';
import { floorPlanDataUrl } from './more-widgets';

export function WidgetSettings({ widget, onChange, onClose }: { widget: Widget; onChange: (w: Widget) => void; onClose: () => void }) {
  const call = useApi();
  const c = configOf(widget);
  const [search, setSearch] = useState('');
  const devices = useAsync(async () => (await getDevices(call, { query: { name: search || undefined, limit: 50, sort: 'name' } })).items, [call, search]);
  const keys = useAsync(async () => (c.deviceId ? (await getDevicesByIdKeys(call, { path: { id: c.deviceId } })).keys : []), [call, c.deviceId]);
  const set = (patch: Partial<WidgetConfig>) => onChange({ ...widget, config: { ...widget.config, ...patch } });
  const needsSeries = widget.type === 'chart' || widget.type === 'stat' || widget.type === 'gauge';
  const needsDevice = needsSeries || widget.type === 'alarms' || widget.type === 'command' || widget.type === 'map';
  const [uploadError, setUploadError] = useState<string | null>(null);
  const placements = c.placements ?? [];
  const num = (text: string) => (text.trim() === '' || !Number.isFinite(Number(text)) ? undefined : Number(text));

  return (
    <aside className="card widget-settings" aria-labelledby="widget-settings-title">
      <div className="card-head">
        <h2 id="widget-settings-title">Widget settings</h2>
        <button type="button" className="btn btn-small btn-ghost" onClick={onClose}>
          Done
        </button>
      </div>
      <label className="field">
        <span>Title</span>
        <input value={widget.title ?? ''} placeholder="Automatic" onChange={(e) => onChange({ ...widget, title: e.target.value })} />
      </label>
      {needsDevice && (
        <>
          <label className="field">
            <span>Find device</span>
            <input type="search" value={search} placeholder="Name contains…" onChange={(e) => setSearch(e.target.value)} />
          </label>
          <label className="field">
            <span>Device</span>
            <select value={c.deviceId ?? ''} onChange={(e) => set({ deviceId: e.target.value || undefined, key: undefined })}>
              <option value="">{widget.type === 'alarms' ? 'All devices' : 'Choose…'}</option>
              {c.deviceId && !devices.data?.some((d) => d.id === c.deviceId) && <option value={c.deviceId}>current device</option>}
              {devices.data?.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
            </select>
          </label>
        </>
      )}
      {needsSeries && (
        <label className="field">
          <span>Key</span>
          <select value={c.key ?? ''} onChange={(e) => set({ key: e.target.value || undefined })} disabled={!c.deviceId}>
            <option value="">Choose…</option>
            {keys.data?.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
      )}
      {widget.type === 'chart' && (
        <label className="field">
          <span>Aggregation per window</span>
          <select value={c.agg ?? 'avg'} onChange={(e) => set({ agg: e.target.value as WidgetConfig['agg'] })}>
            <option value="avg">Average</option>
            <option value="min">Minimum</option>
            <option value="max">Maximum</option>
          </select>
        </label>
      )}
      {widget.type === 'gauge' && (
        <div className="form-row">
          <label className="field">
            <span>Scale from</span>
            <input inputMode="decimal" defaultValue={c.min ?? 0} onChange={(e) => set({ min: num(e.target.value) })} />
          </label>
          <label className="field">
            <span>to</span>
            <input inputMode="decimal" defaultValue={c.max ?? 100} onChange={(e) => set({ max: num(e.target.value) })} />
          </label>
        </div>
      )}
      {widget.type === 'table' && (
        <>
          <label className="field">
            <span>Devices of type (empty: all)</span>
            <input value={c.deviceType ?? ''} onChange={(e) => set({ deviceType: e.target.value || undefined })} />
          </label>
          <label className="field">
            <span>Keys (comma-separated; empty: those reported)</span>
            <input value={c.keys ?? ''} onChange={(e) => set({ keys: e.target.value })} />
          </label>
        </>
      )}
      {widget.type === 'command' && (
        <>
          <label className="field">
            <span>Method</span>
            <input value={c.method ?? ''} onChange={(e) => set({ method: e.target.value || undefined })} />
          </label>
          <label className="field">
            <span>Params (JSON)</span>
            <input value={c.params ?? ''} onChange={(e) => set({ params: e.target.value })} />
          </label>
          <label className="field">
            <span>Button label</span>
            <input value={c.label ?? ''} placeholder="the method" onChange={(e) => set({ label: e.target.value })} />
          </label>
          <label className="check">
            <input type="checkbox" checked={!!c.oneway} onChange={(e) => set({ oneway: e.target.checked })} />
            One-way (do not wait for a response)
          </label>
        </>
      )}
      {widget.type === 'map' && (
        <>
          <label className="field">
            <span>Floor plan image</span>
            <input
              type="file"
              accept="image/*"
              onChange={async (e) => {
                const file = e.target.files?.[0];
                if (!file) return;
                setUploadError(null);
                try {
                  set({ image: await floorPlanDataUrl(file) });
                } catch {
                  setUploadError('That file could not be read as an image.');
                }
              }}
            />
            {uploadError && <small className="field-error">{uploadError}</small>}
          </label>
          <button
            type="button"
            className="btn btn-small"
            disabled={!c.deviceId || placements.some((p) => p.deviceId === c.deviceId)}
            onClick={() => c.deviceId && set({ placements: [...placements, { deviceId: c.deviceId, x: 0.5, y: 0.5 }] })}
          >
            Place the chosen device
          </button>
          {placements.length > 0 && (
            <ul className="plain-list">
              {placements.map((p) => (
                <li key={p.deviceId}>
                  {devices.data?.find((d) => d.id === p.deviceId)?.name ?? p.deviceId.slice(0, 8)}{' '}
                  <button type="button" className="btn btn-small btn-ghost" onClick={() => set({ placements: placements.filter((x) => x.deviceId !== p.deviceId) })}>
                    Remove
                  </button>
                </li>
              ))}
            </ul>
          )}
          <p className="muted small">Drag the devices on the plan (or focus one and use the arrow keys) to place them.</p>
        </>
      )}
      {widget.type === 'text' && (
        <label className="field">
          <span>Text (# heading, - list, **bold**)</span>
          <textarea rows={8} value={c.text ?? ''} onChange={(e) => set({ text: e.target.value })} />
        </label>
      )}
    </aside>
  );
}
