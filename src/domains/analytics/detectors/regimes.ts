// Operating regimes for univariate live series. Much equipment runs in states: a pump's current,
// vibration and pressure sit near zero while it is stopped and at their working level while it
// runs. A single detector sees every start and stop as a level shift and raises an alarm each
// time. This wrapper learns from the fit period whether a series has two well-separated regimes
// (the best two-way split of its values, Otsu-style, with both sides common and far apart); if
// so, each regime gets its own detector and every point is judged by the detector of the regime
// it falls in, so a stop is normal but a wrong value within either state is not. Series with a
// single regime keep the plain detector. State is plain JSON, like every detector's.
import { createDetector, restoreDetector, type Detector, type DetectorKind, type DetectorSnapshot, type DetectorTuning } from './index.js';
import type { DetectionResult } from './types.js';
import { estimateHeapBytes } from '../model-size.js';
import type { AlarmPolicy, FeedbackState } from './alarm-policy.js';
import { newFlatline, stepFlatline, type FlatlineState } from './flatline.js';
import { newDrift, stepDrift, type DriftState } from './drift.js';
import { POLICIES } from './config.js';
import { looksLikeCounter } from './counters.js';

export { looksLikeCounter };

/** Each regime must hold at least this share of the fit period. */
const MIN_REGIME_SHARE = 0.1;
/** Gap between regime means, in summed standard deviations, that makes two regimes. */
const MIN_SEPARATION = 4;
/** A regime's own detector learns from this many of its points before it scores. */
const CHILD_FIT_POINTS = 30;

export interface RegimeAwareSnapshot {
  version: 1;
  kind: 'regimes';
  key: string;
  base: DetectorKind;
  fitPoints: number;
  seen: number;
  /** Fit-period values, kept until the regime decision; null after it. */
  buffer: [number, number][] | null;
  plain: DetectorSnapshot;
  /** Boundary between the low and the high regime; null for a single-regime series. */
  cut: number | null;
  children: [DetectorSnapshot, DetectorSnapshot] | null;
  /**
   * Present when the fit period showed a monotone counter (energy, litres, packets): the plain
   * detector then judges its rate per second, from these previous values. Absent in older snapshots.
   */
  counter?: { prevTs: number; prevValue: number } | null;
  /** Operators' dismissals (absent in older snapshots); every part of the model shares them. */
  feedback?: FeedbackState;
  /** Stuck-value check on the raw values (absent in older snapshots: started on restore). */
  flatline?: FlatlineState;
  /**
   * Slow-drift check on the raw values (see drift.ts): one state, or one per regime once the
   * series is split (a stop is not a drift). Absent in older snapshots: started on restore.
   */
  drift?: DriftState[];
  /**
   * Resolution of the series: the smallest non-zero step between consecutive fit-period values
   * (absent in older snapshots and before the fit ends: no resolution check).
   */
  quantum?: number;
  /** Incidents as reported (after the resolution check): see reported(). Absent in older snapshots. */
  onsets?: { active: boolean; since: number };
  /** Alarm policy overrides for every detector of the wrapper (absent: each detector's default). */
  policy?: Partial<AlarmPolicy>;
  /** Core settings for every detector of the wrapper (absent: the defaults of config.ts). */
  tuning?: DetectorTuning;
}

/**
 * The boundary of the best two-way split of values, or null when they do not form two regimes.
 * O(n log n) for the fit period only.
 */
export function findRegimeCut(values: readonly number[]): number | null {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  const n = v.length;
  if (n < 20) return null;
  const sum = [0];
  const sumSq = [0];
  for (const x of v) {
    sum.push(sum[sum.length - 1]! + x);
    sumSq.push(sumSq[sumSq.length - 1]! + x * x);
  }
  let best: { separation: number; cut: number } | null = null;
  for (let i = Math.ceil(n * MIN_REGIME_SHARE); i <= Math.floor(n * (1 - MIN_REGIME_SHARE)); i++) {
    if (v[i - 1] === v[i]) continue;
    const lowMean = sum[i]! / i;
    const highMean = (sum[n]! - sum[i]!) / (n - i);
    const lowSd = Math.sqrt(Math.max(0, sumSq[i]! / i - lowMean * lowMean));
    const highSd = Math.sqrt(Math.max(0, (sumSq[n]! - sumSq[i]!) / (n - i) - highMean * highMean));
    const separation = (highMean - lowMean) / (lowSd + highSd + 1e-9 * (Math.abs(highMean) + 1));
    if (!best || separation > best.separation) best = { separation, cut: (v[i - 1]! + v[i]!) / 2 };
  }
  return best && best.separation >= MIN_SEPARATION ? best.cut : null;
}

/** What the wrapper keeps itself; the detectors' own state lives in the detectors. */
type OwnState = Omit<RegimeAwareSnapshot, 'plain' | 'children'>;
/** Smallest non-zero difference between consecutive values (undefined when the series never moved). */
function smallestStep(buffer: readonly [number, number][]): number | undefined {
  let q = Infinity;
  for (let i = 1; i < buffer.length; i++) {
    const d = Math.abs(buffer[i]![1] - buffer[i - 1]![1]);
    if (d > 0 && d < q) q = d;
  }
  return Number.isFinite(q) ? q : undefined;
}

/** Score reported with a flatline: the run is at least this improbable (see flatline.ts). */
const FLATLINE_SCORE = 1 - 1e-6;

/** The slow-drift check starts at this point of a series (its own level needs ~50 points to settle anyway). */
const DRIFT_FROM_POINTS = 50;

const QUIET: DetectionResult = { score: 0, isAnomaly: false, alarm: false, warmingUp: false };

export class RegimeAwareDetector {
  private readonly s: OwnState;
  private plain: Detector;
  private children: [Detector, Detector] | null;
  private readonly row = [0];
  /** The drift check's per-point tail (1 − the alarm threshold in force); NaN: to be read again. */
  private driftTail = NaN;

  private constructor(snapshot: RegimeAwareSnapshot) {
    // The detectors copy their snapshots; keeping those too would hold the state twice.
    const { plain, children, ...own } = snapshot;
    this.s = structuredClone(own);
    this.plain = restoreDetector(plain);
    this.children = children ? [restoreDetector(children[0]), restoreDetector(children[1])] : null;
  }

  static create(key: string, base: DetectorKind, fitPoints: number, options: { tuning?: DetectorTuning; policy?: Partial<AlarmPolicy> } = {}): RegimeAwareDetector {
    const plain = createDetector(base, [key], { fitPoints, ...options });
    const policy = options.policy ? { policy: { ...options.policy } } : {};
    const tuning = options.tuning ? { tuning: structuredClone(options.tuning) } : {};
    return new RegimeAwareDetector({
      version: 1,
      kind: 'regimes',
      key,
      base,
      fitPoints,
      seen: 0,
      buffer: [],
      plain: plain.snapshot(),
      cut: null,
      children: null,
      ...policy,
      ...tuning,
    });
  }

  static restore(snapshot: unknown): RegimeAwareDetector {
    const s = snapshot as RegimeAwareSnapshot;
    if (!s || s.kind !== 'regimes' || s.version !== 1) throw new Error('not a regime-aware detector snapshot (version 1)');
    return new RegimeAwareDetector(s);
  }

  get keys(): readonly string[] {
    return [this.s.key];
  }

  /** What judges the series now, for people: "seasonal", or "2 regimes (robust), boundary 1.5". */
  describe(): string {
    const plainKind = this.plain.kind === 'auto' ? 'seasonal' : this.plain.kind;
    if (this.s.counter) return `counter → rate per second (${plainKind})`;
    return this.s.cut === null ? plainKind : `2 regimes (robust), boundary ${Math.round(this.s.cut * 1000) / 1000}`;
  }

  /** An alarm of this series with this score was dismissed as false: every part gets less sensitive. */
  dismissed(score: number): void {
    this.driftTail = NaN;
    this.plain.dismissed(score);
    this.s.feedback = this.plain.snapshot().feedback;
    if (this.children) for (const c of this.children) c.setFeedback(this.s.feedback);
  }

  setFeedback(feedback: FeedbackState | undefined): void {
    this.driftTail = NaN;
    this.s.feedback = feedback;
    this.plain.setFeedback(feedback);
    if (this.children) for (const c of this.children) c.setFeedback(feedback);
  }

  get feedback(): FeedbackState | undefined {
    return this.s.feedback;
  }

  sensitivity(): { threshold: number; dismissals: number } {
    return (this.children ? this.children[0] : this.plain).sensitivity();
  }

  get fitPoints(): number {
    return this.s.fitPoints;
  }

  update(ts: number, value: number): DetectionResult {
    const learning = this.s.buffer !== null;
    const result = this.judge(ts, value);
    // A counter that stops advancing is judged by its rate (0), not as a stuck sensor.
    if (this.s.counter || !Number.isFinite(value)) return result;
    const run = stepFlatline((this.s.flatline ??= newFlatline()), value, learning);
    const drift = run === 0 ? this.stepDrift(value, learning) : 0;
    if ((run === 0 && drift === 0) || result.warmingUp) return this.reported(this.beyondResolution(result, value) ? result : { ...result, isAnomaly: false, alarm: false });
    this.reported({ ...result, isAnomaly: true, alarm: true });
    // The value has not changed for `run` points, far longer than this series ever holds still;
    // or it has moved one way for longer than it ever wanders.
    return {
      score: Math.max(result.score, FLATLINE_SCORE),
      isAnomaly: true,
      alarm: !result.isAnomaly || result.alarm,
      warmingUp: false,
      explanation: { ...(result.explanation ?? { key: this.s.key, expected: [value, value] as [number, number] }), observed: value },
      ...(run ? { flatline: run } : { drift }),
    };
  }

  /**
   * Onsets as reported: a deviation masked as within the resolution still started the inner
   * policy's refractory period, so a real fault soon after would never alarm. The wrapper
   * therefore also opens an incident itself on the first reported anomalous point after a quiet
   * spell of the refractory period, counted on what it reported.
   */
  private reported(result: DetectionResult): DetectionResult {
    if (result.warmingUp) return result;
    const r = (this.s.onsets ??= { active: false, since: Number.MAX_SAFE_INTEGER });
    const refractory = this.s.policy?.refractoryPoints ?? POLICIES.seasonal.refractoryPoints;
    const alarm = result.isAnomaly && (result.alarm || (!r.active && r.since >= refractory));
    r.since = alarm ? 0 : Math.min(r.since + 1, Number.MAX_SAFE_INTEGER);
    r.active = result.isAnomaly;
    return alarm === result.alarm ? result : { ...result, alarm };
  }

  /**
   * False for a deviation smaller than the sensor can report: a value within one step of the
   * series' resolution from its expected range. A battery that reads 90.0, 90.0, …, 89.9 has a
   * spread of almost nothing, so a deviation detector finds every 0.1 step many sigmas away; but
   * 0.1 is the least change it can show. True for everything else (and when there is no deviation).
   */
  private beyondResolution(result: DetectionResult, value: number): boolean {
    const q = this.s.quantum;
    const e = result.explanation;
    if (!result.isAnomaly || !q || !e || !Number.isFinite(value)) return true;
    const outside = value > e.expected[1] ? value - e.expected[1] : e.expected[0] - value;
    return outside > q * (1 + 1e-9);
  }

  /** Feeds the slow-drift check of the regime the value falls in; its CUSUM when it flags a drift. */
  private stepDrift(value: number, learning: boolean): number {
    // Started after a few dozen points, so a series that sent a handful costs no more than before.
    if (!this.s.drift && this.s.seen < DRIFT_FROM_POINTS) return 0;
    const states = (this.s.drift ??= [newDrift()]);
    const state = states.length === 2 && this.s.cut !== null ? states[value < this.s.cut ? 0 : 1]! : states[0]!;
    // Read once, not as a new sensitivity object per point: it changes only with feedback or a new model.
    if (Number.isNaN(this.driftTail)) this.driftTail = 1 - this.sensitivity().threshold;
    return stepDrift(state, value, learning, this.driftTail);
  }

  private judge(ts: number, value: number): DetectionResult {
    this.row[0] = value;
    this.s.seen++;
    if (this.s.buffer) {
      this.s.buffer.push([ts, value]);
      const result = this.plain.update(ts, this.row);
      if (this.s.buffer.length >= this.s.fitPoints) this.decide();
      return result;
    }
    if (this.s.counter) return this.updateRate(ts, value);
    if (!this.children || this.s.cut === null) return this.plain.update(ts, this.row);
    return this.children[value < this.s.cut ? 0 : 1].update(ts, this.row);
  }

  /** A counter's point: its rate since the previous one; a reset (a step back) is skipped. */
  private updateRate(ts: number, value: number): DetectionResult {
    const c = this.s.counter!;
    const dtSec = (ts - c.prevTs) / 1000;
    if (!Number.isFinite(value) || dtSec <= 0) return QUIET;
    const back = value < c.prevValue;
    const rate = (value - c.prevValue) / dtSec;
    c.prevTs = ts;
    c.prevValue = value;
    if (back) return QUIET;
    this.row[0] = rate;
    return this.plain.update(ts, this.row);
  }

  private decide(): void {
    // The detectors (and so the alarm threshold in force) may be replaced below.
    this.driftTail = NaN;
    const buffer = this.s.buffer!;
    this.s.buffer = null;
    if (looksLikeCounter(buffer.map(([, x]) => x))) {
      // Judge the rate instead, learnt from the fit period's rates (so it judges at once).
      const rates: [number, number][] = [];
      for (let i = 1; i < buffer.length; i++) {
        const dtSec = (buffer[i]![0] - buffer[i - 1]![0]) / 1000;
        if (dtSec > 0 && buffer[i]![1] >= buffer[i - 1]![1]) rates.push([buffer[i]![0], (buffer[i]![1] - buffer[i - 1]![1]) / dtSec]);
      }
      this.plain = createDetector(this.s.base, [this.s.key], { fitPoints: rates.length, policy: this.s.policy, tuning: this.s.tuning });
      for (const [ts, r] of rates) this.plain.update(ts, [r]);
      this.plain.setFeedback(this.s.feedback);
      const [lastTs, lastValue] = buffer[buffer.length - 1]!;
      this.s.counter = { prevTs: lastTs, prevValue: lastValue };
      return;
    }
    this.s.quantum = smallestStep(buffer);
    const cut = findRegimeCut(buffer.map(([, x]) => x));
    if (cut === null) return;
    this.s.cut = cut;
    const children: [Detector, Detector] = [
      createDetector('robust', [this.s.key], { fitPoints: CHILD_FIT_POINTS, policy: this.s.policy, tuning: this.s.tuning }),
      createDetector('robust', [this.s.key], { fitPoints: CHILD_FIT_POINTS, policy: this.s.policy, tuning: this.s.tuning }),
    ];
    for (const [ts, x] of buffer) children[x < cut ? 0 : 1].update(ts, [x]);
    for (const c of children) c.setFeedback(this.s.feedback);
    this.children = children;
    // One drift check per regime (a stop is not a drift), relearnt from the fit period.
    this.s.drift = [newDrift(), newDrift()];
    for (const [, x] of buffer) stepDrift(this.s.drift[x < cut ? 0 : 1]!, x, true, 1);
  }

  /** Estimated heap bytes of the whole state (see model-size.ts). */
  estimatedBytes(): number {
    return estimateHeapBytes(this.s) + this.plain.estimatedBytes() + (this.children ? this.children[0].estimatedBytes() + this.children[1].estimatedBytes() : 0);
  }

  snapshot(): RegimeAwareSnapshot {
    return {
      ...structuredClone(this.s),
      plain: this.plain.snapshot(),
      children: this.children ? [this.children[0].snapshot(), this.children[1].snapshot()] : null,
    };
  }
}
