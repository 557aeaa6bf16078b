// Metrics recorded once per ingested message, made cheap. prom-client's observe()/inc() validate
// the labels and hash them into a key on every call (~4% of the ingest main thread in profiles,
// issue #9). Here a series is found once per label value and an observation is a few array
// writes; the exposition is the same as prom-client's (names, buckets, labels, _sum/_count).
import { Counter, type Registry } from 'prom-client';

interface Series {
  labels: Record<string, string>;
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  buckets: Float64Array;
  sum: number;
  count: number;
}

/**
 * A histogram with one label, in a prom-client registry. `observe(labels, value)` has prom-client's
 * signature; the label object should be reused by the caller (its value is read, never kept).
 */
export class CheapHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();
  private readonly bounds: Float64Array;

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelName: L,
    buckets: readonly number[],
    registry: Registry,
  ) {
    this.bounds = Float64Array.from([...buckets].sort((a, b) => a - b));
    registry.registerMetric(this as never);
  }

  observe(labels: Readonly<Record<L, string>>, value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const key = labels[this.labelName];
    let s = this.series.get(key);
    if (!s) {
      s = { labels: { [this.labelName]: key }, buckets: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    s.buckets[i]!++;
    s.sum += value;
    s.count++;
  }

  reset(): void {
    this.series.clear();
  }

  /** What a registry reads: the same values, in the same order, as a prom-client Histogram. */
  get(): { name: string; help: string; type: string; aggregator: string; values: { labels: Record<string, string | number>; value: number; metricName: string }[] } {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.series.values()) {
      let acc = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += s.buckets[i]!;
        values.push({ labels: { le: this.bounds[i]!, ...s.labels }, value: acc, metricName: bucket });
      }
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: bucket });
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/**
 * A prom-client Counter with one label whose increments are summed in a plain number per label
 * value and handed to prom-client when the registry is read (its collect hook).
 */
export function cheapCounter<L extends string>(name: string, help: string, labelName: L, registry: Registry) {
  const pending = new Map<string, { labels: Record<string, string>; value: number }>();
  const counter = new Counter<L>({
    name,
    help,
    labelNames: [labelName],
    registers: [registry],
    collect() {
      for (const p of pending.values()) {
        if (p.value === 0) continue;
        this.inc(p.labels as Record<L, string>, p.value);
        p.value = 0;
      }
    },
  });
  return {
    inc(labels: Readonly<Record<L, string>>, value = 1): void {
      if (!(value >= 0)) throw new Error('It is not possible to decrease a counter');
      const key = labels[labelName];
      let p = pending.get(key);
      if (!p) pending.set(key, (p = { labels: { [labelName]: key }, value: 0 }));
      p.value += value;
    },
    /** The prom-client metric (its get() includes what is pending). */
    counter,
  };
}
