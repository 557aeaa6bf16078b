// Durations as people write them: "500ms", "10s", "15m", "1h", "1d", "1w" or plain milliseconds.
// One parser for the API (windows, horizons) and the CLIs (intervals, run times).
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** The span of a JavaScript Date (±100,000,000 days): no longer duration or later time means anything,
 *  and every value up to it is an exact integer that fits SQL BIGINT arithmetic. */
export const MAX_TIME_MS = 8_640_000_000_000_000;
export const MAX_DURATION_MS = MAX_TIME_MS;

/** Milliseconds, or null when the text is not a positive duration of at most MAX_DURATION_MS. */
export function durationMs(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)?$/.exec(text.trim());
  if (!m) return null;
  const ms = Math.round(Number(m[1]) * UNIT_MS[(m[2] ?? 'ms') as keyof typeof UNIT_MS]);
  return ms > 0 && ms <= MAX_DURATION_MS ? ms : null;
}

/** Like durationMs, but throws a message naming the flag or parameter. */
export function parseDuration(text: string, what = 'duration'): number {
  const ms = durationMs(text);
  if (ms === null) throw new Error(`${what} must look like 500ms, 1s, 10m, 2h, 1d or 1w, at most ${MAX_DURATION_MS} ms (got "${text}")`);
  return ms;
}
