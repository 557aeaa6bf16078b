import { describe, expect, test } from 'vitest';
import { chooseResolution, formatInterval } from './aggregation';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('chooseResolution', () => {
  test('short ranges read raw points', () => {
    expect(chooseResolution(5 * MIN, 1000)).toEqual({ kind: 'raw' });
    expect(chooseResolution(8 * MIN, 1000)).toEqual({ kind: 'raw' });
  });

  test('longer ranges pick the smallest nice window within the pixel budget', () => {
    // 1 h over 1000 px: 500 windows → 7.2 s ideal → 10 s
    expect(chooseResolution(HOUR, 1000)).toEqual({ kind: 'aggregate', intervalMs: 10_000 });
    // 24 h over 1200 px: 600 windows → 144 s → 5 min
    expect(chooseResolution(DAY, 1200)).toEqual({ kind: 'aggregate', intervalMs: 5 * MIN });
  });

  test('a year of data stays a few hundred windows, whatever the sample rate', () => {
    const r = chooseResolution(365 * DAY, 1000);
    expect(r.kind).toBe('aggregate');
    const windows = (365 * DAY) / (r as { intervalMs: number }).intervalMs;
    expect(windows).toBeLessThanOrEqual(500);
    expect(windows).toBeGreaterThan(100);
  });

  test('zooming in never coarsens the resolution', () => {
    let last = Infinity;
    for (const range of [365 * DAY, 30 * DAY, 7 * DAY, DAY, HOUR, 10 * MIN, MIN]) {
      const r = chooseResolution(range, 900);
      const ms = r.kind === 'raw' ? 0 : r.intervalMs;
      expect(ms).toBeLessThanOrEqual(last);
      last = ms;
    }
  });

  test('a tiny chart still gets a usable number of windows', () => {
    // at least 10 windows: 1 h / 10 = 6 min → the next nice window, 10 min
    expect(chooseResolution(HOUR, 0)).toEqual({ kind: 'aggregate', intervalMs: 10 * MIN });
  });
});

test('formatInterval names windows in their largest whole unit', () => {
  expect(formatInterval(10_000)).toBe('10 s');
  expect(formatInterval(5 * MIN)).toBe('5 min');
  expect(formatInterval(3 * HOUR)).toBe('3 h');
  expect(formatInterval(7 * DAY)).toBe('7 d');
});
