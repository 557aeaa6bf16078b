import { expect, test } from 'vitest';
import { counterTotal, ratePerSec } from './metrics';

const TEXT = `# HELP vigil_points_accepted_total Points accepted
# TYPE vigil_points_accepted_total counter
vigil_points_accepted_total{transport="http"} 120
vigil_points_accepted_total{transport="mqtt"} 30
vigil_points_accepted_total_extra 99
`;

test('counterTotal sums every labelled series of one counter and ignores longer names', () => {
  expect(counterTotal(TEXT, 'vigil_points_accepted_total')).toBe(150);
  expect(counterTotal(TEXT, 'vigil_missing_total')).toBeNull();
});

test('ratePerSec differentiates two samples and refuses a counter reset', () => {
  expect(ratePerSec({ at: 0, value: 100 }, { at: 2000, value: 300 })).toBe(100);
  expect(ratePerSec({ at: 0, value: 100 }, { at: 2000, value: 5 })).toBeNull();
});
