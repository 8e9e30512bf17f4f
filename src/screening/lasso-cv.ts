/**
 * K-fold cross-validation of the Lasso path and Lasso-based feature screening.
 *
 * Protocol (cv.glmnet with `type.measure = "mse"`, `grouped = TRUE`):
 * 1. The λ grid is built once from the full data (`λ_max` of all n rows; truncated where the full-data
 *    path stops early) and shared by every fold (fold paths never stop early).
 * 2. Fold f ∈ {0..K−1} is held out, the path is fitted on the other rows (standardisation, if on,
 *    uses the training rows only) and the held-out mean squared error `e_f(λ)` is recorded.
 * 3. With fold sizes `n_f`, the CV curve and its standard error are
 *    ```
 *    cvm(λ)  = Σ_f n_f e_f(λ) / n
 *    cvsd(λ) = sqrt( Σ_f n_f (e_f(λ) − cvm(λ))² / n / (K − 1) )
 *    ```
 * 4. `λ_min` is the largest λ with `cvm(λ) = min cvm`; `λ_1se` is the largest λ with
 *    `cvm(λ) ≤ cvm(λ_min) + cvsd(λ_min)` (the one-standard-error rule, Hastie et al. ESL §7.10).
 *
 * Fold assignment: a uniformly random permutation π (Fisher–Yates with `createRng(seed)`), then
 * row π(i) goes to fold `i mod K`, so fold sizes differ by at most one (as glmnet's
 * `sample(rep(1:K, length = n))`).
 */

import { InputError, OptionError } from "../core/errors.js";
import { createRng, type Rng } from "../core/rng.js";
import { lassoPath, lassoPredict, type LassoOptions, type LassoPath } from "./lasso.js";

/** Options of {@link lassoCv}. */
export interface LassoCvOptions extends LassoOptions {
  /** Number of folds K, an int in [2, n]. @default 10 */
  readonly folds?: number;
  /** Seed of the fold assignment. @default 1 */
  readonly seed?: number;
  /** Explicit 0-based fold ids (length n, values 0..K−1, every fold non-empty); overrides folds/seed. */
  readonly foldId?: ArrayLike<number>;
}

/** Result of {@link lassoCv}. */
export interface LassoCvResult {
  /** The path fitted on all rows. */
  readonly path: LassoPath;
  readonly lambdas: Float64Array;
  /** CV mean squared error per λ. */
  readonly cvm: Float64Array;
  /** Its standard error per λ. */
  readonly cvsd: Float64Array;
  readonly indexMin: number;
  readonly index1se: number;
  readonly lambdaMin: number;
  readonly lambda1se: number;
  /** 0-based fold of each row. */
  readonly foldId: Int32Array;
  readonly folds: number;
}

/**
 * Seeded balanced fold assignment: row `π(i)` gets fold `i mod k` for a random permutation π.
 * @throws OptionError unless `2 ≤ k ≤ n`
 * @example
 * assignFolds(5, 2, createRng(1)); // => e.g. Int32Array [1, 0, 0, 1, 0]
 */
export function assignFolds(n: number, k: number, rng: Rng): Int32Array {
  if (!Number.isInteger(k) || k < 2 || k > n) throw new OptionError(`The 'folds' option must be an int in the range [2, n = ${n}]. Got ${k} instead`);
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  const fold = new Int32Array(n);
  for (let i = 0; i < n; i++) fold[perm[i]] = i % k;
  return fold;
}

function rowsOf(X: Float64Array, d: number, rows: readonly number[]): Float64Array {
  const out = new Float64Array(rows.length * d);
  rows.forEach((r, i) => out.set(X.subarray(r * d, (r + 1) * d), i * d));
  return out;
}

/**
 * Cross-validates the Lasso path (see the module header for cvm, cvsd, λ_min and λ_1se).
 * @param X flat row-major n × d
 * @param y length n
 * @throws InputError / OptionError on bad input or options
 */
export function lassoCv(X: Float64Array, y: Float64Array, opts: LassoCvOptions = {}): LassoCvResult {
  const path = lassoPath(X, y, opts);
  const { n, d } = path;
  let foldId: Int32Array;
  let K: number;
  if (opts.foldId !== undefined) {
    foldId = Int32Array.from(opts.foldId);
    if (foldId.length !== n) throw new InputError(`lassoCv requires foldId of length ${n}, got ${foldId.length}`);
    K = foldId.reduce((m, f) => Math.max(m, f), -1) + 1;
    const sizes = new Int32Array(Math.max(K, 0));
    for (const f of foldId) {
      if (!Number.isInteger(f) || f < 0) throw new InputError(`lassoCv requires foldId values that are ints >= 0, got ${f}`);
      sizes[f]++;
    }
    if (K < 2 || sizes.some((s) => s === 0)) throw new InputError("lassoCv requires foldId with at least 2 folds, numbered 0..K-1, none empty");
  } else {
    K = opts.folds ?? 10;
    foldId = assignFolds(n, K, createRng(opts.seed ?? 1));
  }
  const lambdas = path.lambdas;
  const L = lambdas.length;
  const err = new Float64Array(K * L);
  const size = new Float64Array(K);
  for (let f = 0; f < K; f++) {
    const tr: number[] = [];
    const te: number[] = [];
    for (let i = 0; i < n; i++) (foldId[i] === f ? te : tr).push(i);
    size[f] = te.length;
    const fit = lassoPath(rowsOf(X, d, tr), Float64Array.from(tr, (i) => y[i]), { ...opts, lambdas, earlyStop: false });
    const Xte = rowsOf(X, d, te);
    for (let k = 0; k < L; k++) {
      const pred = lassoPredict(fit, k, Xte);
      let s = 0;
      for (let i = 0; i < te.length; i++) s += (y[te[i]] - pred[i]) ** 2;
      err[f * L + k] = s / te.length;
    }
  }
  const cvm = new Float64Array(L);
  const cvsd = new Float64Array(L);
  for (let k = 0; k < L; k++) {
    let m = 0;
    for (let f = 0; f < K; f++) m += size[f] * err[f * L + k];
    m /= n;
    let v = 0;
    for (let f = 0; f < K; f++) v += size[f] * (err[f * L + k] - m) ** 2;
    cvm[k] = m;
    cvsd[k] = Math.sqrt(v / n / (K - 1));
  }
  // λ is decreasing, so "largest λ with ..." is the first index satisfying it.
  let best = Infinity;
  for (let k = 0; k < L; k++) best = Math.min(best, cvm[k]);
  const indexMin = cvm.findIndex((c) => c <= best);
  const bound = cvm[indexMin] + cvsd[indexMin];
  const index1se = cvm.findIndex((c) => c <= bound);
  return {
    path, lambdas, cvm, cvsd, indexMin, index1se,
    lambdaMin: lambdas[indexMin], lambda1se: lambdas[index1se], foldId, folds: K,
  };
}

/** Options of {@link selectFeatures}. */
export interface SelectFeaturesOptions extends LassoCvOptions {
  /** Which CV choice of λ to use. */
  readonly rule: "min" | "1se";
  /** Keep at most this many features (the largest |coef|). @default all nonzero */
  readonly maxFeatures?: number;
}

/** Result of {@link selectFeatures}. */
export interface SelectedFeatures {
  /** Selected column indices, ordered by decreasing |coefScaled|, ties by increasing index. */
  readonly indices: number[];
  /** Coefficients of all d columns at the chosen λ on the fitting scale (β_j · s_j). */
  readonly coefScaled: Float64Array;
  /** Chosen λ and its index on the grid. */
  readonly lambda: number;
  readonly lambdaIndex: number;
  readonly cv: LassoCvResult;
}

/**
 * Lasso screening: cross-validate, take λ_min or λ_1se, keep the columns with nonzero coefficient,
 * ranked by |β_j s_j| (the coefficient on the scale the penalty acts on: per unit population sd of
 * x_j when standardising), ties broken by lower column index, capped at `maxFeatures`.
 * @param X flat row-major n × d
 * @param y length n
 * @example
 * const { indices } = selectFeatures(X, y, { rule: "1se", folds: 10, seed: 1, maxFeatures: 6 });
 */
export function selectFeatures(X: Float64Array, y: Float64Array, opts: SelectFeaturesOptions): SelectedFeatures {
  if (opts.rule !== "min" && opts.rule !== "1se") throw new OptionError(`The 'rule' option of selectFeatures must be "min" or "1se". Got ${String(opts.rule)} instead`);
  const max = opts.maxFeatures ?? Infinity;
  if (max !== Infinity && (!Number.isInteger(max) || max < 1)) throw new OptionError(`The 'maxFeatures' option of selectFeatures must be an int in the range [1, inf). Got ${max} instead`);
  const cv = lassoCv(X, y, opts);
  const k = opts.rule === "min" ? cv.indexMin : cv.index1se;
  const d = cv.path.d;
  const coefScaled = new Float64Array(d);
  for (let j = 0; j < d; j++) coefScaled[j] = cv.path.beta[k * d + j] * cv.path.scale[j];
  const nz: number[] = [];
  for (let j = 0; j < d; j++) if (coefScaled[j] !== 0) nz.push(j);
  nz.sort((a, b) => Math.abs(coefScaled[b]) - Math.abs(coefScaled[a]) || a - b);
  return { indices: nz.slice(0, max), coefScaled, lambda: cv.lambdas[k], lambdaIndex: k, cv };
}
