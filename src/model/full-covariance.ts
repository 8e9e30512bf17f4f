/**
 * Full expert covariance (docs/COVARIANCE.md): y | x, k ~ N_q(B_kᵀx, Σ_k), Σ_k = C_k C_kᵀ with the
 * log-Cholesky parameterization of model/dims.ts (C_k,jj = exp(v_kj/2) in the logSigma2 block, the
 * strictly lower entries in the chol block).
 *
 *   log N_q(y; μ_k, Σ_k) = −Σ_j [ ½ log 2π + ½ v_kj + ½ z_kj² ],   z_k = C_k⁻¹ (y − μ_k)
 *
 * z_k by forward substitution, O(q²) per expert; log|Σ_k| = Σ_j v_kj needs no factorization. The
 * kernels take no double argument and return none (V8 boxes doubles that cross a call it does not
 * inline) and allocate nothing: scratch lives in the row workspace.
 */
import { HALF_LOG_2PI } from "../core/logsumexp.js";
import type { MoeLayout } from "./dims.js";

/** The workspace fields these kernels use (a subset of model/moe.ts RowWorkspace). */
interface FullScratch {
  readonly logPi: Float64Array; // K
  readonly mu: Float64Array; // K·q
  readonly a: Float64Array; // K
  readonly z: Float64Array; // q
  readonly sig: Float64Array; // q·q
}

/**
 * a[k] ← log π_k + log N_q(y; μ_k, Σ_k) for every expert, from ws.logPi and ws.mu (the full-Σ half
 * of `rowPosterior`). Leaves z_{K−1} in ws.z.
 */
export function fullJointLogs(L: MoeLayout, theta: Float64Array, y: ArrayLike<number>, yo: number, ws: FullScratch): void {
  const { K, q, nChol } = L;
  const { z, a, mu } = ws;
  for (let k = 0; k < K; k++) {
    let s = ws.logPi[k];
    const co = L.chol + k * nChol;
    for (let j = 0; j < q; j++) {
      const v = theta[L.logSigma2 + k * q + j];
      let r = y[yo + j] - mu[k * q + j];
      const ro = co + ((j * (j - 1)) >> 1);
      for (let i = 0; i < j; i++) r -= theta[ro + i] * z[i];
      const zj = r * Math.exp(-0.5 * v);
      z[j] = zj;
      s -= HALF_LOG_2PI + 0.5 * v + 0.5 * zj * zj;
    }
    a[k] = s;
  }
}

/**
 * The expert with the smallest Σ_j log|z_kj| (the whitened residual): who takes a row whose joint
 * densities all underflowed (the limit of the softmax, as in the diagonal model).
 */
export function fullFallbackExpert(L: MoeLayout, theta: Float64Array, y: ArrayLike<number>, yo: number, ws: FullScratch): number {
  const { K, q, nChol } = L;
  const { z, mu } = ws;
  let best = 0;
  let bestScore = Infinity;
  for (let k = 0; k < K; k++) {
    let score = 0;
    const co = L.chol + k * nChol;
    for (let j = 0; j < q; j++) {
      let r = y[yo + j] - mu[k * q + j];
      const ro = co + ((j * (j - 1)) >> 1);
      for (let i = 0; i < j; i++) r -= theta[ro + i] * z[i];
      z[j] = r * Math.exp(-0.5 * theta[L.logSigma2 + k * q + j]);
      score += Math.log(Math.abs(z[j]));
    }
    if (score < bestScore) {
      bestScore = score;
      best = k;
    }
  }
  return best;
}

/** out[oo + i·q + j] ← (Σ_k)_ij = Σ_{l ≤ min(i,j)} C_il C_jl, the full q×q matrix (row-major). */
export function expertCovariance(L: MoeLayout, theta: Float64Array, k: number, out: Float64Array, oo: number): void {
  const { q } = L;
  for (let i = 0; i < q; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let l = 0; l < j; l++) s += cholEntry(L, theta, k, i, l) * cholEntry(L, theta, k, j, l);
      // C_jj² as exp(v_j) (not exp(v_j/2)²), so a diagonal Σ reads back exactly as exp(v).
      s += i === j ? Math.exp(theta[L.logSigma2 + k * q + j]) : cholEntry(L, theta, k, i, j) * cholEntry(L, theta, k, j, j);
      out[oo + i * q + j] = s;
      out[oo + j * q + i] = s;
    }
  }
}

/** C_k,ij (lower factor of Σ_k; 0 above the diagonal). Works for the diagonal layout too. */
export function cholEntry(L: MoeLayout, theta: Float64Array, k: number, i: number, j: number): number {
  if (j > i) return 0;
  if (j === i) return Math.exp(0.5 * theta[L.logSigma2 + k * L.q + i]);
  return L.full ? theta[L.chol + k * L.nChol + ((i * (i - 1)) >> 1) + j] : 0;
}

/**
 * Writes Σ (q×q row-major at so, symmetric; only its lower triangle is read) into expert k of θ as
 * its log-Cholesky factor. A pivot (conditional variance) below `floor` is raised to `floor` —
 * the variance floor of the diagonal model, applied to the factor's diagonal — so the result is
 * the Cholesky factor of Σ + D for a nonnegative diagonal D (D = 0 unless a pivot was floored).
 * `work` holds q² doubles. Returns the number of floored pivots. For a diagonal layout only the
 * diagonal is used: v_kj = log max(Σ_jj, floor).
 *
 * The floor is read from `bounds[bi]`, not passed as a number: this runs once per row in the fast
 * ISMM step, and V8 boxes a double argument into a new heap number whenever the call is not inlined
 * (which depends on the caller's inlining budget; seen in CI with the elastic net's M-step).
 */
export function setExpertCovariance(
  L: MoeLayout, theta: Float64Array, k: number, sigma: ArrayLike<number>, so: number, bounds: Float64Array, bi: number, work: Float64Array,
): number {
  const { q } = L;
  const floor = bounds[bi];
  let floored = 0;
  if (!L.full) {
    for (let j = 0; j < q; j++) {
      const v = sigma[so + j * q + j];
      if (!(v >= floor)) floored++;
      theta[L.logSigma2 + k * q + j] = Math.log(Math.max(v, floor));
    }
    return floored;
  }
  // Cholesky–Banachiewicz into work (lower, row-major).
  for (let i = 0; i < q; i++) {
    for (let j = 0; j <= i; j++) {
      let s = sigma[so + i * q + j];
      for (let l = 0; l < j; l++) s -= work[i * q + l] * work[j * q + l];
      if (i === j) {
        // max() maps NaN to the floor too (as the diagonal model's Math.max does not; both count it).
        if (!(s >= floor)) {
          floored++;
          s = floor;
        }
        work[i * q + i] = Math.sqrt(s);
        theta[L.logSigma2 + k * q + i] = Math.log(s);
      } else {
        const c = s / work[j * q + j];
        work[i * q + j] = c;
        theta[L.chol + k * L.nChol + ((i * (i - 1)) >> 1) + j] = c;
      }
    }
  }
  return floored;
}

/**
 * Predictive covariance of y | x (law of total covariance), from π in ws.a and μ in ws.mu as left by
 * `predictMoments`:  Cov = Σ_k π_k (Σ_k + μ_k μ_kᵀ) − m mᵀ,  m = Σ_k π_k μ_k (given in `mean`).
 * Writes the q×q row-major matrix into `cov`; uses ws.sig.
 */
export function predictiveCovariance(L: MoeLayout, theta: Float64Array, ws: FullScratch, mean: Float64Array, cov: Float64Array): void {
  const { K, q } = L;
  cov.fill(0, 0, q * q);
  for (let k = 0; k < K; k++) {
    const pk = ws.a[k];
    expertCovariance(L, theta, k, ws.sig, 0);
    for (let i = 0; i < q; i++) {
      const mi = ws.mu[k * q + i];
      for (let j = 0; j < q; j++) cov[i * q + j] += pk * (ws.sig[i * q + j] + mi * ws.mu[k * q + j]);
    }
  }
  for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) cov[i * q + j] -= mean[i] * mean[j];
  // The variances are ≥ 0 in exact arithmetic; guard the rounding when one expert dominates.
  for (let j = 0; j < q; j++) if (cov[j * q + j] < 0) cov[j * q + j] = 0;
}
