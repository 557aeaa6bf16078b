// Fault injection with ground truth. Every device has an injector that starts fault episodes at
// a given rate, alters the model's clean values while an episode lasts, and records a label
// {kind, key, startTs, endTs} so anomaly detectors can be scored on the simulated fleet.
import type { Rng } from './rng.js';
import type { DeviceModel, Values } from './models.js';

export type FaultKind = 'spike' | 'drift' | 'stuck' | 'dropout' | 'noise_burst' | 'degradation';
export const FAULT_KINDS: readonly FaultKind[] = ['spike', 'drift', 'stuck', 'dropout', 'noise_burst', 'degradation'];

export interface FaultLabel {
  device: string;
  deviceType: string;
  kind: FaultKind;
  /** The key altered; null when the whole device is affected (dropout, degradation). */
  key: string | null;
  startTs: number;
  endTs: number;
  /** Degradation: the failure time; absent when the run ended before it. */
  failureTs?: number;
  /** The run ended while the episode was still active. */
  truncated?: boolean;
  params: Record<string, number | string>;
}

interface Episode {
  label: FaultLabel;
  samplesLeft: number;
  total: number;
  magnitude: number;
  stuckValue?: number;
}

/** Running mean and variance (exponentially weighted) per key: fault sizes scale with each signal. */
class Scale {
  mean = 0;
  var = 0;
  n = 0;
  add(x: number): void {
    const a = this.n < 50 ? 1 / (this.n + 1) : 0.02;
    const d = x - this.mean;
    this.mean += a * d;
    this.var = (1 - a) * (this.var + a * d * d);
    this.n++;
  }
  sigma(): number {
    return Math.max(Math.sqrt(this.var), 0.02 * Math.abs(this.mean), 1e-3);
  }
}

const WARMUP_SAMPLES = 10;

export class FaultInjector {
  private active: Episode | null = null;
  private readonly scales = new Map<string, Scale>();
  private samples = 0;
  /** 1 = healthy; lowered by a degradation episode, stays at 0 after the failure. */
  health = 1;
  readonly labels: FaultLabel[] = [];

  constructor(
    private readonly device: string,
    private readonly model: DeviceModel,
    private readonly rng: Rng,
    /** Expected fault episodes per device per hour of simulated time. */
    private readonly ratePerHour: number,
    private readonly kinds: readonly FaultKind[] = FAULT_KINDS,
  ) {}

  /** Applies faults to one sample. Returns null when the device stays silent (dropout). */
  apply(tsMs: number, dtSec: number, clean: Values): Values | null {
    this.samples++;
    for (const key of this.model.numericKeys) {
      const v = clean[key];
      if (typeof v !== 'number' || this.active) continue;
      // (`scales.get(key)?.add(v) ?? set(...)` replaced the scale on every sample: add() returns
      // undefined, so every fault was sized by 2 % of the value instead of the signal's spread.)
      const scale = this.scales.get(key);
      if (scale) scale.add(v);
      else this.scales.set(key, Object.assign(new Scale(), { mean: v, n: 1 }));
    }
    if (!this.active && this.ratePerHour > 0 && this.samples > WARMUP_SAMPLES && this.health > 0) {
      if (this.rng.chance(1 - Math.exp((-this.ratePerHour * dtSec) / 3600))) this.start(tsMs, clean);
    }
    const ep = this.active;
    if (!ep) return clean;
    const out: Values = { ...clean };
    const { label } = ep;
    const progress = (ep.total - ep.samplesLeft + 1) / ep.total;
    let silent = false;
    switch (label.kind) {
      case 'spike':
        out[label.key!] = (clean[label.key!] as number) + ep.magnitude;
        break;
      case 'drift':
        out[label.key!] = (clean[label.key!] as number) + ep.magnitude * progress;
        break;
      case 'stuck':
        out[label.key!] = ep.stuckValue!;
        break;
      case 'noise_burst':
        out[label.key!] = (clean[label.key!] as number) + ep.magnitude * this.rng.gauss();
        break;
      case 'dropout':
        silent = true;
        break;
      case 'degradation':
        this.health = Math.max(0, 1 - progress);
        break;
    }
    for (const k of Object.keys(out)) {
      const v = out[k];
      if (typeof v === 'number' && typeof clean[k] === 'number' && v !== clean[k]) out[k] = Math.round(v * 1000) / 1000;
    }
    label.endTs = tsMs;
    if (--ep.samplesLeft <= 0) {
      if (label.kind === 'degradation') {
        this.health = 0;
        label.failureTs = tsMs;
      }
      this.active = null;
    }
    return silent ? null : out;
  }

  /** Closes an episode still running when the fleet stops. */
  finish(): void {
    if (this.active) {
      this.active.label.truncated = true;
      this.active = null;
    }
  }

  private start(tsMs: number, clean: Values): void {
    const numeric = this.model.numericKeys.filter((k) => typeof clean[k] === 'number');
    const kinds = this.kinds.filter((k) => {
      if (k === 'degradation') return this.model.degrades === true;
      if (k === 'dropout') return true;
      return numeric.length > 0;
    });
    if (kinds.length === 0) return;
    const kind = this.rng.pick(kinds);
    const key = kind === 'dropout' || kind === 'degradation' ? null : this.rng.pick(numeric);
    const sigma = key ? this.scales.get(key)!.sigma() : 0;
    const sign = this.rng.chance(0.5) ? 1 : -1;
    let samples = 1;
    let magnitude = 0;
    const params: Record<string, number | string> = {};
    switch (kind) {
      case 'spike':
        magnitude = sign * this.rng.range(6, 12) * sigma;
        break;
      case 'drift':
        samples = 30 + this.rng.int(270);
        magnitude = sign * this.rng.range(3, 8) * sigma;
        break;
      case 'stuck':
        samples = 20 + this.rng.int(100);
        break;
      case 'noise_burst':
        samples = 10 + this.rng.int(50);
        magnitude = this.rng.range(3, 6) * sigma;
        break;
      case 'dropout':
        samples = 10 + this.rng.int(50);
        break;
      case 'degradation':
        samples = 300 + this.rng.int(1500);
        break;
    }
    if (magnitude) params.magnitude = Math.round(magnitude * 1000) / 1000;
    params.samples = samples;
    const label: FaultLabel = { device: this.device, deviceType: this.model.type, kind, key, startTs: tsMs, endTs: tsMs, params };
    const ep: Episode = { label, samplesLeft: samples, total: samples, magnitude };
    if (kind === 'stuck') ep.stuckValue = clean[key!] as number;
    this.labels.push(label);
    this.active = ep;
  }
}
