// The side panel that binds a widget: title, device, key and aggregation, or the text of a text widget.
import { useState } from 'react';
import { getDevices, getDevicesByIdKeys } from '../api/generated';
import { useApi } from '../api/context';
import { useAsync } from '../lib/use-async';
import { configOf, type Widget, type WidgetConfig } from './types';

export function WidgetSettings({ widget, onChange, onClose }: { widget: Widget; onChange: (w: Widget) => void; onClose: () => void }) {
  const call = useApi();
  const c = configOf(widget);
  const [search, setSearch] = useState('');
  const devices = useAsync(async () => (await getDevices(call, { query: { name: search || undefined, limit: 50, sort: 'name' } })).items, [call, search]);
  const keys = useAsync(async () => (c.deviceId ? (await getDevicesByIdKeys(call, { path: { id: c.deviceId } })).keys : []), [call, c.deviceId]);
  const set = (patch: Partial<WidgetConfig>) => onChange({ ...widget, config: { ...widget.config, ...patch } });
  const needsSeries = widget.type === 'chart' || widget.type === 'stat';

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
      {(needsSeries || widget.type === 'alarms') && (
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
      {widget.type === 'text' && (
        <label className="field">
          <span>Text (# heading, - list, **bold**)</span>
          <textarea rows={8} value={c.text ?? ''} onChange={(e) => set({ text: e.target.value })} />
        </label>
      )}
    </aside>
  );
}
