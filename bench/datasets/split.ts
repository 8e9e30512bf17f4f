/**
 * Seeded train/test splitting and row subsetting for the benchmark data sets.
 */

import { OptionError, type Rng } from "../../src/index.js";
import type { Dataset } from "./table.js";

/**
 * Random split of rows 0..n−1: a Fisher–Yates permutation drawn from `rng`; its first
 * `round(n · testFraction)` entries form the test set. Both index lists are returned sorted, so the
 * stream order of the training rows is left to the caller.
 * @throws OptionError unless testFraction ∈ (0, 1) and both parts are non-empty
 * @example
 * splitTrainTest(1994, 0.2, createRng(7)).test.length; // => 399
 */
export function splitTrainTest(n: number, testFraction: number, rng: Rng): { train: number[]; test: number[] } {
  if (!(testFraction > 0 && testFraction < 1)) throw new OptionError(`The 'testFraction' option of splitTrainTest must be a float in the range (0, 1). Got ${testFraction} instead`);
  const nTest = Math.round(n * testFraction);
  if (!Number.isInteger(n) || nTest < 1 || nTest > n - 1) throw new OptionError(`splitTrainTest requires both parts non-empty, got n = ${n}, testFraction = ${testFraction}`);
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const byIndex = (a: number, b: number): number => a - b;
  return { test: perm.slice(0, nTest).sort(byIndex), train: perm.slice(nTest).sort(byIndex) };
}

/** The rows `rows` of a data set (copied), in the given order. */
export function subsetRows(ds: Dataset, rows: readonly number[]): Dataset {
  const { d } = ds;
  const X = new Float64Array(rows.length * d);
  const y = new Float64Array(rows.length);
  rows.forEach((r, i) => {
    X.set(ds.X.subarray(r * d, (r + 1) * d), i * d);
    y[i] = ds.y[r];
  });
  return { X, y, n: rows.length, d, names: [...ds.names] };
}

/** The columns `cols` of a data set (copied), in the given order. */
export function subsetColumns(ds: Dataset, cols: readonly number[]): Dataset {
  const m = cols.length;
  const X = new Float64Array(ds.n * m);
  for (let i = 0; i < ds.n; i++) for (let c = 0; c < m; c++) X[i * m + c] = ds.X[i * ds.d + cols[c]];
  return { X, y: Float64Array.from(ds.y), n: ds.n, d: m, names: cols.map((j) => ds.names[j]) };
}
