// Durations as people write them: "500ms", "10s", "15m", "1h", "1d", "1w".
// One parser for the API (windows, horizons) and the CLIs (intervals, run times). The API also
// takes a bare number as milliseconds (documented on each parameter, as ThingsBoard's API does);
// on a command line a bare number is refused: `--interval 1` meaning 1 ms is a trap, not a feature.
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const FORMAT = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)?$/;
export const DURATION_UNITS_HINT = 'a unit: ms, s, m, h, d or w (e.g. 500ms, 1s, 10m, 2h, 1d, 1w)';

/** The span of a JavaScript Date (±100,000,000 days): no longer duration or later time means anything,
 *  and every value up to it is an exact integer that fits SQL BIGINT arithmetic. */
export const MAX_TIME_MS = 8_640_000_000_000_000;
export const MAX_DURATION_MS = MAX_TIME_MS;

/** Milliseconds, or null when the text is not a positive duration of at most MAX_DURATION_MS. A bare number is milliseconds. */
export function durationMs(text: string): number | null {
  const m = FORMAT.exec(text.trim());
  if (!m) return null;
  const ms = Math.round(Number(m[1]) * UNIT_MS[(m[2] ?? 'ms') as keyof typeof UNIT_MS]);
  return ms > 0 && ms <= MAX_DURATION_MS ? ms : null;
}

/** For command-line flags: a positive duration with an explicit unit, else an error naming the flag. */
export function parseDuration(text: string, what = 'duration'): number {
  const m = FORMAT.exec(text.trim());
  if (m && m[2] === undefined) throw new Error(`${what} needs ${DURATION_UNITS_HINT}; got "${text}"`);
  const ms = durationMs(text);
  if (ms === null) throw new Error(`${what} must be a positive duration with ${DURATION_UNITS_HINT}; at most ${MAX_DURATION_MS} ms; got "${text}"`);
  return ms;
}
