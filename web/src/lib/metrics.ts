// The fleet page's live ingest rate. No API reports a rate, so the page samples the Prometheus
// counter vigil_points_accepted_total from /metrics and differentiates it.

/** Sum of every series of a counter in Prometheus text format; null when the metric is absent. */
export function counterTotal(text: string, name: string): number | null {
  let total: number | null = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue; // a longer metric name sharing the prefix
    const value = Number(rest.slice(rest.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) total = (total ?? 0) + value;
  }
  return total;
}

export interface CounterSample {
  at: number;
  value: number;
}

/** Per-second rate between two samples; null across a restart (the counter went down). */
export function ratePerSec(prev: CounterSample, next: CounterSample): number | null {
  const dt = (next.at - prev.at) / 1000;
  if (dt <= 0 || next.value < prev.value) return null;
  return (next.value - prev.value) / dt;
}
