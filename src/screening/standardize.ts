/**
 * Column standardisation of a flat row-major `n × d` matrix: `z_ij = (x_ij − m_j) / s_j`.
 *
 * Means use a two-pass algorithm (mean, then centred sum of squares), which is as accurate as
 * Welford for a matrix held in memory and simpler to read. Spread:
 *
 * ```
 * m_j = (1/n) Σ_i x_ij
 * s_j = sqrt( Σ_i (x_ij − m_j)² / (n − ddof) )
 * ```
 *
 * `ddof = 0` is the population / maximum-likelihood sd that glmnet uses inside its Lasso;
 * `ddof = 1` is R's `sd()` (sample sd), used for the data handed to the MoE (ALGORITHM.md §5.2).
 *
 * A column whose values are all identical gets exactly `m_j = x_1j`, `s_j = 0` (no rounding noise), and
 * cannot be scaled; it is centred only, i.e. mapped to all zeros,
 * and its `scale` entry is 1 (reported `sd` stays 0 so callers can see it).
 */

import { InputError, OptionError } from "../core/errors.js";

/** Column means and standard deviations of a matrix. */
export interface ColumnScaling {
  /** `m_j`, length d. */
  readonly mean: Float64Array;
  /** `s_j` with the chosen `ddof`, length d (0 for a constant column). */
  readonly sd: Float64Array;
  /** Divisor actually applied: `s_j`, or 1 where `s_j = 0`. */
  readonly scale: Float64Array;
  /** Degrees-of-freedom correction used for `sd`. */
  readonly ddof: 0 | 1;
}

/**
 * Checks that `X` is a finite `n × d` row-major matrix and returns `d = X.length / n`.
 * @throws InputError when `n < 1`, the length is not a multiple of `n` or a value is not finite
 */
export function inferColumns(X: Float64Array, n: number, fn: string): number {
  if (!Number.isInteger(n) || n < 1) throw new InputError(`${fn} requires at least one row, got ${n}`);
  if (X.length % n !== 0) {
    throw new InputError(`${fn} requires X of length n·d with n = ${n}, got length ${X.length}`);
  }
  for (let i = 0; i < X.length; i++) {
    if (!Number.isFinite(X[i])) {
      throw new InputError(`${fn} requires finite X, got ${X[i]} at row ${Math.floor(i / (X.length / n))}`);
    }
  }
  return X.length / n;
}

/**
 * Computes column means and sds of the `n × d` matrix `X` (row-major).
 * @param ddof 0 (population sd, divide by n) or 1 (sample sd, divide by n − 1)
 * @throws InputError on a malformed matrix or `ddof = 1` with `n < 2`
 * @example
 * columnScaling(Float64Array.of(1, 10, 3, 30), 2, 1).sd; // => Float64Array [√2, √200]
 */
export function columnScaling(X: Float64Array, n: number, ddof: 0 | 1 = 0): ColumnScaling {
  if (ddof !== 0 && ddof !== 1) throw new OptionError(`The 'ddof' option of columnScaling must be 0 or 1. Got ${ddof} instead`);
  const d = inferColumns(X, n, "columnScaling");
  if (n - ddof < 1) throw new InputError(`columnScaling with ddof = 1 requires at least 2 rows, got ${n}`);
  const mean = new Float64Array(d);
  const ss = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += X[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const c = X[i * d + j] - mean[j];
      ss[j] += c * c;
    }
  }
  const sd = new Float64Array(d);
  const scale = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    let constant = true;
    for (let i = 1; i < n && constant; i++) constant = X[i * d + j] === X[j];
    if (constant) {
      // exact: (n·c)/n can differ from c by rounding, which would leave a ~1e-17 "sd"
      mean[j] = X[j];
      ss[j] = 0;
    }
    sd[j] = Math.sqrt(ss[j] / (n - ddof));
    scale[j] = sd[j] > 0 ? sd[j] : 1;
  }
  return { mean, sd, scale, ddof };
}

/**
 * Returns a new matrix `z_ij = (x_ij − mean_j) / scale_j` (the input is not modified).
 * Use it with the scaling of a *training* set to transform a test set.
 * @throws InputError when the column count differs from the scaling's
 */
export function applyScaling(X: Float64Array, n: number, s: ColumnScaling): Float64Array {
  const d = s.mean.length;
  if (X.length !== n * d) throw new InputError(`applyScaling requires X of length n·d = ${n * d}, got ${X.length}`);
  const Z = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) Z[o + j] = (X[o + j] - s.mean[j]) / s.scale[j];
  }
  return Z;
}

/** Standardises `X` by its own column means and sds; returns the matrix and the constants. */
export function standardize(X: Float64Array, n: number, ddof: 0 | 1 = 0): { Z: Float64Array; scaling: ColumnScaling } {
  const scaling = columnScaling(X, n, ddof);
  return { Z: applyScaling(X, n, scaling), scaling };
}
