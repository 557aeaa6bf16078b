/** Least-squares fits: simple OLS with standard errors, and multivariate ridge regression. */

export interface SimpleLinearFit {
  slope: number;
  intercept: number;
  /** Standard error of the slope; Infinity when it cannot be estimated (n < 3 or constant x). */
  slopeStdErr: number;
  /** Residual standard deviation (n − 2 denominator). */
  residualSigma: number;
  n: number;
  meanX: number;
  /** Σ(x − x̄)², needed for prediction intervals at a new x. */
  sxx: number;
}

export function fitSimpleLinear(x: ArrayLike<number>, y: ArrayLike<number>): SimpleLinearFit {
  const n = Math.min(x.length, y.length);
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n || 1;
  my /= n || 1;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i] - mx) ** 2;
    sxy += (x[i] - mx) * (y[i] - my);
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  const intercept = my - slope * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (y[i] - intercept - slope * x[i]) ** 2;
  const residualSigma = n > 2 ? Math.sqrt(sse / (n - 2)) : 0;
  const slopeStdErr = n > 2 && sxx > 0 ? residualSigma / Math.sqrt(sxx) : Infinity;
  return { slope, intercept, slopeStdErr, residualSigma, n, meanX: mx, sxx };
}

/** Slope of y against its index 0..n−1 (fast path for windowed features). */
export function indexSlope(y: ArrayLike<number>, from: number, to: number): number {
  const n = to - from;
  if (n < 2) return 0;
  const mx = (n - 1) / 2;
  let my = 0;
  for (let i = from; i < to; i++) my += y[i];
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    const dx = i - mx;
    sxy += dx * (y[from + i] - my);
    sxx += dx * dx;
  }
  return sxy / sxx;
}

/**
 * Ridge regression on standardised columns, solved by Cholesky on (XᵀX + λI).
 * Returns weights in the original scale plus the intercept.
 */
export function fitRidge(rows: number[][], target: number[], lambda: number): { weights: number[]; intercept: number } {
  const n = rows.length;
  const p = rows[0]?.length ?? 0;
  const mu = new Array<number>(p).fill(0);
  const sd = new Array<number>(p).fill(0);
  for (const r of rows) for (let j = 0; j < p; j++) mu[j] += r[j] / n;
  for (const r of rows) for (let j = 0; j < p; j++) sd[j] += (r[j] - mu[j]) ** 2 / n;
  for (let j = 0; j < p; j++) sd[j] = Math.sqrt(sd[j]) || 1;
  const ty = target.reduce((a, b) => a + b, 0) / n;
  const A = Array.from({ length: p }, () => new Float64Array(p));
  const bvec = new Float64Array(p);
  const z = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) z[j] = (rows[i][j] - mu[j]) / sd[j];
    const yc = target[i] - ty;
    for (let j = 0; j < p; j++) {
      bvec[j] += z[j] * yc;
      for (let k = 0; k <= j; k++) A[j][k] += z[j] * z[k];
    }
  }
  for (let j = 0; j < p; j++) {
    A[j][j] += lambda;
    for (let k = 0; k < j; k++) A[k][j] = A[j][k];
  }
  const beta = solveSymmetricPositive(A, bvec);
  const weights = beta.map((b, j) => b / sd[j]);
  const intercept = ty - weights.reduce((acc, w, j) => acc + w * mu[j], 0);
  return { weights, intercept };
}

/** Solves A·x = b for symmetric positive-definite A via Cholesky decomposition. */
export function solveSymmetricPositive(A: Float64Array[], b: Float64Array): number[] {
  const p = b.length;
  const L = Array.from({ length: p }, () => new Float64Array(p));
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i][j];
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      L[i][j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / L[j][j];
    }
  }
  const y = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i][k] * y[k];
    y[i] = s / L[i][i];
  }
  const x = new Array<number>(p).fill(0);
  for (let i = p - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < p; k++) s -= L[k][i] * x[k];
    x[i] = s / L[i][i];
  }
  return x;
}
