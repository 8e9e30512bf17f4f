/**
 * The Lasso's working design (screening/lasso.ts): input checks, and the centred (optionally
 * scaled, as glmnet does) columns the coordinate descent runs on.
 */
import { InputError, OptionError } from "../core/errors.js";
import { inferColumns } from "./standardize.js";
import type { LassoOptions } from "./lasso.js";

export interface Design {
  /** Centred (and scaled) columns, column-major d × n. */
  readonly xt: Float64Array;
  readonly mean: Float64Array;
  readonly scale: Float64Array;
  /** v_j = ‖x̃_j‖² / n. */
  readonly v: Float64Array;
  readonly ybar: number;
  /** ỹ = y − ȳ. */
  readonly yc: Float64Array;
}

function isConstantColumn(X: Float64Array, n: number, d: number, j: number): boolean {
  for (let i = 1; i < n; i++) if (X[i * d + j] !== X[j]) return false;
  return true;
}

export function prepare(X: Float64Array, y: Float64Array, n: number, d: number, standardize: boolean): Design {
  const mean = new Float64Array(d);
  const scale = new Float64Array(d).fill(1);
  const v = new Float64Array(d);
  const xt = new Float64Array(d * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += X[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  for (let j = 0; j < d; j++) {
    if (isConstantColumn(X, n, d, j)) {
      mean[j] = X[j]; // exact: no rounding noise survives centring, so v_j = 0 and b_j stays 0
      continue;
    }
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const c = X[i * d + j] - mean[j];
      xt[j * n + i] = c;
      ss += c * c;
    }
    let vj = ss / n;
    if (standardize && vj > 0) {
      const s = Math.sqrt(vj);
      scale[j] = s;
      for (let i = 0; i < n; i++) xt[j * n + i] /= s;
      // recompute v_j from the scaled column so the update is exact to rounding
      ss = 0;
      for (let i = 0; i < n; i++) ss += xt[j * n + i] ** 2;
      vj = ss / n;
    }
    v[j] = vj;
  }
  let ybar = 0;
  for (let i = 0; i < n; i++) ybar += y[i];
  ybar /= n;
  const yc = new Float64Array(n);
  for (let i = 0; i < n; i++) yc[i] = y[i] - ybar;
  return { xt, mean, scale, v, ybar, yc };
}

export function checkXy(X: Float64Array, y: Float64Array, fn: string): { n: number; d: number } {
  if (!(X instanceof Float64Array) || !(y instanceof Float64Array)) {
    throw new InputError(`${fn} requires X and y as Float64Array`);
  }
  const n = y.length;
  if (n < 2) throw new InputError(`${fn} requires at least 2 rows, got ${n}`);
  for (let i = 0; i < n; i++) if (!Number.isFinite(y[i])) throw new InputError(`${fn} requires finite y, got ${y[i]} at row ${i}`);
  const d = inferColumns(X, n, fn);
  if (d < 1) throw new InputError(`${fn} requires at least one column, got 0`);
  return { n, d };
}

/** Validates the λ options; returns the grid (or null to build it from λ_max). */
export function checkOptions(o: LassoOptions, n: number, d: number): { grid: Float64Array | null; nLambda: number; ratio: number; tol: number; maxSweeps: number } {
  const nLambda = o.nLambda ?? 100;
  const ratio = o.lambdaMinRatio ?? (n >= d ? 1e-3 : 1e-2);
  const tol = o.tol ?? 1e-7;
  const maxSweeps = o.maxSweeps ?? 100000;
  if (!Number.isInteger(nLambda) || nLambda < 1) throw new OptionError(`The 'nLambda' option of lassoPath must be an int in the range [1, inf). Got ${nLambda} instead`);
  if (!(ratio > 0 && ratio < 1)) throw new OptionError(`The 'lambdaMinRatio' option of lassoPath must be a float in the range (0, 1). Got ${ratio} instead`);
  if (!(tol > 0 && Number.isFinite(tol))) throw new OptionError(`The 'tol' option of lassoPath must be a float in the range (0, inf). Got ${tol} instead`);
  if (!Number.isInteger(maxSweeps) || maxSweeps < 1) throw new OptionError(`The 'maxSweeps' option of lassoPath must be an int in the range [1, inf). Got ${maxSweeps} instead`);
  let grid: Float64Array | null = null;
  if (o.lambdas !== undefined) {
    grid = Float64Array.from(o.lambdas);
    if (grid.length < 1) throw new OptionError(`The 'lambdas' option of lassoPath must be a non-empty decreasing array of positive floats. Got an empty array instead`);
    for (let k = 0; k < grid.length; k++) {
      if (!(grid[k] > 0 && Number.isFinite(grid[k])) || (k > 0 && grid[k] > grid[k - 1])) {
        throw new OptionError(`The 'lambdas' option of lassoPath must be a non-increasing array of positive floats. Got ${grid[k]} at index ${k} instead`);
      }
    }
  }
  return { grid, nLambda, ratio, tol, maxSweeps };
}
