// The device page's time range, kept in the URL so a chart view is a link: either live (the last
// `span` ms, following now) or fixed (`from`..`to`, e.g. an alarm's moment or a zoomed view).
export const MIN_MS = 60_000;
export const HOUR_MS = 60 * MIN_MS;
export const DAY_MS = 24 * HOUR_MS;

export const PRESETS: { label: string; spanMs: number }[] = [
  { label: '15m', spanMs: 15 * MIN_MS },
  { label: '1h', spanMs: HOUR_MS },
  { label: '6h', spanMs: 6 * HOUR_MS },
  { label: '24h', spanMs: DAY_MS },
  { label: '7d', spanMs: 7 * DAY_MS },
  { label: '30d', spanMs: 30 * DAY_MS },
  { label: '1y', spanMs: 365 * DAY_MS },
];
export const DEFAULT_SPAN_MS = HOUR_MS;
/** Zooming stops at one second across: finer than the timestamps are worth. */
export const MIN_SPAN_MS = 1000;

export type TimeRange = { live: true; spanMs: number } | { live: false; from: number; to: number };

export function rangeFromSearch(search: URLSearchParams): TimeRange {
  const from = Number(search.get('from'));
  const to = Number(search.get('to'));
  if (search.has('from') && search.has('to') && Number.isFinite(from) && Number.isFinite(to) && to > from) {
    return { live: false, from, to };
  }
  const span = Number(search.get('span'));
  return { live: true, spanMs: Number.isFinite(span) && span >= MIN_SPAN_MS ? span : DEFAULT_SPAN_MS };
}

/** Writes the range into the URL's parameters, keeping the others (e.g. alarm). */
export function searchWithRange(search: URLSearchParams, range: TimeRange): URLSearchParams {
  const out = new URLSearchParams(search);
  out.delete('from');
  out.delete('to');
  out.delete('span');
  if (range.live) {
    if (range.spanMs !== DEFAULT_SPAN_MS) out.set('span', String(range.spanMs));
  } else {
    out.set('from', String(Math.round(range.from)));
    out.set('to', String(Math.round(range.to)));
  }
  return out;
}

export function bounds(range: TimeRange, now: number): { from: number; to: number } {
  return range.live ? { from: now - range.spanMs, to: now } : { from: range.from, to: range.to };
}

export function zoomTo(from: number, to: number): TimeRange {
  if (to - from < MIN_SPAN_MS) {
    const mid = (from + to) / 2;
    return { live: false, from: mid - MIN_SPAN_MS / 2, to: mid + MIN_SPAN_MS / 2 };
  }
  return { live: false, from, to };
}

/** Zoom out around the centre by `factor`; never into the future. */
export function zoomOut(range: TimeRange, now: number, factor = 4): TimeRange {
  const { from, to } = bounds(range, now);
  const span = (to - from) * factor;
  if (range.live) return { live: true, spanMs: span };
  const mid = (from + to) / 2;
  const end = Math.min(now, mid + span / 2);
  return { live: false, from: end - span, to: end };
}

/** Shift by a fraction of the span (negative = back in time); reaching now turns live again. */
export function pan(range: TimeRange, now: number, fraction: number): TimeRange {
  const { from, to } = bounds(range, now);
  const shift = (to - from) * fraction;
  if (to + shift >= now) return { live: true, spanMs: to - from };
  return { live: false, from: from + shift, to: to + shift };
}

/** A window around an instant, for "show on chart" links; a recent instant gets the window ending now. */
export function around(ts: number, now: number, halfWidthMs = 30 * MIN_MS): TimeRange {
  const to = Math.min(now, ts + halfWidthMs);
  return { live: false, from: Math.min(ts - halfWidthMs, to - 2 * halfWidthMs), to: Math.max(to, ts + 1) };
}
