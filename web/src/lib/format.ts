// Display formatting shared by the pages.

// One formatter for every call: toLocaleString builds a new one each time, which shows when a
// scrolling table formats dozens of dates per frame.
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return dateTime.format(ms);
}

/** "12 s ago", "3 min ago", "2 h ago", "5 d ago" */
export function formatAgo(ms: number | null | undefined, now = Date.now()): string {
  if (ms === null || ms === undefined) return 'never';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

export function formatValue(value: unknown): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return String(value);
    const abs = Math.abs(value);
    if (abs !== 0 && (abs >= 1e6 || abs < 1e-3)) return value.toExponential(3);
    return Number(value.toFixed(abs >= 100 ? 1 : 3)).toString();
  }
  if (value === null || value === undefined) return '—';
  return String(value);
}

export function formatRate(perSec: number | null): string {
  if (perSec === null) return '—';
  if (perSec >= 1000) return `${(perSec / 1000).toFixed(1)}k`;
  return perSec.toFixed(perSec >= 10 ? 0 : 1);
}
