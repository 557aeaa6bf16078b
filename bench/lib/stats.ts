// Latency samples with a bounded memory (reservoir sampling) and percentiles.
export class Samples {
  private readonly values: Float64Array;
  private n = 0;
  count = 0;
  max = 0;
  private seed = 12345;

  constructor(capacity = 200_000) {
    this.values = new Float64Array(capacity);
  }

  add(v: number): void {
    this.count++;
    if (v > this.max) this.max = v;
    if (this.n < this.values.length) {
      this.values[this.n++] = v;
      return;
    }
    this.seed = (Math.imul(this.seed, 1103515245) + 12345) >>> 0;
    const j = this.seed % this.count;
    if (j < this.values.length) this.values[j] = v;
  }

  summary(): LatencySummary {
    if (this.n === 0) return { count: 0, p50: null, p90: null, p99: null, max: null };
    const sorted = this.values.slice(0, this.n).sort();
    const q = (p: number) => round(sorted[Math.min(this.n - 1, Math.floor(p * this.n))]!);
    return { count: this.count, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: round(this.max) };
  }
}

export interface LatencySummary {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
