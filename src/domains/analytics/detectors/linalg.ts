// The few dense linear-algebra helpers the multivariate detector needs, on flat row-major
// number[] so they survive JSON round-trips. Sizes are a device's key count (≈ 2–30).

/** Inverse of a symmetric positive-definite k×k matrix by Gauss-Jordan with partial pivoting. */
export function invert(a: readonly number[], k: number): number[] {
  const m = a.slice();
  const inv = new Array<number>(k * k).fill(0);
  for (let i = 0; i < k; i++) inv[i * k + i] = 1;
  for (let col = 0; col < k; col++) {
    let pivot = col;
    for (let r = col + 1; r < k; r++) if (Math.abs(m[r * k + col]) > Math.abs(m[pivot * k + col])) pivot = r;
    if (Math.abs(m[pivot * k + col]) < 1e-12) throw new Error('matrix is singular');
    if (pivot !== col) {
      for (let c = 0; c < k; c++) {
        [m[col * k + c], m[pivot * k + c]] = [m[pivot * k + c], m[col * k + c]];
        [inv[col * k + c], inv[pivot * k + c]] = [inv[pivot * k + c], inv[col * k + c]];
      }
    }
    const p = m[col * k + col];
    for (let c = 0; c < k; c++) {
      m[col * k + c] /= p;
      inv[col * k + c] /= p;
    }
    for (let r = 0; r < k; r++) {
      if (r === col) continue;
      const f = m[r * k + col];
      if (f === 0) continue;
      for (let c = 0; c < k; c++) {
        m[r * k + c] -= f * m[col * k + c];
        inv[r * k + c] -= f * inv[col * k + c];
      }
    }
  }
  return inv;
}

/** Sample covariance (k×k, row-major) of row vectors. */
export function covariance(rows: readonly (readonly number[])[], k: number): number[] {
  const mean = new Array<number>(k).fill(0);
  for (const r of rows) for (let j = 0; j < k; j++) mean[j] += r[j] / rows.length;
  const cov = new Array<number>(k * k).fill(0);
  for (const r of rows)
    for (let i = 0; i < k; i++) {
      const di = r[i] - mean[i];
      for (let j = i; j < k; j++) cov[i * k + j] += di * (r[j] - mean[j]);
    }
  const denom = Math.max(1, rows.length - 1);
  for (let i = 0; i < k; i++)
    for (let j = i; j < k; j++) {
      cov[i * k + j] /= denom;
      cov[j * k + i] = cov[i * k + j];
    }
  return cov;
}

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const s = values.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.floor(q * (s.length - 1))))];
}
