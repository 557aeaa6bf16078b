import { describe, expect, test } from 'vitest';
import { DEFAULT_SPAN_MS, HOUR_MS, around, pan, rangeFromSearch, searchWithRange, zoomOut, zoomTo } from './time-range';

const NOW = 1_800_000_000_000;

describe('time range', () => {
  test('a plain device URL is live over the default span', () => {
    expect(rangeFromSearch(new URLSearchParams())).toEqual({ live: true, spanMs: DEFAULT_SPAN_MS });
  });

  test('fixed and live ranges round-trip through the URL and keep other parameters', () => {
    const fixed = { live: false as const, from: NOW - HOUR_MS, to: NOW };
    const search = searchWithRange(new URLSearchParams('alarm=a1'), fixed);
    expect(search.get('alarm')).toBe('a1');
    expect(rangeFromSearch(search)).toEqual(fixed);
    const live = { live: true as const, spanMs: 6 * HOUR_MS };
    expect(rangeFromSearch(searchWithRange(search, live))).toEqual(live);
  });

  test('a reversed or broken range falls back to live', () => {
    expect(rangeFromSearch(new URLSearchParams('from=10&to=5')).live).toBe(true);
    expect(rangeFromSearch(new URLSearchParams('from=x&to=y')).live).toBe(true);
  });

  test('zooming in stops at one second; zooming out widens around the centre, never past now', () => {
    expect(zoomTo(NOW, NOW + 10)).toEqual({ live: false, from: NOW + 5 - 500, to: NOW + 5 + 500 });
    expect(zoomOut({ live: false, from: NOW - 2 * HOUR_MS, to: NOW - HOUR_MS }, NOW)).toEqual({
      live: false,
      from: NOW - 4 * HOUR_MS,
      to: NOW,
    });
    expect(zoomOut({ live: true, spanMs: HOUR_MS }, NOW)).toEqual({ live: true, spanMs: 4 * HOUR_MS });
  });

  test('panning back fixes the range; panning forward to now goes live again', () => {
    const back = pan({ live: true, spanMs: HOUR_MS }, NOW, -0.5);
    expect(back).toEqual({ live: false, from: NOW - 1.5 * HOUR_MS, to: NOW - 0.5 * HOUR_MS });
    expect(pan(back, NOW, 0.5)).toEqual({ live: true, spanMs: HOUR_MS });
  });

  test('around centres a window on an instant, but never reaches into the future', () => {
    expect(around(NOW - HOUR_MS, NOW, 1000)).toEqual({ live: false, from: NOW - HOUR_MS - 1000, to: NOW - HOUR_MS + 1000 });
    expect(around(NOW - 500, NOW, 1000)).toEqual({ live: false, from: NOW - 2000, to: NOW });
  });
});
