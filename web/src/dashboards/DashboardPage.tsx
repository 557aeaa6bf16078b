// One dashboard: a grid of widgets over one time range. Every change (move, resize, add, remove,
// settings, name, range, import) is saved to the server after a short pause, so a reload shows
// exactly what was left. Export and import as JSON.
import { useEffect, useRef, useState, type ChangeEvent } from 'react';
import { Link, useParams } from 'react-router-dom';
import { getDashboardsById, putDashboardsById } from '../api/generated';
import { useApi, useSession } from '../api/context';
import { PRESETS } from '../lib/time-range';
import { DashboardGrid } from './DashboardGrid';
import { WidgetSettings } from './WidgetSettings';
import { addWidget, removeWidget } from './grid';
import { WIDGET_KINDS, type Dashboard, type Widget, type WidgetType } from './types';

const SAVE_DEBOUNCE_MS = 400;
const EXPORT_FORMAT = 'vigil-dashboard/1';

type Draft = Pick<Dashboard, 'name' | 'widgets' | 'rangeMs'>;
type SaveState = 'saved' | 'saving' | 'unsaved' | 'error';

export function DashboardPage() {
  const { id = '' } = useParams();
  const call = useApi();
  const session = useSession();
  const [draft, setDraft] = useState<Draft | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [save, setSave] = useState<{ state: SaveState; message?: string }>({ state: 'saved' });
  const [selected, setSelected] = useState<string | null>(null);
  const [adding, setAdding] = useState<WidgetType>('chart');
  const fileInput = useRef<HTMLInputElement>(null);
  const version = useRef(0);
  const editable = session.canManage;

  useEffect(() => {
    setDraft(null);
    getDashboardsById(call, { path: { id } }).then(
      (d) => setDraft({ name: d.name, widgets: d.widgets, rangeMs: d.rangeMs }),
      (err: Error) => setLoadError(err.message),
    );
  }, [call, id]);

  function change(update: (d: Draft) => Draft) {
    setDraft((d) => (d ? update(d) : d));
    version.current++;
    setSave({ state: 'unsaved' });
  }

  // Debounced save of the latest draft; an older answer never marks a newer draft as saved.
  useEffect(() => {
    if (!draft || save.state !== 'unsaved' || !editable) return;
    const mine = version.current;
    const timer = setTimeout(() => {
      setSave({ state: 'saving' });
      putDashboardsById(call, { path: { id }, body: draft }).then(
        () => mine === version.current && setSave({ state: 'saved' }),
        (err: Error) => mine === version.current && setSave({ state: 'error', message: err.message }),
      );
    }, SAVE_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [call, id, draft, save.state, editable]);

  function exportJson() {
    if (!draft) return;
    const blob = new Blob([JSON.stringify({ format: EXPORT_FORMAT, ...draft }, null, 2)], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `${draft.name.replace(/[^\w.-]+/g, '_') || 'dashboard'}.json`;
    a.click();
    URL.revokeObjectURL(a.href);
  }

  async function importJson(e: ChangeEvent<HTMLInputElement>) {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    try {
      const parsed = JSON.parse(await file.text()) as Partial<Draft> & { format?: string };
      if (parsed.format !== EXPORT_FORMAT || !Array.isArray(parsed.widgets)) throw new Error('not a Vigil dashboard export');
      change((d) => ({ name: parsed.name || d.name, widgets: parsed.widgets!, rangeMs: parsed.rangeMs ?? d.rangeMs }));
    } catch (err) {
      setSave({ state: 'error', message: `Import failed: ${(err as Error).message}` });
    }
  }

  if (loadError) {
    return (
      <section className="page">
        <h1>Dashboard not available</h1>
        <p>
          {loadError} <Link to="/dashboards">All dashboards</Link>
        </p>
      </section>
    );
  }
  if (!draft) return <p className="muted">Loading…</p>;
  const selectedWidget = draft.widgets.find((w) => w.id === selected) ?? null;
  const SAVE_LABELS: Record<SaveState, string> = { saved: 'Saved', saving: 'Saving…', unsaved: 'Unsaved changes', error: save.message ?? 'Not saved' };

  return (
    <section className="page dashboard-page">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/dashboards">Dashboards</Link> <span aria-hidden="true">/</span> <span>{draft.name}</span>
      </nav>
      <div className="page-head">
        {editable ? (
          <label className="dash-name">
            <span className="visually-hidden">Dashboard name</span>
            <input value={draft.name} onChange={(e) => change((d) => ({ ...d, name: e.target.value }))} />
          </label>
        ) : (
          <h1>{draft.name}</h1>
        )}
        <span className={`save-state save-${save.state}`} role="status">
          {SAVE_LABELS[save.state]}
        </span>
      </div>
      <div className="card dash-toolbar">
        <div className="range-bar" role="group" aria-label="Time range">
          {PRESETS.map((p) => (
            <button
              key={p.label}
              type="button"
              className={`btn btn-small ${draft.rangeMs === p.spanMs ? 'btn-selected' : 'btn-ghost'}`}
              aria-pressed={draft.rangeMs === p.spanMs}
              onClick={() => change((d) => ({ ...d, rangeMs: p.spanMs }))}
              disabled={!editable && draft.rangeMs !== p.spanMs}
            >
              {p.label}
            </button>
          ))}
        </div>
        {editable && (
          <div className="dash-actions">
            <label className="field field-inline">
              <span className="visually-hidden">Widget type</span>
              <select value={adding} onChange={(e) => setAdding(e.target.value as WidgetType)}>
                {WIDGET_KINDS.map((k) => (
                  <option key={k.type} value={k.type}>
                    {k.label}
                  </option>
                ))}
              </select>
            </label>
            <button
              type="button"
              className="btn btn-primary"
              onClick={() => {
                const kind = WIDGET_KINDS.find((k) => k.type === adding)!;
                const widgetId = `w-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
                change((d) => ({ ...d, widgets: addWidget(d.widgets, { id: widgetId, type: kind.type, w: kind.w, h: kind.h, config: {} }) }));
                setSelected(widgetId);
              }}
            >
              Add widget
            </button>
            <button type="button" className="btn btn-ghost" onClick={exportJson}>
              Export
            </button>
            <button type="button" className="btn btn-ghost" onClick={() => fileInput.current?.click()}>
              Import…
            </button>
            <input ref={fileInput} type="file" accept="application/json,.json" hidden onChange={importJson} aria-label="Import dashboard JSON" />
          </div>
        )}
      </div>
      <div className={`dash-layout ${selectedWidget ? 'with-panel' : ''}`}>
        <DashboardGrid
          widgets={draft.widgets}
          rangeMs={draft.rangeMs}
          editable={editable}
          selectedId={selected}
          onChange={(widgets: Widget[]) => change((d) => ({ ...d, widgets }))}
          onSelect={setSelected}
          onRemove={(wid) => {
            if (selected === wid) setSelected(null);
            change((d) => ({ ...d, widgets: removeWidget(d.widgets, wid) }));
          }}
        />
        {selectedWidget && (
          <WidgetSettings
            widget={selectedWidget}
            onChange={(w) => change((d) => ({ ...d, widgets: d.widgets.map((x) => (x.id === w.id ? w : x)) }))}
            onClose={() => setSelected(null)}
          />
        )}
      </div>
    </section>
  );
}
