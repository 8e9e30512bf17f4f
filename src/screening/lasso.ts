/**
 * Lasso regression path by cyclic coordinate descent (Friedman, Hastie & Tibshirani 2010,
 * "Regularization paths for GLMs via coordinate descent", J. Stat. Softw. 33(1); glmnet's objective).
 *
 * For each λ on a decreasing grid the solver minimises, over an intercept b₀ and b ∈ Rᵈ,
 *
 * ```
 * F_λ(b₀, b) = 1/(2n) ‖y − b₀·1 − X̃ b‖² + λ ‖b‖₁
 * ```
 *
 * where `X̃` is `X` with columns centred, and (when `standardize`, the default) divided by their
 * population sd `s_j = sqrt(Σ_i (x_ij − x̄_j)² / n)`, exactly as glmnet does internally. Because the
 * columns are centred, the optimal intercept is `ȳ` on the working scale and is profiled out.
 * Coefficients are reported on the original scale: `β_j = b_j / s_j`, `β₀ = ȳ − Σ_j x̄_j β_j`.
 * With `standardize: false`, `s_j = 1` and this is glmnet's `standardize=FALSE, intercept=TRUE`.
 *
 * **Coordinate update.** Keep the residual `r = ỹ − X̃ b` (ỹ = y − ȳ). With `v_j = x̃_jᵀx̃_j / n`,
 * the exact minimiser of F over b_j alone is
 *
 * ```
 * g_j = x̃_jᵀ r / n + v_j b_j,      b_j ← S(g_j, λ) / v_j,      S(z, λ) = sign(z)·max(|z| − λ, 0).
 * ```
 *
 * Two ways of getting `x̃_jᵀ r / n` are mixed (a hybrid of glmnet's two `type.gaussian` modes):
 * - *inactive (KKT) sweeps* use **naive updates**: the residual is kept, the inner product costs O(n) and a
 *   change is applied as `r ← r − x̃_j Δb_j` (O(n)); no d × d matrix is ever formed (maize: d = 4173);
 * - *active-set sweeps* use **covariance updates**: `c_a = x̃_aᵀr/n` is kept for a ∈ A only and a
 *   change of b_j is applied as `c_a ← c_a − G_aj Δb_j` with Gram columns `G_·j = X̃ᵀx̃_j / n`
 *   computed once per variable that ever becomes active (cached for the whole path), so a sweep costs
 *   O(|A|²) instead of O(n|A|). Collinear designs (crime) need thousands of active sweeps at small λ,
 *   which is where this matters. `r` is brought up to date once at the end of the phase.
 *
 * A constant column (`v_j = 0`) keeps `b_j = 0`.
 *
 * **λ grid.** `λ_max = max_j |x̃_jᵀ(y − ȳ)| / n` is the smallest λ with solution b = 0;
 * the default grid is `λ_k = λ_max · ratio^{k/(nλ−1)}`, k = 0..nλ−1 (log-spaced, nλ = 100,
 * ratio = 1e-3, or 1e-2 when n < d).
 * Each λ is warm-started from the previous solution. On a generated grid the path stops early
 * (glmnet's rule, see `earlyStop`) once further λ barely improve the fit or the fit interpolates,
 * which saves the slow, useless tail when d ≫ n (maize) or the design is collinear (crime).
 *
 * **Active-set convergence.** For each λ: sweep the active set {j : b_j ≠ 0} until the largest
 * change `Δ = max_j √v_j |Δb_j|` (the change of a coefficient on the standardised scale, i.e. of a
 * fitted-value column in RMS units) is ≤ `tol · s_y`, `s_y = ‖ỹ‖/√n`; then one sweep over the
 * inactive columns, which is the KKT check `|x̃_jᵀr|/n ≤ λ` (violators enter). The λ is done when
 * that sweep lets nothing in with a change above the threshold; otherwise the active phase repeats.
 * `sweeps` counts active sweeps plus inactive sweeps.
 */

import { InputError } from "../core/errors.js";
import { checkOptions, checkXy, prepare, type Design } from "./lasso-design.js";

/** Options of {@link lassoPath}. */
export interface LassoOptions {
  /** Explicit decreasing λ grid (positive). Overrides `nLambda` and `lambdaMinRatio`. */
  readonly lambdas?: ArrayLike<number>;
  /** Number of grid points. @default 100 */
  readonly nLambda?: number;
  /**
   * Smallest λ as a fraction of λ_max, in (0, 1).
   * @default 1e-3 when n ≥ d; 1e-2 when n < d (as glmnet, whose defaults are 1e-4 / 1e-2: near the
   * interpolation regime small λ are slow to solve and never chosen by CV)
   */
  readonly lambdaMinRatio?: number;
  /** Scale columns to unit population sd before fitting (glmnet default). @default true */
  readonly standardize?: boolean;
  /** Relative tolerance on the largest standardised coefficient change per sweep
   * (`max_j √v_j |Δb_j| ≤ tol · s_y`; glmnet's `thresh` is on the square of this). @default 1e-7 */
  readonly tol?: number;
  /**
   * Stop the path early, as glmnet does for its own grid, once at least 5 λ are fitted and the
   * fraction of variance explained R² = 1 − ‖r‖²/‖ỹ‖² exceeds 0.999 or grew by less than 1e-5·R²
   * since the previous λ. The returned path is then shorter than the grid.
   * @default true when the grid is generated, false when `lambdas` is given
   */
  readonly earlyStop?: boolean;
  /** Maximum number of coordinate sweeps per λ (full and active). @default 100000 */
  readonly maxSweeps?: number;
}

/** A fitted Lasso path; row k of `beta` is the solution at `lambdas[k]` on the original scale. */
export interface LassoPath {
  readonly n: number;
  readonly d: number;
  /** The λ grid, decreasing. */
  readonly lambdas: Float64Array;
  /** `λ_max` of the data (the grid's first value when it was generated). */
  readonly lambdaMax: number;
  /** nλ × d row-major, original-scale slopes β_j. */
  readonly beta: Float64Array;
  /** nλ intercepts β₀. */
  readonly intercept: Float64Array;
  /** Column scales s_j used for fitting (1 if not standardised or if the column is constant). */
  readonly scale: Float64Array;
  /** Coordinate sweeps used per λ. */
  readonly sweeps: Int32Array;
  /** 1 where the λ converged within `maxSweeps`, else 0. */
  readonly converged: Uint8Array;
}

/** Soft-thresholding `S(z, λ) = sign(z)·max(|z| − λ, 0)`. */
function soft(z: number, lambda: number): number {
  return z > lambda ? z - lambda : z < -lambda ? z + lambda : 0;
}

/** Lazily computed, cached columns of the scaled Gram matrix `G_jk = x̃_jᵀx̃_k / n` (O(nd) each). */
class GramCache {
  private readonly cols = new Map<number, Float64Array>();
  constructor(private readonly xt: Float64Array, private readonly n: number, private readonly d: number) {}
  column(k: number): Float64Array {
    let col = this.cols.get(k);
    if (col === undefined) {
      const { xt, n, d } = this;
      col = new Float64Array(d);
      const ok = k * n;
      for (let j = 0; j < d; j++) {
        const oj = j * n;
        let s = 0;
        for (let i = 0; i < n; i++) s += xt[oj + i] * xt[ok + i];
        col[j] = s / n;
      }
      this.cols.set(k, col);
    }
    return col;
  }
}

/** `λ_max = max_j |x̃_jᵀ(y − ȳ)| / n` on the working (centred, optionally scaled) design. */
function lambdaMaxOf(D: Design, n: number, d: number): number {
  let m = 0;
  for (let j = 0; j < d; j++) {
    let g = 0;
    const o = j * n;
    for (let i = 0; i < n; i++) g += D.xt[o + i] * D.yc[i];
    m = Math.max(m, Math.abs(g) / n);
  }
  return m;
}

/**
 * Log-spaced decreasing grid `λ_k = λ_max · ratio^{k/(m−1)}`, k = 0..m−1 (a single value λ_max if m = 1).
 * @example
 * lambdaGrid(1, 3, 1e-2); // => Float64Array [1, 0.1, 0.01]
 */
export function lambdaGrid(lambdaMax: number, nLambda = 100, lambdaMinRatio = 1e-3): Float64Array {
  const g = new Float64Array(nLambda);
  for (let k = 0; k < nLambda; k++) g[k] = nLambda === 1 ? lambdaMax : lambdaMax * Math.pow(lambdaMinRatio, k / (nLambda - 1));
  return g;
}

/**
 * Fits the Lasso path `min_{b₀,b} 1/(2n)‖y − b₀ − X̃b‖² + λ‖b‖₁` over a decreasing λ grid (see the
 * module header for the algorithm and convergence rule).
 * @param X flat row-major n × d, Float64Array
 * @param y length n
 * @throws InputError on malformed input, or when λ_max = 0 and no grid is given (y constant or all
 *   columns constant: every λ gives b = 0)
 * @throws OptionError on bad options
 * @example
 * const p = lassoPath(X, y, { nLambda: 50 });
 * p.beta.subarray(49 * p.d, 50 * p.d); // slopes at the smallest λ
 */
export function lassoPath(X: Float64Array, y: Float64Array, opts: LassoOptions = {}): LassoPath {
  const { n, d } = checkXy(X, y, "lassoPath");
  const o = checkOptions(opts, n, d);
  const D = prepare(X, y, n, d, opts.standardize ?? true);
  const lambdaMax = lambdaMaxOf(D, n, d);
  let lambdas = o.grid;
  if (lambdas === null) {
    if (!(lambdaMax > 0)) throw new InputError("lassoPath requires a non-constant y and a non-constant column correlated with it; got lambda_max = 0");
    lambdas = lambdaGrid(lambdaMax, o.nLambda, o.ratio);
  }
  const L = lambdas.length;
  const beta = new Float64Array(L * d);
  const intercept = new Float64Array(L);
  const sweeps = new Int32Array(L);
  const converged = new Uint8Array(L);
  const earlyStop = opts.earlyStop ?? o.grid === null;
  let fitted = L;
  let r2Prev = 0;

  const b = new Float64Array(d);
  const r = Float64Array.from(D.yc);
  let sy = 0;
  for (let i = 0; i < n; i++) sy += r[i] * r[i];
  const thr = o.tol * Math.sqrt(sy / n);
  const gram = new GramCache(D.xt, n, d);

  /**
   * Naive sweep over the inactive columns (b_j = 0), O(n) per column: this is the KKT check
   * `|x̃_jᵀr/n| ≤ λ`, and a violator enters at once. Returns the largest √v_j |Δb_j|.
   */
  const inactiveSweep = (lambda: number): number => {
    let maxDelta = 0;
    for (let j = 0; j < d; j++) {
      const vj = D.v[j];
      if (vj === 0 || b[j] !== 0) continue;
      const off = j * n;
      let g = 0;
      for (let i = 0; i < n; i++) g += D.xt[off + i] * r[i];
      const nb = soft(g / n, lambda) / vj;
      if (nb !== 0) {
        b[j] = nb;
        for (let i = 0; i < n; i++) r[i] -= nb * D.xt[off + i];
        maxDelta = Math.max(maxDelta, Math.sqrt(vj) * Math.abs(nb));
      }
    }
    return maxDelta;
  };

  /**
   * Covariance-update sweeps over the active set A = {j : b_j ≠ 0} until the largest change is
   * ≤ thr or the budget is used; O(|A|²) per sweep. Keeps c_a = x̃_aᵀr/n for a ∈ A, updated with the
   * dense block G_AA of the Gram matrix; brings r up to date once at the end.
   */
  const activePhase = (lambda: number, budget: number): { used: number; converged: boolean } => {
    const A: number[] = [];
    for (let j = 0; j < d; j++) if (b[j] !== 0) A.push(j);
    const m = A.length;
    if (m === 0) return { used: 0, converged: true };
    const G = new Float64Array(m * m);
    for (let a = 0; a < m; a++) {
      const col = gram.column(A[a]);
      for (let t = 0; t < m; t++) G[a * m + t] = col[A[t]];
    }
    const c = new Float64Array(m);
    const start = new Float64Array(m);
    for (let a = 0; a < m; a++) {
      const off = A[a] * n;
      let g = 0;
      for (let i = 0; i < n; i++) g += D.xt[off + i] * r[i];
      c[a] = g / n;
      start[a] = b[A[a]];
    }
    let used = 0;
    let converged = false;
    while (used < budget) {
      used++;
      let maxDelta = 0;
      for (let a = 0; a < m; a++) {
        const j = A[a];
        const vj = D.v[j];
        const old = b[j];
        const nb = soft(c[a] + vj * old, lambda) / vj;
        if (nb !== old) {
          const diff = nb - old;
          b[j] = nb;
          const o2 = a * m;
          for (let t = 0; t < m; t++) c[t] -= G[o2 + t] * diff;
          maxDelta = Math.max(maxDelta, Math.sqrt(vj) * Math.abs(diff));
        }
      }
      if (maxDelta <= thr) {
        converged = true;
        break;
      }
    }
    for (let a = 0; a < m; a++) {
      const diff = b[A[a]] - start[a];
      if (diff === 0) continue;
      const off = A[a] * n;
      for (let i = 0; i < n; i++) r[i] -= diff * D.xt[off + i];
    }
    return { used, converged };
  };

  for (let k = 0; k < L; k++) {
    const lambda = lambdas[k];
    let count = 0;
    let ok = false;
    while (count < o.maxSweeps) {
      const act = activePhase(lambda, o.maxSweeps - count);
      count += act.used + 1;
      if (inactiveSweep(lambda) <= thr && act.converged) {
        ok = true;
        break;
      }
    }
    sweeps[k] = count;
    converged[k] = ok ? 1 : 0;
    let b0 = D.ybar;
    for (let j = 0; j < d; j++) {
      const bj = b[j] / D.scale[j];
      beta[k * d + j] = bj;
      b0 -= D.mean[j] * bj;
    }
    intercept[k] = b0;
    let rss = 0;
    for (let i = 0; i < n; i++) rss += r[i] * r[i];
    const r2 = sy > 0 ? 1 - rss / sy : 0;
    if (earlyStop && k + 1 >= 5 && (r2 - r2Prev < 1e-5 * r2 || r2 > 0.999)) {
      fitted = k + 1;
      break;
    }
    r2Prev = r2;
  }
  const keep = <T extends Float64Array | Int32Array | Uint8Array>(a: T, w: number): T => a.slice(0, fitted * w) as T;
  return {
    n, d, lambdas: keep(lambdas, 1), lambdaMax, beta: keep(beta, d), intercept: keep(intercept, 1),
    scale: D.scale, sweeps: keep(sweeps, 1), converged: keep(converged, 1),
  };
}

/**
 * Predictions `ŷ_i = β₀ + x_iᵀβ` of the path's k-th solution for the rows of `X` (m × d row-major).
 * @throws InputError when `k` is out of range or `X` has the wrong width
 */
export function lassoPredict(path: LassoPath, k: number, X: Float64Array): Float64Array {
  const d = path.d;
  if (!Number.isInteger(k) || k < 0 || k >= path.lambdas.length) throw new InputError(`lassoPredict requires k in [0, ${path.lambdas.length}), got ${k}`);
  if (X.length % d !== 0) throw new InputError(`lassoPredict requires X of length m·${d}, got ${X.length}`);
  const m = X.length / d;
  const out = new Float64Array(m);
  const o = k * d;
  for (let i = 0; i < m; i++) {
    let s = path.intercept[k];
    for (let j = 0; j < d; j++) s += X[i * d + j] * path.beta[o + j];
    out[i] = s;
  }
  return out;
}
