import { describe, expect, test } from 'vitest';
import { addWidget, cellsMoved, clampBox, compact, moveWidget, overlaps, removeWidget, resizeWidget } from './grid';
import type { Widget } from './types';

const w = (id: string, x: number, y: number, width: number, h: number): Widget => ({ id, type: 'text', x, y, w: width, h, config: {} });
const noOverlap = (ws: Widget[]) => ws.every((a, i) => ws.every((b, j) => i === j || !overlaps(a, b)));

describe('dashboard grid', () => {
  test('a widget dropped onto another pushes it down; nothing overlaps', () => {
    const start = [w('a', 0, 0, 6, 2), w('b', 6, 0, 6, 2)];
    const moved = moveWidget(start, 'b', 0, 0);
    expect(moved.find((x) => x.id === 'b')).toMatchObject({ x: 0, y: 0 });
    expect(moved.find((x) => x.id === 'a')).toMatchObject({ x: 0, y: 2 });
    expect(noOverlap(moved)).toBe(true);
    expect(moved.map((x) => x.id)).toEqual(['a', 'b']); // the saved order does not change
  });

  test('widgets float up into the space a moved widget leaves', () => {
    const start = [w('a', 0, 0, 12, 2), w('b', 0, 2, 6, 2)];
    const moved = moveWidget(start, 'a', 0, 10);
    expect(moved.find((x) => x.id === 'b')!.y).toBe(0);
    expect(moved.find((x) => x.id === 'a')!.y).toBe(2);
  });

  test('moves and sizes stay on the grid', () => {
    expect(clampBox(w('a', 11, -3, 4, 0))).toMatchObject({ x: 8, y: 0, w: 4, h: 1 });
    const resized = resizeWidget([w('a', 8, 0, 2, 2)], 'a', 10, 3);
    expect(resized[0]).toMatchObject({ x: 8, w: 4, h: 3 });
  });

  test('resizing over a neighbour pushes it down', () => {
    const out = resizeWidget([w('a', 0, 0, 6, 2), w('b', 6, 0, 6, 2)], 'a', 8, 2);
    expect(out.find((x) => x.id === 'b')).toMatchObject({ x: 6, y: 2 });
    expect(noOverlap(out)).toBe(true);
  });

  test('new widgets go below everything; removing one closes the gap', () => {
    const added = addWidget([w('a', 0, 0, 6, 3)], { id: 'b', type: 'text', w: 3, h: 2, config: {} });
    expect(added[1]).toMatchObject({ x: 0, y: 3 });
    expect(removeWidget(added, 'a')[0]).toMatchObject({ id: 'b', y: 0 });
  });

  test('compaction keeps the saved order of widgets', () => {
    expect(compact([w('late', 0, 5, 1, 1), w('early', 1, 0, 1, 1)]).map((x) => x.id)).toEqual(['late', 'early']);
  });

  test('pointer pixels become whole cells', () => {
    expect(cellsMoved(149, -41, 100, 80)).toEqual({ dx: 1, dy: -1 });
    expect(cellsMoved(151, 41, 100, 80)).toEqual({ dx: 2, dy: 1 });
  });
});
