/**
 * Health indicator in [0, 1]: 1 = healthy (no degradation visible, RUL at or above the cap),
 * 0 = at predicted end of life. Linear in RUL so that "0.2" reads as "a fifth of the observable
 * degradation span left", which is what an operator dashboard needs.
 */
export function healthIndexFromRul(rulSteps: number, rulCapSteps: number): number {
  if (!(rulCapSteps > 0)) return NaN;
  return Math.min(1, Math.max(0, rulSteps / rulCapSteps));
}
