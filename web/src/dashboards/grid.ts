// The dashboard grid's layout rules, as pure functions: 12 columns, rows of fixed height, widgets
// never overlap. A widget that is moved or resized pushes the ones it lands on downwards, and
// then every widget floats up as far as it can, so the grid has no holes to tidy by hand.
import type { Widget } from './types';

export const COLS = 12;

export type Box = Pick<Widget, 'x' | 'y' | 'w' | 'h'>;

export function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

const byPosition = (a: Box, b: Box) => a.y - b.y || a.x - b.x;

/** Keeps a box on the grid: inside the columns, at least one cell, not above the top. */
export function clampBox<T extends Box>(w: T): T {
  const width = Math.max(1, Math.min(COLS, Math.round(w.w)));
  return { ...w, w: width, h: Math.max(1, Math.round(w.h)), x: Math.max(0, Math.min(COLS - width, Math.round(w.x))), y: Math.max(0, Math.round(w.y)) };
}

/** Pushes widgets down off `fixedId`, then floats everything up; `fixedId` wins its cells. */
export function settle(widgets: Widget[], fixedId: string | null): Widget[] {
  const fixed = widgets.find((w) => w.id === fixedId);
  const placed: Widget[] = fixed ? [fixed] : [];
  for (const w of widgets.filter((w) => w.id !== fixedId).sort(byPosition)) {
    const moved = { ...w };
    for (let hit = placed.find((p) => overlaps(p, moved)); hit; hit = placed.find((p) => overlaps(p, moved))) moved.y = hit.y + hit.h;
    placed.push(moved);
  }
  const settled = new Map(compact(placed).map((w) => [w.id, w]));
  return widgets.map((w) => settled.get(w.id)!);
}

/** Floats every widget up until it touches the top or another widget. */
export function compact(widgets: Widget[]): Widget[] {
  const done: Widget[] = [];
  for (const w of [...widgets].sort(byPosition)) {
    const up = { ...w };
    while (up.y > 0 && !done.some((d) => overlaps(d, { ...up, y: up.y - 1 }))) up.y--;
    done.push(up);
  }
  // Keep the caller's order (the order widgets are drawn and saved in).
  const byId = new Map(done.map((w) => [w.id, w]));
  return widgets.map((w) => byId.get(w.id)!);
}

export function moveWidget(widgets: Widget[], id: string, x: number, y: number): Widget[] {
  return settle(widgets.map((w) => (w.id === id ? clampBox({ ...w, x, y }) : w)), id);
}

export function resizeWidget(widgets: Widget[], id: string, w: number, h: number): Widget[] {
  return settle(
    widgets.map((it) => (it.id === id ? clampBox({ ...it, w: Math.min(w, COLS - it.x), h }) : it)),
    id,
  );
}

/** A new widget goes to the left edge, below everything else. */
export function addWidget(widgets: Widget[], widget: Omit<Widget, 'x' | 'y'>): Widget[] {
  const bottom = widgets.reduce((max, w) => Math.max(max, w.y + w.h), 0);
  return compact([...widgets, clampBox({ ...widget, x: 0, y: bottom } as Widget)]);
}

export function removeWidget(widgets: Widget[], id: string): Widget[] {
  return compact(widgets.filter((w) => w.id !== id));
}

/** Grid cells moved by a pointer drag of (dxPx, dyPx). */
export function cellsMoved(dxPx: number, dyPx: number, colPx: number, rowPx: number): { dx: number; dy: number } {
  return { dx: Math.round(dxPx / colPx), dy: Math.round(dyPx / rowPx) };
}
