// The rule engine's pure core: (state, input) → {state, events}. An input is a point of one
// device or a clock tick; nothing here reads a clock, a store or a timer, so the same code runs
// on the live stream, in a backtest over stored history, and in table-driven tests.
//
// For speed the returned state may share structure with (and mutate) the state passed in: the
// caller must drop the old one. Every field is plain JSON so the engine can persist it as is.
import { compare, type Condition, type StatisticalCondition } from './rule.js';
import { cronMatches, parseCron, type CronSchedule } from './cron.js';

export interface RuleState {
  /** An alarm is open for this rule on this device. */
  active: boolean;
  /** threshold: since when the condition has held (null: it does not). */
  since: number | null;
  /** inactivity: the newest point seen; anomaly: the newest verdict that met the sensitivity. */
  lastSeen: number | null;
  /** statistical: [ts, value] pairs inside the window, oldest first. */
  window: [number, number][];
  /** statistical avg: the running sum of the window's values (null: to be summed, e.g. a state saved without it). */
  windowSum?: number | null;
  /** comparison and schedule: the latest value per operand (`deviceId \u0000 key`, or key). */
  latest: Record<string, number>;
  /** schedule: the last minute (epoch minutes) that was checked. */
  lastCheckMinute: number | null;
  /** No new alarm before this time (cooldown after a clear). */
  quietUntil: number;
}

export interface RuleEvent {
  kind: 'fire' | 'clear';
  /** When the condition was met or stopped being met (epoch ms). */
  at: number;
  /** The value that decided it (the statistic for statistical rules, the difference for comparisons). */
  value: number | null;
}

export type RuleInput =
  | { kind: 'point'; deviceId: string; key: string; ts: number; value: number }
  | { kind: 'tick'; now: number }
  /** A live model judged a point of these keys anomalous with this score (0..1). */
  | { kind: 'verdict'; deviceId: string; keys: string[]; ts: number; score: number }
  /** The maintenance estimate of a device's time to failure. */
  | { kind: 'estimate'; deviceId: string; ts: number; timeToFailureMs: number };

export interface RuleLogic {
  condition: Condition;
  cooldownMs: number;
}

export interface StepResult {
  state: RuleState;
  events: RuleEvent[];
  /** Set when the step left the state exactly as it was (nothing new to save). */
  unchanged?: true;
}

/** A statistical window keeps at most this many points: a 1 Hz key over 2.7 h, bounded memory per device. */
export const MAX_WINDOW_POINTS = 10_000;

/** `startedAt` seeds inactivity: a device that never sends anything is silent from then on. */
export function initialState(startedAt: number | null = null): RuleState {
  return { active: false, since: null, lastSeen: startedAt, window: [], windowSum: null, latest: Object.create(null), lastCheckMinute: null, quietUntil: 0 };
}

/** Numbers as they are, booleans as 1/0; text cannot meet a numeric condition. */
export function numericValue(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return null;
}

const NONE: RuleEvent[] = [];

/** A step that changed nothing: the engine need not save the state again. */
function untouched(state: RuleState): StepResult {
  return { state, events: NONE, unchanged: true };
}
const cronCache = new Map<string, CronSchedule>();

function fire(state: RuleState, at: number, value: number | null): StepResult {
  state.active = true;
  return { state, events: [{ kind: 'fire', at, value }] };
}

function clear(state: RuleState, logic: RuleLogic, at: number, value: number | null): StepResult {
  state.active = false;
  state.since = null;
  state.quietUntil = at + logic.cooldownMs;
  return { state, events: [{ kind: 'clear', at, value }] };
}

/** Sets the condition's truth at `at`: opens or clears the alarm (cooldown respected). */
function decide(state: RuleState, logic: RuleLogic, holds: boolean, at: number, value: number): StepResult {
  if (!state.active && holds && at >= state.quietUntil) return fire(state, at, value);
  if (state.active && !holds) return clear(state, logic, at, value);
  return { state, events: NONE };
}

function sumOf(window: readonly [number, number][], from: number): number {
  let sum = 0;
  for (let i = from; i < window.length; i++) sum += window[i]![1];
  return sum;
}

export function statistic(fn: StatisticalCondition['function'], window: readonly [number, number][]): number | null {
  if (fn === 'count') return window.length;
  if (window.length === 0) return null;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const [, v] of window) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / window.length;
  switch (fn) {
    case 'avg':
      return mean;
    case 'min':
      return min;
    case 'max':
      return max;
    case 'stddev': {
      let squares = 0;
      for (const [, v] of window) squares += (v - mean) ** 2;
      return Math.sqrt(squares / window.length);
    }
    case 'rate': {
      // Change per second between the oldest and newest point of the window.
      if (window.length < 2) return null;
      const [t0, v0] = window[0]!;
      const [t1, v1] = window[window.length - 1]!;
      return t1 === t0 ? null : (v1 - v0) / ((t1 - t0) / 1000);
    }
  }
}

/** An anomaly rule: a verdict at or above 1 − sensitivity (on one of its keys) fires or prolongs it. */
function onVerdict(logic: RuleLogic, state: RuleState, v: Extract<RuleInput, { kind: 'verdict' }>): StepResult {
  const c = logic.condition;
  if (c.type !== 'anomaly') return { state, events: NONE };
  if (c.keys !== null && !v.keys.some((k) => c.keys!.includes(k))) return { state, events: NONE };
  if (v.score < 1 - c.sensitivity) return { state, events: NONE };
  state.lastSeen = Math.max(state.lastSeen ?? v.ts, v.ts);
  if (!state.active && v.ts >= state.quietUntil) return fire(state, v.ts, v.score);
  return { state, events: NONE };
}

function onEstimate(logic: RuleLogic, state: RuleState, e: Extract<RuleInput, { kind: 'estimate' }>): StepResult {
  const c = logic.condition;
  if (c.type !== 'predicted_failure') return { state, events: NONE };
  return decide(state, logic, e.timeToFailureMs <= c.withinMs, e.ts, e.timeToFailureMs);
}

function onPoint(logic: RuleLogic, state: RuleState, p: Extract<RuleInput, { kind: 'point' }>): StepResult {
  const c = logic.condition;
  switch (c.type) {
    case 'anomaly':
    case 'predicted_failure':
      return { state, events: NONE };
    case 'threshold': {
      if (p.key !== c.key) return untouched(state);
      const holds = compare(p.value, c.operator, c.value);
      if (state.active) {
        const clears = c.clear ? compare(p.value, c.clear.operator, c.clear.value) : !holds;
        return clears ? clear(state, logic, p.ts, p.value) : untouched(state);
      }
      if (!holds) {
        if (state.since === null) return untouched(state);
        state.since = null;
        return { state, events: NONE };
      }
      state.since ??= p.ts;
      if (p.ts - state.since >= c.durationMs && p.ts >= state.quietUntil) return fire(state, p.ts, p.value);
      return { state, events: NONE };
    }
    case 'inactivity': {
      if (c.key !== null && p.key !== c.key) return { state, events: NONE };
      state.lastSeen = Math.max(state.lastSeen ?? p.ts, p.ts);
      return state.active ? clear(state, logic, p.ts, null) : { state, events: NONE };
    }
    case 'statistical': {
      if (p.key !== c.key) return { state, events: NONE };
      const w = state.window;
      w.push([p.ts, p.value]);
      let drop = 0;
      while (drop < w.length && w[drop]![0] <= p.ts - c.windowMs) drop++;
      if (w.length - drop > MAX_WINDOW_POINTS) drop = w.length - MAX_WINDOW_POINTS;
      // The average keeps a running sum, so a point costs the same whatever the window holds.
      if (c.function === 'avg') {
        if (state.windowSum === null || state.windowSum === undefined) state.windowSum = sumOf(w, drop);
        else {
          state.windowSum += p.value;
          for (let i = 0; i < drop; i++) state.windowSum -= w[i]![1];
        }
      }
      if (drop > 0) w.splice(0, drop);
      // An emptied window restarts its sum: rounding left over from the points gone goes with them.
      if (c.function === 'avg' && w.length === 1) state.windowSum = p.value;
      const value = c.function === 'avg' ? state.windowSum! / w.length : statistic(c.function, w);
      if (value === null) return { state, events: NONE };
      return decide(state, logic, compare(value, c.operator, c.value), p.ts, value);
    }
    case 'comparison': {
      const matches = (o: { deviceId: string | null; key: string }) => o.key === p.key && (o.deviceId === null || o.deviceId === p.deviceId);
      const isLeft = matches(c.left);
      const isRight = matches(c.right);
      if (!isLeft && !isRight) return { state, events: NONE };
      if (isLeft) state.latest.left = p.value;
      if (isRight) state.latest.right = p.value;
      const { left, right } = state.latest;
      if (left === undefined || right === undefined) return { state, events: NONE };
      const diff = left - right;
      return decide(state, logic, compare(diff, c.operator, c.value), p.ts, diff);
    }
    case 'schedule': {
      if (p.key !== c.key || state.latest[c.key] === p.value) return untouched(state);
      state.latest[c.key] = p.value;
      return { state, events: NONE };
    }
  }
}

function onTick(logic: RuleLogic, state: RuleState, now: number): StepResult {
  const c = logic.condition;
  switch (c.type) {
    case 'threshold': {
      // A duration ends on the clock, not on the next point: "> 80 for 5 min" fires at minute 5
      // even when the device then goes quiet with the value still high.
      if (state.active || state.since === null || c.durationMs === 0) return { state, events: NONE };
      const due = state.since + c.durationMs;
      return now >= due && due >= state.quietUntil ? fire(state, due, null) : { state, events: NONE };
    }
    case 'inactivity': {
      if (state.active || state.lastSeen === null) return { state, events: NONE };
      const due = state.lastSeen + c.durationMs;
      return now >= due && due >= state.quietUntil ? fire(state, due, null) : { state, events: NONE };
    }
    case 'anomaly': {
      // Quiet for clearAfterMs since the last verdict that met the sensitivity: the episode is over.
      if (!state.active || state.lastSeen === null) return { state, events: NONE };
      const due = state.lastSeen + c.clearAfterMs;
      return now >= due ? clear(state, logic, due, null) : { state, events: NONE };
    }
    case 'schedule': {
      const minute = Math.floor(now / 60_000);
      if (state.lastCheckMinute === minute) return { state, events: NONE };
      let schedule = cronCache.get(c.cron);
      if (!schedule) {
        const parsed = parseCron(c.cron);
        if (typeof parsed === 'string') return { state, events: NONE }; // validated on input; unreachable
        cronCache.set(c.cron, (schedule = parsed));
      }
      if (!cronMatches(schedule, minute * 60_000)) return { state, events: NONE };
      state.lastCheckMinute = minute;
      const latest = state.latest[c.key];
      if (latest === undefined) return { state, events: NONE };
      return decide(state, logic, compare(latest, c.operator, c.value), minute * 60_000, latest);
    }
    default:
      return { state, events: NONE };
  }
}

/** One step of one rule on one device (or, for a cross-device comparison, on the rule). */
export function step(logic: RuleLogic, state: RuleState, input: RuleInput): StepResult {
  switch (input.kind) {
    case 'point':
      return onPoint(logic, state, input);
    case 'tick':
      return onTick(logic, state, input.now);
    case 'verdict':
      return onVerdict(logic, state, input);
    case 'estimate':
      return onEstimate(logic, state, input);
  }
}

/** Whether the engine must tick this rule (it fires on time, not only on points). */
export function needsTicks(condition: Condition): boolean {
  return condition.type === 'threshold' ? condition.durationMs > 0 : condition.type === 'inactivity' || condition.type === 'schedule' || condition.type === 'anomaly';
}
