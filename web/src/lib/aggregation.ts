// Which resolution to ask the telemetry API for, given the visible time range and the chart's
// width. A chart cannot show more than about one value per pixel column, so asking for more only
// costs transfer and rendering; asking for windows (avg/min/max per window) keeps a year of
// one-second data to a few hundred rows per key while the min/max band still shows every spike.

/** Window sizes the chart steps through, smallest first, chosen to read well on an axis. */
export const NICE_INTERVALS_MS = [
  1_000, 2_000, 5_000, 10_000, 15_000, 30_000,
  60_000, 2 * 60_000, 5 * 60_000, 10 * 60_000, 15 * 60_000, 30 * 60_000,
  3_600_000, 2 * 3_600_000, 3 * 3_600_000, 6 * 3_600_000, 12 * 3_600_000,
  86_400_000, 2 * 86_400_000, 7 * 86_400_000, 30 * 86_400_000,
];

/** About one window per two pixels: enough detail for the eye, few enough rows to draw at once. */
export const PIXELS_PER_WINDOW = 2;

export type Resolution = { kind: 'raw' } | { kind: 'aggregate'; intervalMs: number };

/**
 * Raw points when the range is short enough that even one-second windows would be wider than
 * the chart has pixels for (then the raw points are few); otherwise the smallest nice window that
 * keeps the window count at or below the pixel budget.
 */
export function chooseResolution(rangeMs: number, widthPx: number): Resolution {
  const budget = Math.max(10, Math.floor(widthPx / PIXELS_PER_WINDOW));
  const idealMs = rangeMs / budget;
  if (idealMs <= NICE_INTERVALS_MS[0]!) return { kind: 'raw' };
  const intervalMs = NICE_INTERVALS_MS.find((ms) => ms >= idealMs) ?? Math.ceil(idealMs / 86_400_000) * 86_400_000;
  return { kind: 'aggregate', intervalMs };
}

/** "1 s", "5 min", "1 h", "7 d" */
export function formatInterval(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}
