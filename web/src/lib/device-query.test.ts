import { describe, expect, test } from 'vitest';
import { DEFAULT_QUERY, apiQuery, pagesForRows, queryFromSearch, searchFromQuery, toggleSort, visibleRows } from './device-query';

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
