// A rule state as the rule store keeps it, and back: the live state is plain JSON already, but
// a statistical window is written packed (most of what a save of many rules writes).
import { initialState, type RuleState } from './evaluate.js';

/** A saved state back in memory: `latest` is data keyed by key names, so no prototype behind it. */
export function restoreState(saved: unknown): RuleState {
  const stored = saved as Partial<RuleState> & { window?: unknown[] };
  const state = { ...initialState(), ...stored, window: unpackWindow(stored.window ?? []) };
  state.latest = Object.assign(Object.create(null), state.latest);
  return state;
}

/**
 * A statistical window as saved: one flat list `[ts0, v0, Δts1, v1, Δts2, v2, …]`, each time
 * as the step from the one before. About a third of the bytes of `[[ts, v], …]`, which is what
 * a save of 1,000 rules spends most of its time writing.
 */
function packWindow(window: readonly [number, number][]): number[] {
  const flat = new Array<number>(window.length * 2);
  let previous = 0;
  for (let i = 0; i < window.length; i++) {
    const [ts, value] = window[i]!;
    flat[2 * i] = ts - previous;
    flat[2 * i + 1] = value;
    previous = ts;
  }
  return flat;
}

/** Either form back to pairs: states saved before windows were packed hold the pairs. */
function unpackWindow(saved: unknown[]): [number, number][] {
  if (saved.length === 0 || Array.isArray(saved[0])) return saved as [number, number][];
  const flat = saved as number[];
  const window: [number, number][] = new Array(flat.length / 2);
  let ts = 0;
  for (let i = 0; i < window.length; i++) {
    ts += flat[2 * i]!;
    window[i] = [ts, flat[2 * i + 1]!];
  }
  return window;
}

/** What is written of a state: the live object, or a copy with its window packed. */
export function persistable(state: RuleState): unknown {
  return state.window.length === 0 ? state : { ...state, window: packWindow(state.window) };
}
