// The dashboard's grid: widgets placed on 12 columns, dragged by their handle and resized from their
// corner with the pointer, or moved with the arrow keys (Shift+arrows resizes) when the handle has
// focus. Layout rules live in grid.ts; this file only turns pointer and key events into cells.
import { useEffect, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import { COLS, cellsMoved, moveWidget, resizeWidget } from './grid';
import { WidgetBody } from './widgets';
import { WIDGET_KINDS, type Widget } from './types';

export const ROW_PX = 80;
const GAP_PX = 12;

interface Drag {
  id: string;
  mode: 'move' | 'resize';
  startX: number;
  startY: number;
  origin: Widget;
}

export function DashboardGrid({
  widgets,
  rangeMs,
  editable,
  selectedId,
  onChange,
  onSelect,
  onRemove,
}: {
  widgets: Widget[];
  rangeMs: number;
  editable: boolean;
  selectedId: string | null;
  onChange: (widgets: Widget[]) => void;
  onSelect: (id: string) => void;
  onRemove: (id: string) => void;
}) {
  const host = useRef<HTMLDivElement>(null);
  const [widthPx, setWidthPx] = useState(1200);
  const [drag, setDrag] = useState<Drag | null>(null);
  // During a drag the layout is previewed locally; it is handed to onChange (and saved) on release.
  const [preview, setPreview] = useState<Widget[] | null>(null);
  const shown = preview ?? widgets;

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setWidthPx(el.clientWidth));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const colPx = (widthPx + GAP_PX) / COLS;
  const rows = shown.reduce((max, w) => Math.max(max, w.y + w.h), 0);

  function begin(e: PointerEvent, widget: Widget, mode: Drag['mode']) {
    if (!editable || e.button !== 0) return;
    e.preventDefault();
    (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
    setDrag({ id: widget.id, mode, startX: e.clientX, startY: e.clientY, origin: widget });
  }

  function move(e: PointerEvent) {
    if (!drag) return;
    const { dx, dy } = cellsMoved(e.clientX - drag.startX, e.clientY - drag.startY, colPx, ROW_PX);
    const o = drag.origin;
    setPreview(drag.mode === 'move' ? moveWidget(widgets, o.id, o.x + dx, o.y + dy) : resizeWidget(widgets, o.id, o.w + dx, o.h + dy));
  }

  function end() {
    if (!drag) return;
    if (preview) onChange(preview);
    setDrag(null);
    setPreview(null);
  }

  function onKey(e: KeyboardEvent, w: Widget) {
    const step = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[e.key];
    if (!step || !editable) return;
    e.preventDefault();
    onChange(e.shiftKey ? resizeWidget(widgets, w.id, w.w + step[0]!, w.h + step[1]!) : moveWidget(widgets, w.id, w.x + step[0]!, w.y + step[1]!));
  }

  return (
    <div className={`dash-grid ${drag ? 'is-dragging' : ''}`} ref={host} style={{ height: Math.max(2, rows) * ROW_PX }} onPointerMove={move} onPointerUp={end} onPointerCancel={end}>
      {shown.map((w) => {
        const key = (w.config as { key?: unknown }).key;
        const title = w.title || (typeof key === 'string' ? key : null) || WIDGET_KINDS.find((k) => k.type === w.type)?.label || w.type;
        const heightPx = w.h * ROW_PX - GAP_PX;
        return (
          <section
            key={w.id}
            className={`widget ${selectedId === w.id ? 'is-selected' : ''} ${drag?.id === w.id ? 'is-active' : ''}`}
            aria-label={title}
            data-widget-id={w.id}
            data-x={w.x}
            data-y={w.y}
            data-w={w.w}
            data-h={w.h}
            style={{ left: w.x * colPx, top: w.y * ROW_PX, width: w.w * colPx - GAP_PX, height: heightPx }}
          >
            <header className="widget-head">
              {editable ? (
                <button
                  type="button"
                  className="widget-handle"
                  aria-label={`Move ${title} (arrow keys; Shift+arrows resizes)`}
                  onPointerDown={(e) => begin(e, w, 'move')}
                  onKeyDown={(e) => onKey(e, w)}
                >
                  <span aria-hidden="true">⠿</span>
                </button>
              ) : null}
              <h3>{title}</h3>
              {editable && (
                <span className="widget-tools">
                  <button type="button" className="btn btn-small btn-ghost" onClick={() => onSelect(w.id)} aria-label={`Settings of ${title}`} title="Settings">
                    <span aria-hidden="true">⚙</span>
                  </button>
                  <button type="button" className="btn btn-small btn-ghost" onClick={() => onRemove(w.id)} aria-label={`Remove ${title}`} title="Remove">
                    ✕
                  </button>
                </span>
              )}
            </header>
            <div className="widget-body">
              <WidgetBody
                widget={w}
                rangeMs={rangeMs}
                heightPx={heightPx - 44}
                onChange={editable ? (changed) => onChange(widgets.map((x) => (x.id === changed.id ? changed : x))) : undefined}
              />
            </div>
            {editable && <div className="widget-resize" aria-hidden="true" onPointerDown={(e) => begin(e, w, 'resize')} />}
          </section>
        );
      })}
      {shown.length === 0 && <p className="muted empty">No widgets yet: add one from the toolbar.</p>}
    </div>
  );
}
