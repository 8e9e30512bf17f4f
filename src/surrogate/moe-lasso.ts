/**
 * The elastic-net expert M-step (issue 14, docs/SPARSE.md): the expert half of θ̄(s) when the
 * objective per row is the mean NLL plus
 *
 *   P(β) = λ1 Σ_k Σ_j Σ_{i≥1} |β_kji| + (λ2/2) Σ_k Σ_j Σ_{i≥1} β_kji²        (intercepts i = 0 free)
 *
 * on the model's (scaled) inputs. The statistic s is an average (weights summing to one), so the
 * penalized surrogate is L(θ; s) + P(β), and for expert k, target j the M-step minimizes
 *
 *   F(β, σ²) = (syy − 2βᵀsxy + βᵀSxx β)/(2σ²) + ½ s0 log σ² + ½ν(log σ² + σ0²/σ²) + λ1‖β₋₀‖₁ + (λ2/2)‖β₋₀‖²
 *
 * (ν, σ0²: the MAP variance prior of surrogate/moe.ts). F is not jointly convex, so we alternate two
 * exact block minimizations, warm-started from θ's current (β, σ²):
 *
 *   β-block at fixed σ²:  min ½βᵀSxxβ − βᵀsxy + σ²λ1‖β₋₀‖₁ + (σ²λ2/2)‖β₋₀‖²   (a weighted elastic net)
 *     by cyclic coordinate descent on the Gram matrix: with the gradient c = sxy − Sxx β kept,
 *       z_i = c_i + Sxx_ii β_i,   β_i ← soft(z_i, σ²λ1)/(Sxx_ii + σ²λ2)   (i ≥ 1),   β_0 ← z_0/Sxx_00,
 *     and a change δ of β_i costs c ← c − δ·Sxx_{·i}, O(p). A sweep is O(p) plus O(p) per
 *     coordinate that moves (≤ O(p²)); zero slopes stay exactly 0.
 *   σ²-block at fixed β:  σ² = max((rss + νσ0²)/(s0 + ν), σ²_min),   rss = syy − βᵀsxy − βᵀc
 *     (the full residual; c = sxy − Sxx β makes it O(p)).
 *
 * Every coordinate update and every σ² update is an exact minimization of F over its block, so F
 * never increases: the result is a generalized M-step, and the MM descent argument (surrogate
 * majorizes the penalized objective, tangent at the current θ, the M-step decreases it) holds.
 * Sweeps stop when the largest change of a fitted-value column in a sweep, √(Sxx_ii/s0)·|δ_i|, is at
 * most `tol`·σ (the change of the expert's mean, in units of its noise sd), or after `maxSweeps`; the
 * alternation stops when σ² moves by a relative ≤ `tol`, or after `maxRounds`.
 *
 * With a full covariance (`covariance: "full"`, q > 1) the responses are coupled through Σ_k⁻¹ and
 * `penalizedExperts` hands over to surrogate/moe-lasso-full.ts (same penalty, same stopping rules).
 *
 * With λ1 = λ2 = 0 this module is not used at all: the closed-form M-step runs unchanged.
 * Cost per expert and target: O(p²) for c, then O(p) per sweep plus O(p) per moving coordinate.
 */
import type { MoeLayout } from "../model/dims.js";
import type { MoeStatLayout } from "./moe-stats.js";
import { createFullLassoWorkspace, penalizedExpertsFull, type FullLassoWorkspace } from "./moe-lasso-full.js";

/** The elastic-net options of the MoE surrogate (all in the model's scaled units). */
export interface ElasticNetOptions {
  /** λ1: lasso weight on every expert slope, per row of mean NLL. Default 0. */
  readonly l1?: number;
  /** λ2: ridge weight on every expert slope (penalty (λ2/2)β²). Default 0. */
  readonly l2?: number;
  /** Relative tolerance: fitted-value change per sweep in noise sds, and relative σ² change. Default 1e-10. */
  readonly lassoTol?: number;
  /** Coordinate-descent sweeps per β-block at most. Default 1000. */
  readonly lassoSweeps?: number;
  /** β/σ² alternations per M-step at most. Default 50. */
  readonly lassoRounds?: number;
}

/**
 * Solver settings of the streaming M-step (ISMM): one coordinate sweep and one σ² update per row,
 * warm-started from θ_{n−1} — a generalized M-step that still decreases the penalized surrogate;
 * the iterate tracks the minimizer as s drifts by O(γ) per row (measured in docs/SPARSE.md).
 */
export const STREAMING_SOLVER = { lassoSweeps: 1, lassoRounds: 1 } as const;

/** The elastic-net options of an ISMM learner: the penalty with the streaming solver settings. */
export function streamingPenalty(o: { readonly l1?: number; readonly l2?: number }): ElasticNetOptions {
  return { l1: o.l1 ?? 0, l2: o.l2 ?? 0, ...STREAMING_SOLVER };
}

/** Resolved penalty and the solver's scratch (lives in the surrogate workspace; null when λ1 = λ2 = 0). */
export interface LassoWorkspace {
  readonly l1: number;
  readonly l2: number;
  readonly tol: number;
  readonly maxSweeps: number;
  readonly maxRounds: number;
  /** p: the gradient c = sxy − Sxx β. */
  readonly c: Float64Array;
  /** K·q·p + K·q (+ K·q(q−1)/2 full): θ's expert block (β, log σ², chol) saved by the fast path before it writes its least-squares β. */
  readonly saved: Float64Array;
  /** The full-covariance solver's scratch (`covariance: "full"` with q > 1), else null. */
  readonly full: FullLassoWorkspace | null;
  /**
   * The solver's double arguments, passed through memory because V8 boxes a double handed to a call
   * it does not inline (an allocation per row): [ν, νσ0², σ²_min, deadTol] written by the caller of
   * `penalizedExperts`, then [σ², stop] for `coordinateDescent`.
   */
  readonly par: Float64Array;
  /** Diagnostics: coordinate sweeps and M-steps (calls of `penalizedExperts` on a live expert/target). */
  sweeps: number;
  solves: number;
}

function checkNonNegative(name: string, v: number): void {
  if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`${name} must be a finite number ≥ 0, got ${v}`);
}

/** The penalty's workspace, or null when it is off (λ1 = λ2 = 0: the closed-form M-step runs). */
export function createLassoWorkspace(L: MoeLayout, o: ElasticNetOptions): LassoWorkspace | null {
  const l1 = o.l1 ?? 0;
  const l2 = o.l2 ?? 0;
  checkNonNegative("l1", l1);
  checkNonNegative("l2", l2);
  const tol = o.lassoTol ?? 1e-10;
  const maxSweeps = o.lassoSweeps ?? 1000;
  const maxRounds = o.lassoRounds ?? 50;
  if (!(tol > 0)) throw new RangeError(`lassoTol must be > 0, got ${tol}`);
  if (!(maxSweeps >= 1) || !(maxRounds >= 1)) throw new RangeError("lassoSweeps and lassoRounds must be ≥ 1");
  if (l1 === 0 && l2 === 0) return null;
  const { K, q, p } = L;
  const full = L.full && q > 1 ? createFullLassoWorkspace(L) : null;
  const saved = new Float64Array(K * q * (p + 1) + K * L.nChol);
  return { l1, l2, tol, maxSweeps, maxRounds, c: new Float64Array(p), saved, full, par: new Float64Array(6), sweeps: 0, solves: 0 };
}

/** P(β) = λ1 Σ|β_kji| + (λ2/2) Σ β_kji² over the slopes i ≥ 1 of θ. */
export function elasticNetPenalty(L: MoeLayout, theta: Float64Array, l1: number, l2: number): number {
  const { K, q, p } = L;
  let a = 0;
  let b = 0;
  for (let kj = 0; kj < K * q; kj++) {
    const o = L.beta + kj * p;
    for (let i = 1; i < p; i++) {
      const v = theta[o + i];
      a += Math.abs(v);
      b += v * v;
    }
  }
  return l1 * a + 0.5 * l2 * b;
}

/**
 * Copies θ's expert block (β, log σ², and the chol block of a full Σ_k: contiguous from L.beta) into
 * lz.saved (the fast path calls it before its own expert loop).
 */
export function saveExperts(L: MoeLayout, theta: Float64Array, lz: LassoWorkspace): void {
  const n = lz.saved.length;
  for (let i = 0; i < n; i++) lz.saved[i] = theta[L.beta + i];
}

/** Writes lz.saved back into θ's expert block (the warm start of `penalizedExperts`). */
export function restoreExperts(L: MoeLayout, theta: Float64Array, lz: LassoWorkspace): void {
  const n = lz.saved.length;
  for (let i = 0; i < n; i++) theta[L.beta + i] = lz.saved[i];
}

/**
 * Elastic-net β-block for one (k, j) at fixed σ²: cyclic coordinate descent from θ's β, with
 * lz.c = sxy − Sxx β on entry and on exit. Returns the sweeps used.
 */
function coordinateDescent(p: number, s: Float64Array, so: number, theta: Float64Array, bo: number, lz: LassoWorkspace): number {
  const c = lz.c;
  const sigma2 = lz.par[4];
  const stop = lz.par[5];
  const t1 = sigma2 * lz.l1;
  const t2 = sigma2 * lz.l2;
  let sweep = 0;
  while (sweep < lz.maxSweeps) {
    sweep++;
    let biggest = 0;
    for (let i = 0; i < p; i++) {
      const sii = s[so + i * p + i];
      const old = theta[bo + i];
      let nb: number;
      if (i === 0) nb = sii > 0 ? old + c[0] / sii : old;
      else {
        const z = c[i] + sii * old;
        const den = sii + t2;
        const az = Math.abs(z) - t1;
        nb = az > 0 && den > 0 ? (z > 0 ? az : -az) / den : 0;
      }
      const delta = nb - old;
      if (delta === 0) continue;
      theta[bo + i] = nb;
      for (let a = 0; a < i; a++) c[a] -= delta * s[so + a * p + i];
      for (let a = i; a < p; a++) c[a] -= delta * s[so + i * p + a];
      const change = sii * delta * delta;
      if (change > biggest) biggest = change;
    }
    // max_i Sxx_ii δ_i² ≤ tol²·s0·σ²: no fitted-value column moved by more than tol noise sds.
    if (biggest <= stop * sigma2) break;
  }
  return sweep;
}

/**
 * The penalized expert half of θ̄(s), in place on θ, warm-started from θ's (β, log σ²): for each live
 * expert (s0_k > deadTol) and target, alternate the elastic-net β-block and the closed-form σ²
 * (module comment). lz.par = [ν, νσ0², σ²_min, deadTol]: ν = c·p·b and νσ0² are the MAP prior's weights. Returns true (no factorization
 * can fail); a non-finite warm start is replaced by β = 0, σ² = 1.
 */
export function penalizedExperts(L: MoeLayout, S: MoeStatLayout, s: Float64Array, theta: Float64Array, lz: LassoWorkspace): boolean {
  // Full Σ_k with q > 1: the responses are coupled through Σ_k⁻¹ (surrogate/moe-lasso-full.ts).
  if (lz.full !== null) return penalizedExpertsFull(L, S, s, theta, lz, lz.full);
  const nu = lz.par[0];
  const nuSigma0 = lz.par[1];
  const varianceFloor = lz.par[2];
  const deadTol = lz.par[3];
  const { K, q, p } = L;
  const c = lz.c;
  for (let k = 0; k < K; k++) {
    const s0 = s[S.s0 + k];
    if (!(s0 > deadTol)) continue; // dead expert: keep β_k, σ²_k
    const so = S.Sxx + k * p * p;
    for (let j = 0; j < q; j++) {
      const kj = k * q + j;
      const bo = L.beta + kj * p;
      const xy = S.sxy + kj * p;
      let sigma2 = Math.exp(theta[L.logSigma2 + kj]);
      let finite = Number.isFinite(sigma2) && sigma2 > 0;
      for (let i = 0; i < p && finite; i++) finite = Number.isFinite(theta[bo + i]);
      if (!finite) {
        for (let i = 0; i < p; i++) theta[bo + i] = 0;
        sigma2 = 1;
      }
      // c = sxy − Sxx β, one symmetric matvec from the upper triangle.
      for (let a = 0; a < p; a++) c[a] = s[xy + a];
      for (let a = 0; a < p; a++) {
        const ba = theta[bo + a];
        let acc = s[so + a * p + a] * ba;
        for (let b = a + 1; b < p; b++) {
          const g = s[so + a * p + b];
          acc += g * theta[bo + b];
          c[b] -= g * ba;
        }
        c[a] -= acc;
      }
      const stop = lz.tol * lz.tol * s0;
      lz.solves++;
      for (let round = 0; round < lz.maxRounds; round++) {
        lz.par[4] = sigma2;
        lz.par[5] = stop;
        lz.sweeps += coordinateDescent(p, s, so, theta, bo, lz);
        let bxy = 0;
        let bc = 0;
        for (let i = 0; i < p; i++) {
          bxy += theta[bo + i] * s[xy + i];
          bc += theta[bo + i] * c[i];
        }
        const rss = s[S.syy + kj] - bxy - bc;
        const next = Math.max((rss + nuSigma0) / (s0 + nu), varianceFloor);
        const moved = Math.abs(next - sigma2) / sigma2;
        sigma2 = next;
        if (moved <= lz.tol) break;
      }
      theta[L.logSigma2 + kj] = Math.log(sigma2);
    }
  }
  return true;
}
