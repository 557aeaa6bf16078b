/** Nelder–Mead simplex minimiser for small, derivative-free problems (e.g. smoothing parameters). */

export interface NelderMeadOptions {
  /** Initial simplex edge length in parameter units. */
  step?: number;
  maxIterations?: number;
  /** Stop when the spread of objective values across the simplex falls below this. */
  tolerance?: number;
}

export function nelderMead(
  objective: (x: number[]) => number,
  start: number[],
  options: NelderMeadOptions = {},
): { x: number[]; value: number } {
  const step = options.step ?? 0.5;
  const maxIterations = options.maxIterations ?? 200 * start.length;
  const tolerance = options.tolerance ?? 1e-8;
  const dim = start.length;
  const simplex: { x: number[]; value: number }[] = [{ x: start.slice(), value: objective(start) }];
  for (let i = 0; i < dim; i++) {
    const x = start.slice();
    x[i] += step;
    simplex.push({ x, value: objective(x) });
  }
  const evaluate = (x: number[]) => ({ x, value: objective(x) });
  const along = (from: number[], to: number[], t: number) => from.map((v, i) => v + t * (to[i] - v));
  for (let iter = 0; iter < maxIterations; iter++) {
    simplex.sort((a, b) => a.value - b.value);
    const best = simplex[0];
    const worst = simplex[dim];
    if (Math.abs(worst.value - best.value) <= tolerance * (Math.abs(best.value) + 1e-12)) break;
    const centroid = new Array<number>(dim).fill(0);
    for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) centroid[j] += simplex[i].x[j] / dim;
    const reflected = evaluate(along(worst.x, centroid, 2));
    if (reflected.value < best.value) {
      const expanded = evaluate(along(worst.x, centroid, 3));
      simplex[dim] = expanded.value < reflected.value ? expanded : reflected;
    } else if (reflected.value < simplex[dim - 1].value) {
      simplex[dim] = reflected;
    } else {
      const contracted = evaluate(along(worst.x, centroid, reflected.value < worst.value ? 1.5 : 0.5));
      if (contracted.value < Math.min(worst.value, reflected.value)) {
        simplex[dim] = contracted;
      } else {
        for (let i = 1; i <= dim; i++) simplex[i] = evaluate(along(best.x, simplex[i].x, 0.5));
      }
    }
  }
  simplex.sort((a, b) => a.value - b.value);
  return simplex[0];
}
