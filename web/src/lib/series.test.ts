import { expect, test } from 'vitest';
import { appendLive, seriesFromResponse } from './series';

test('windowed responses become avg with a min/max band; raw responses a plain line', () => {
  const windowed = seriesFromResponse(
    { deviceId: 'd', from: 0, to: 10, interval: 5, data: { t: [{ ts: 0, avg: 2, min: 1, max: 3 }] } },
    ['t', 'absent'],
  );
  expect(windowed.get('t')).toEqual({ ts: [0], value: [2], min: [1], max: [3] });
  expect(windowed.get('absent')).toEqual({ ts: [], value: [], min: [], max: [] });
  const raw = seriesFromResponse({ deviceId: 'd', from: 0, to: 10, data: { t: [{ ts: 1, value: 4 }, { ts: 2, value: 'x' }] } }, ['t']);
  expect(raw.get('t')).toEqual({ ts: [1, 2], value: [4, null], min: null, max: null });
});

test('live points append in time order, skip duplicates and non-numbers, and age out of the window', () => {
  const start = new Map([['t', { ts: [10, 20], value: [1, 2], min: null, max: null }]]);
  const next = appendLive(
    start,
    [
      { key: 't', ts: 30, value: 3 },
      { key: 't', ts: 25, value: 2.5 },
      { key: 't', ts: 30, value: 9 },
      { key: 't', ts: 40, value: 'on' },
      { key: 'other', ts: 30, value: 1 },
    ],
    15,
  );
  expect(next.get('t')).toEqual({ ts: [20, 25, 30], value: [2, 2.5, 3], min: null, max: null });
  expect(start.get('t')!.ts).toEqual([10, 20]);
  expect(next.has('other')).toBe(false);
});
