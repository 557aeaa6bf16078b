import { describe, expect, test } from 'vitest';
import { DEFAULT_QUERY, apiQuery, nextRowWindow, pagesForRows, queryFromSearch, searchFromQuery, slotCount, toggleSort, visibleRows } from './device-query';

describe('device table query', () => {
  test('filters and sort round-trip through the URL; defaults leave it empty', () => {
    const q = { name: 'pump', type: 'motor', status: 'online' as const, sort: 'lastSeenAt' as const, order: 'desc' as const };
    expect(queryFromSearch(searchFromQuery(q))).toEqual(q);
    expect(searchFromQuery(DEFAULT_QUERY).toString()).toBe('');
  });

  test('unknown values in a hand-edited URL fall back to the defaults', () => {
    expect(queryFromSearch(new URLSearchParams('status=broken&sort=secret&order=sideways'))).toEqual(DEFAULT_QUERY);
  });

  test('a header click sorts by a new column ascending, then flips', () => {
    const byType = toggleSort(DEFAULT_QUERY, 'type');
    expect([byType.sort, byType.order]).toEqual(['type', 'asc']);
    expect(toggleSort(byType, 'type').order).toBe('desc');
  });

  test('the API query sends trimmed filters and leaves empty ones out', () => {
    expect(apiQuery({ ...DEFAULT_QUERY, name: '  pump ', status: '' }, 2, 100)).toEqual({
      name: 'pump',
      type: undefined,
      status: undefined,
      sort: 'name',
      order: 'asc',
      offset: 200,
      limit: 100,
    });
  });
});

describe('virtual rows and paging', () => {
  test('only the rows on screen (plus overscan) are rendered', () => {
    expect(visibleRows(0, 400, 40, 10_000, 0)).toEqual({ first: 0, last: 10 });
    expect(visibleRows(40_000, 400, 40, 10_000, 2)).toEqual({ first: 998, last: 1012 });
    expect(visibleRows(399_600, 400, 40, 10_000, 2).last).toBe(9999);
  });

  test('pages cover the visible rows with one page of look-ahead, within the total', () => {
    expect(pagesForRows(0, 20, 100, 10_000)).toEqual([0, 1]);
    expect(pagesForRows(950, 1010, 100, 10_000)).toEqual([8, 9, 10, 11]);
    expect(pagesForRows(9990, 9999, 100, 10_000)).toEqual([98, 99]);
    expect(pagesForRows(0, 0, 100, 0)).toEqual([0]);
  });
});

describe('the virtual row window', () => {
  const ROW = 44;
  const VIEW = 440; // 10 rows
  const OVER = 10;
  const slots = slotCount(VIEW, ROW, OVER);

  test('spans a fixed number of slots, so slot keys never shift', () => {
    let w = nextRowWindow(0, VIEW, ROW, 10_000, OVER, null);
    expect(w.last - w.first + 1).toBe(slots);
    for (let top = 0; top < 44 * 2000; top += 97) {
      w = nextRowWindow(top, VIEW, ROW, 10_000, OVER, w);
      expect(w.last - w.first + 1).toBe(slots);
      expect(w.first).toBeLessThanOrEqual(Math.floor(top / ROW));
      expect(w.last).toBeGreaterThanOrEqual(Math.floor((top + VIEW) / ROW));
    }
  });

  test('a small scroll inside the overscan keeps the same window object (nothing renders)', () => {
    const w = nextRowWindow(0, VIEW, ROW, 10_000, OVER, null);
    expect(nextRowWindow(3 * ROW, VIEW, ROW, 10_000, OVER, w)).toBe(w);
  });

  test('a brisk scroll moves the window in batches, not on every row', () => {
    let w = nextRowWindow(0, VIEW, ROW, 10_000, OVER, null);
    let moves = 0;
    for (let top = 0; top <= 100 * 300; top += 100) {
      const next = nextRowWindow(top, VIEW, ROW, 10_000, OVER, w);
      if (next !== w) moves++;
      w = next;
    }
    // 300 steps of 100 px cross about 680 rows; one move per overscan's worth of rows or so.
    expect(moves).toBeLessThan(150);
  });

  test('short lists and the end of the list clamp the window', () => {
    expect(nextRowWindow(0, VIEW, ROW, 5, OVER, null)).toEqual({ first: 0, last: 4 });
    const end = nextRowWindow(44 * 9990, VIEW, ROW, 10_000, OVER, null);
    expect(end.last).toBe(9999);
    expect(end.last - end.first + 1).toBe(slots);
    expect(nextRowWindow(0, VIEW, ROW, 0, OVER, null)).toEqual({ first: 0, last: -1 });
  });
});
