/**
 * Screening pipeline of ALGORITHM.md §5.2, steps 4–5, applied to one train/test split:
 * 1. Lasso CV (standardised Lasso, K folds, seeded) on the **training rows only**;
 * 2. keep the columns with nonzero coefficient at λ_1se, ranked by |β_j s_j| and capped at
 *    `maxFeatures` (see `selectFeatures`);
 * 3. standardise the kept columns of both folds with the **training** mean and sample sd (n − 1),
 *    the same convention as the crime flexmix fixture. y is left on its original scale.
 */

import { applyScaling, columnScaling, selectFeatures, type LassoOptions } from "../../src/index.js";
import type { Dataset } from "./table.js";
import { subsetColumns } from "./split.js";

/** Options of {@link screenAndStandardize}. */
export interface ScreenOptions {
  readonly maxFeatures: number;
  /** CV folds. @default 10 */
  readonly folds?: number;
  /** Fold-assignment seed. @default 1 */
  readonly seed?: number;
  /** λ rule. @default "1se" */
  readonly rule?: "min" | "1se";
  /** Extra Lasso options (e.g. `tol`, `lambdaMinRatio`; maize CV takes ~1 min with the defaults). */
  readonly lasso?: LassoOptions;
}

/** Screened and standardised folds. */
export interface ScreenedSplit {
  readonly train: Dataset;
  readonly test: Dataset;
  /** Selected column indices of the input data, by decreasing |coef|. */
  readonly selected: number[];
  readonly names: string[];
  /** Training mean and sample sd of the selected columns. */
  readonly mean: Float64Array;
  readonly sd: Float64Array;
  readonly lambda: number;
}

/**
 * Runs the screening pipeline (see module header).
 * @example
 * const s = screenAndStandardize(train, test, { maxFeatures: 10, folds: 10, seed: 1 });
 */
export function screenAndStandardize(train: Dataset, test: Dataset, opts: ScreenOptions): ScreenedSplit {
  const sel = selectFeatures(train.X, train.y, {
    ...opts.lasso,
    rule: opts.rule ?? "1se", maxFeatures: opts.maxFeatures, folds: opts.folds ?? 10, seed: opts.seed ?? 1,
  });
  const tr = subsetColumns(train, sel.indices);
  const te = subsetColumns(test, sel.indices);
  const scaling = columnScaling(tr.X, tr.n, 1);
  return {
    train: { ...tr, X: applyScaling(tr.X, tr.n, scaling) },
    test: { ...te, X: applyScaling(te.X, te.n, scaling) },
    selected: sel.indices,
    names: tr.names,
    mean: scaling.mean,
    sd: scaling.sd,
    lambda: sel.lambda,
  };
}
