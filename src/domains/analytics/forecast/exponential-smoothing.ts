/**
 * Additive exponential smoothing in error-correction form (ETS(A,N,N), ETS(A,Ad,N), ETS(A,Ad,A)):
 * simple exponential smoothing, Holt's (damped) linear trend and additive Holt-Winters share one loop.
 * Parameters use the ETS convention (β = α·β*, γ = (1−α)·γ*) so the textbook closed-form
 * h-step forecast variance applies directly.
 */

export type SmoothingKind = 'ses' | 'holt' | 'holt-winters';

export interface SmoothingParams {
  alpha: number;
  /** ETS β (0 ≤ β ≤ α). Ignored for 'ses'. */
  beta: number;
  /** ETS γ (0 ≤ γ ≤ 1 − α). Ignored unless 'holt-winters'. */
  gamma: number;
  /** Trend damping φ in (0, 1]; 1 = undamped. */
  phi: number;
}

export interface SmoothingState {
  kind: SmoothingKind;
  periodSteps: number;
  level: number;
  trend: number;
  /** seasonal[k] applies to the step whose index ≡ k (mod periodSteps) counted from the series start. */
  seasonal: number[];
  /** Index (in the regular grid) of the next, not yet observed, step. */
  nextIndex: number;
}

export interface SmoothingRun {
  state: SmoothingState;
  /** Sum of squared one-step-ahead errors after the initialisation window. */
  sse: number;
  errorCount: number;
}

/** Cycles averaged for the seasonal start: enough to average out noise, few enough to stay local. */
const INIT_CYCLES_MAX = 10;

/**
 * Heuristic initial states. For Holt-Winters the seasonal profile is the average deviation from
 * the cycle means over up to INIT_CYCLES_MAX cycles (classical decomposition); with only one or
 * two cycles the start is so noisy that the fit must pick a large γ just to repair it.
 */
function initialState(values: number[], kind: SmoothingKind, periodSteps: number): { state: SmoothingState; start: number } {
  if (kind === 'holt-winters') {
    const m = periodSteps;
    const cycles = Math.max(2, Math.min(INIT_CYCLES_MAX, Math.floor(values.length / m)));
    const cycleMeans = new Array<number>(cycles).fill(0);
    for (let c = 0; c < cycles; c++) for (let i = 0; i < m; i++) cycleMeans[c] += values[c * m + i] / m;
    // OLS slope of cycle means against cycle index, per step.
    const cMid = (cycles - 1) / 2;
    const meanOfMeans = cycleMeans.reduce((a, b) => a + b, 0) / cycles;
    let num = 0;
    let den = 0;
    for (let c = 0; c < cycles; c++) {
      num += (c - cMid) * (cycleMeans[c] - meanOfMeans);
      den += (c - cMid) ** 2;
    }
    const trend = num / den / m;
    const seasonal = new Array<number>(m).fill(0);
    for (let c = 0; c < cycles; c++) {
      for (let i = 0; i < m; i++) seasonal[i] += (values[c * m + i] - (cycleMeans[c] + (i - (m - 1) / 2) * trend)) / cycles;
    }
    const meanSeason = seasonal.reduce((a, b) => a + b, 0) / m;
    for (let i = 0; i < m; i++) seasonal[i] -= meanSeason;
    const level = cycleMeans[0] + ((m - 1) / 2) * trend;
    return { state: { kind, periodSteps: m, level, trend, seasonal, nextIndex: m }, start: m };
  }
  const k = Math.min(10, values.length - 1);
  const trend = kind === 'holt' && k > 0 ? (values[k] - values[0]) / k : 0;
  return { state: { kind, periodSteps: 1, level: values[0], trend, seasonal: [0], nextIndex: 1 }, start: 1 };
}

/** Runs the filter over the whole history; O(n) per call so it can sit inside an optimiser. */
export function runSmoothing(
  values: number[],
  kind: SmoothingKind,
  periodSteps: number,
  p: SmoothingParams,
  /** First index whose error is scored; models are only comparable on a common window. */
  scoreFromIndex?: number,
): SmoothingRun {
  const { state, start } = initialState(values, kind, periodSteps);
  const m = state.periodSteps;
  const seasonal = state.seasonal;
  let level = state.level;
  let trend = kind === 'ses' ? 0 : state.trend;
  const phi = kind === 'ses' ? 0 : p.phi;
  const beta = kind === 'ses' ? 0 : p.beta;
  const gamma = kind === 'holt-winters' ? p.gamma : 0;
  let sse = 0;
  // The first cycle after initialisation re-uses the values that built the seasonal start; skip its errors.
  const scoreFrom = Math.max(scoreFromIndex ?? 0, kind === 'holt-winters' ? 2 * m : start + 1);
  for (let t = start; t < values.length; t++) {
    const s = kind === 'holt-winters' ? seasonal[t % m] : 0;
    const predicted = level + phi * trend + s;
    const error = values[t] - predicted;
    if (t >= scoreFrom) sse += error * error;
    level = level + phi * trend + p.alpha * error;
    trend = phi * trend + beta * error;
    if (kind === 'holt-winters') seasonal[t % m] = s + gamma * error;
  }
  state.level = level;
  state.trend = trend;
  state.nextIndex = values.length;
  return { state, sse, errorCount: Math.max(1, values.length - scoreFrom) };
}

/** Point forecast h steps (h ≥ 1) after the last observation. */
export function pointForecast(state: SmoothingState, p: SmoothingParams, h: number): number {
  const phi = state.kind === 'ses' ? 0 : p.phi;
  // Σ_{i=1..h} φ^i, the damped trend multiplier.
  const damp = phi === 1 ? h : (phi * (1 - phi ** h)) / (1 - phi);
  const s = state.kind === 'holt-winters' ? state.seasonal[(state.nextIndex + h - 1) % state.periodSteps] : 0;
  return state.level + damp * state.trend + s;
}

/**
 * Forecast variance multipliers v_h = 1 + Σ_{j=1}^{h−1} c_j², c_j = α + β·Σ_{i=1..j}φ^i + γ·[j mod m = 0]
 * (Hyndman, Koehler, Ord & Snyder 2008, class 1 models). Variance at step h is σ²·v_h.
 */
export function varianceMultipliers(kind: SmoothingKind, periodSteps: number, p: SmoothingParams, steps: number): number[] {
  const out = new Array<number>(steps);
  let acc = 1;
  let dampSum = 0;
  for (let h = 1; h <= steps; h++) {
    out[h - 1] = acc;
    const j = h;
    const phi = kind === 'ses' ? 0 : p.phi;
    dampSum += phi ** j;
    const c = p.alpha + (kind === 'ses' ? 0 : p.beta * dampSum) + (kind === 'holt-winters' && j % periodSteps === 0 ? p.gamma : 0);
    acc += c * c;
  }
  return out;
}
