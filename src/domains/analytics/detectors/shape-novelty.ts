// Shape novelty: is the recent stretch of a series shaped like anything it has done before?
// The surprise score judges how far values stray from a forecast. It misses a series that stays
// in its usual range but moves in a new way, and it alarms again on every repeat of a burst the
// series is known for. In the spirit of ARTime (adaptive resonance over windows of a downsampled
// series; no code taken from it): the series is averaged into blocks, the last `windowBlocks`
// block means are scaled to [0, 1] by the range of block means seen so far, and that window is
// matched against a bounded set of prototypes. A window within `vigilance` of its nearest
// prototype refines it; one farther away becomes a new prototype, replacing the least recently
// matched one when the set is full. The distance to the nearest prototype is judged against the
// running mean and spread of past distances (as the surprise score judges deviations), so one
// threshold means the same rarity on every series.
//
// Two uses, combined with the surprise score in `withShape`: a novel window scores by its own
// tail probability (the larger score counts), and a surprise alarm on a familiar window (distance
// below mean + familiarGate spreads) is held back. The gate judges whole windows, so the surprise
// score is held until the block ends: an alarm comes up to `blockPoints` − 1 points later. A
// seasonal model judges familiarity on a second state fed with its residual (seasonal.ts).
//
// Cost: one addition per point; every `blockPoints`-th point a scan of at most
// maxPrototypes × windowBlocks numbers. State: maxPrototypes × (windowBlocks + 2) numbers plus
// a ring of windowBlocks, fixed whatever the length of the series.
import { normalTail } from './surprise.js';

export interface ShapeConfig {
  /** Off: no state is kept and the surprise score passes unchanged. */
  enabled: boolean;
  /** Points averaged into one block (the downsampling). */
  blockPoints: number;
  /** Block means per window: the shape spans blockPoints × windowBlocks points. */
  windowBlocks: number;
  /** Most prototypes kept per series. */
  maxPrototypes: number;
  /** Mean absolute distance, in units of the range seen so far, within which a window matches a prototype. */
  vigilance: number;
  /** Windows that only build prototypes, then as many that only learn the distance statistics, before judging. */
  learnWindows: number;
  /** EWMA weight of the distance statistics, per window. */
  distanceAlpha: number;
  /**
   * A surprise alarm stands only if its window's distance is at least mean + this many spreads
   * of past distances: a burst shaped like earlier ones is not news. null: no gate.
   */
  familiarGate: number | null;
  /**
   * A raw value beyond the range of every value seen before by more than this share of that
   * range scores 1 (see newExtreme), once the prototypes' learning windows are past. Absent or
   * null: off.
   */
  rangeTolerance?: number | null;
}

export interface ShapeState {
  blockSum: number;
  blockCount: number;
  /** Ring of the last windowBlocks block means; `pos` is the oldest. */
  ring: number[];
  pos: number;
  blocks: number;
  lo: number;
  hi: number;
  /** Prototypes, row after row (windowBlocks numbers each); the first `used` rows are live. */
  protos: number[];
  /** Window count at which each prototype last matched (the least recent is replaced). */
  lastMatch: number[];
  /** Matches per prototype (sets the refinement step). */
  hits: number[];
  used: number;
  windows: number;
  distMean: number;
  distVar: number;
  /** The last judged window's distance in spreads above the mean; null until judging starts. */
  lastZ: number | null;
  /** Highest surprise score of the current block, while the gate holds it. */
  held: number;
  /** Smallest and largest raw value seen (for rangeTolerance; absent in older snapshots). */
  xLo?: number;
  xHi?: number;
}

export function newShape(cfg: ShapeConfig): ShapeState {
  return {
    blockSum: 0,
    blockCount: 0,
    ring: new Array<number>(cfg.windowBlocks).fill(0),
    pos: 0,
    blocks: 0,
    lo: Infinity,
    hi: -Infinity,
    protos: new Array<number>(cfg.maxPrototypes * cfg.windowBlocks).fill(0),
    lastMatch: new Array<number>(cfg.maxPrototypes).fill(0),
    hits: new Array<number>(cfg.maxPrototypes).fill(0),
    used: 0,
    windows: 0,
    distMean: 0,
    distVar: 0,
    lastZ: null,
    held: 0,
  };
}

/** Refinement steps stop shrinking here, so a prototype keeps following a slow change of shape. */
const MAX_HITS = 16;
/** Below every threshold the alarm policies use: a held surprise score cannot alarm. */
const HELD_SCORE = 0.95;

/**
 * The point's score from its surprise score and the shape of the recent window: the larger of
 * the two tail scores, with the surprise score held to the block's end and dropped below any
 * threshold there if the window is familiar (cfg.familiarGate).
 */
export function withShape(s: ShapeState, cfg: ShapeConfig, x: number, surprise: number): number {
  const extreme = newExtreme(s, cfg, x);
  const novelty = stepShape(s, cfg, x);
  const score = gateSurprise(s, cfg, surprise);
  return extreme ? 1 : novelty > score ? novelty : score;
}

/**
 * True when x lies beyond the range of every raw value seen before by more than
 * cfg.rangeTolerance of that range (then the range takes it in). A value the series has never
 * come near is news whatever its shape or its deviation from a forecast that has already started
 * to follow it: a price that drops to a record low inside an otherwise ordinary day, a
 * temperature that sinks below anything in its history. Numenta's HTM detector for NAB flags the
 * same "spatial anomaly" with the same 5 % tolerance (read from its description; no code taken).
 * Judged only once the learning windows are past (the range of a young series widens all the
 * time). Call it before stepShape for the same point.
 */
export function newExtreme(s: ShapeState, cfg: ShapeConfig, x: number): boolean {
  const band = extremeBand(s, cfg);
  if (s.xLo === undefined || s.xHi === undefined || x < s.xLo) s.xLo = x;
  if (s.xHi === undefined || x > s.xHi) s.xHi = x;
  return band !== null && (x < band[0] || x > band[1]);
}

/**
 * The values the next point may take without being a new extreme (newExtreme): the range seen so
 * far widened by the tolerance on both sides; null while range novelty is off or not judging.
 * An alarm raised by it explains itself with this band, not with the forecast's.
 */
export function extremeBand(s: ShapeState, cfg: ShapeConfig): [number, number] | null {
  const tolerance = cfg.rangeTolerance;
  if (tolerance === undefined || tolerance === null || s.xLo === undefined || s.xHi === undefined || s.windows <= cfg.learnWindows) return null;
  const margin = tolerance * (s.xHi - s.xLo);
  return margin > 0 ? [s.xLo - margin, s.xHi + margin] : null;
}

/**
 * The familiarity gate alone, judged on a shape state already stepped with this point (its
 * block position and the last window's distance): the surprise score is held to the block's end
 * and there dropped to HELD_SCORE if the window was familiar. Separate from withShape so that a
 * seasonal model can judge familiarity on the shape of its residual (what the daily profile
 * does not explain) while novelty keeps looking at the raw series.
 */
export function gateSurprise(s: ShapeState, cfg: ShapeConfig, surprise: number): number {
  if (cfg.familiarGate === null) return surprise;
  if (surprise > s.held) s.held = surprise;
  if (s.blockCount !== 0) return Math.min(surprise, HELD_SCORE);
  const familiar = s.lastZ !== null && s.lastZ < cfg.familiarGate;
  const score = familiar ? Math.min(s.held, HELD_SCORE) : s.held;
  s.held = 0;
  return score;
}

/** True once the state judges windows (its distance statistics are learnt). */
export function judgingShapes(s: ShapeState): boolean {
  return s.lastZ !== null;
}

/** Feeds one value; returns the window's novelty score in [0, 1] (0 except at a block's end). */
export function stepShape(s: ShapeState, cfg: ShapeConfig, x: number): number {
  s.blockSum += x;
  if (++s.blockCount < cfg.blockPoints) return 0;
  const mean = s.blockSum / s.blockCount;
  s.blockSum = 0;
  s.blockCount = 0;
  const w = cfg.windowBlocks;
  s.ring[s.pos] = mean;
  s.pos = (s.pos + 1) % w;
  s.blocks++;
  if (mean < s.lo || mean > s.hi) widenRange(s, cfg.windowBlocks, Math.min(s.lo, mean), Math.max(s.hi, mean));
  if (s.blocks < w) return 0;
  // The window, oldest block first, scaled once into a scratch buffer shared by all series (the
  // scan below is the hot loop: no modulo, no division there).
  const span = s.hi - s.lo || 1;
  const win = scratch.length >= w ? scratch : (scratch = new Float64Array(w));
  for (let j = 0; j < w; j++) win[j] = (s.ring[(s.pos + j) % w] - s.lo) / span;
  let best = -1;
  let bestDist = Infinity;
  for (let p = 0, row = 0; p < s.used; p++, row += w) {
    let d = 0;
    // Stop summing once this prototype cannot beat the best so far.
    const bound = bestDist * w;
    for (let j = 0; j < w && d < bound; j++) d += Math.abs(win[j] - s.protos[row + j]);
    d /= w;
    if (d < bestDist) {
      bestDist = d;
      best = p;
    }
  }
  s.windows++;
  if (best >= 0 && bestDist <= cfg.vigilance) refine(s, w, win, best);
  else store(s, cfg, w, win);
  if (s.windows <= cfg.learnWindows || best < 0) return 0;
  return judge(s, cfg, bestDist);
}

let scratch = new Float64Array(8);

/**
 * A block mean beyond the range seen so far widens it, and the prototypes are re-expressed in the
 * new range: they stand for block means, not for numbers in [0, 1]. Left in the old units, every
 * familiar shape would stop matching its own prototype after the first new extreme (an anomaly,
 * more often than not), and the series' ordinary cycles would then be judged novel one after the
 * other: NAB's art_daily_jumpsup alarmed twice on the next normal day, after its one anomalous day.
 */
function widenRange(s: ShapeState, w: number, lo: number, hi: number): void {
  if (s.used > 0) {
    const oldSpan = s.hi - s.lo || 1; // the scale windows were stored with (see stepShape)
    const span = hi - lo;
    const n = s.used * w;
    for (let i = 0; i < n; i++) s.protos[i] = (s.protos[i] * oldSpan + s.lo - lo) / span;
  }
  s.lo = lo;
  s.hi = hi;
}

function refine(s: ShapeState, w: number, win: Float64Array, p: number): void {
  const row = p * w;
  const step = 1 / (Math.min(s.hits[p], MAX_HITS) + 1);
  for (let j = 0; j < w; j++) s.protos[row + j] += step * (win[j] - s.protos[row + j]);
  s.hits[p]++;
  s.lastMatch[p] = s.windows;
}

function store(s: ShapeState, cfg: ShapeConfig, w: number, win: Float64Array): void {
  let slot = s.used;
  if (s.used < cfg.maxPrototypes) s.used++;
  else {
    slot = 0;
    for (let p = 1; p < s.used; p++) if (s.lastMatch[p] < s.lastMatch[slot]) slot = p;
  }
  const row = slot * w;
  for (let j = 0; j < w; j++) s.protos[row + j] = win[j];
  s.hits[slot] = 1;
  s.lastMatch[slot] = s.windows;
}

/** The distance's tail score against the running statistics of past distances (then updated). */
function judge(s: ShapeState, cfg: ShapeConfig, dist: number): number {
  const seen = s.windows - cfg.learnWindows;
  const first = seen === 1;
  const m = first ? dist : s.distMean;
  const v = first ? 0 : s.distVar;
  const z = (dist - m) / (Math.sqrt(v) + 1e-6);
  const a = Math.max(cfg.distanceAlpha, 1 / seen);
  const d = dist - m;
  s.distMean = m + a * d;
  s.distVar = (1 - a) * (v + a * d * d);
  if (seen <= cfg.learnWindows) {
    s.lastZ = null;
    return 0;
  }
  s.lastZ = z;
  return 1 - normalTail(z);
}
