/**
 * The full-covariance half of the MoE surrogate and M-step (derivation: docs/COVARIANCE.md).
 *
 * Statistic (surrogate/moe-stats.ts): besides s0_k, syy_k (diagonal), sxy_kj and Sxx_k, the block
 * syx holds the off-diagonal weighted cross-products, so Syy_k = Σ τ_k y yᵀ is complete.
 *
 * Surrogate, expert part (Jensen, as in the diagonal model, with B_k = [β_k1 … β_kq]):
 *   ½ s0_k log|Σ_k| + ½ tr(Σ_k⁻¹ Q_k(B_k)),
 *   Q_k(B)_ij = Syy_k,ij − β_iᵀ sxy_kj − β_jᵀ sxy_ki + β_iᵀ Sxx_k β_j.
 * Every response shares the design, so for any Σ_k the minimizing B_k is column by column the
 * weighted least-squares β_kj = Sxx_k⁻¹ sxy_kj (GLS = OLS): the β part of the M-step is unchanged.
 *
 * MAP prior (docs/MAP.md, extended): an inverse-Wishart with ν − q − 1 degrees of freedom and scale
 * matrix ν σ0² Ψ̂_k adds R_ν(Σ_k) = ½ ν [log|Σ_k| + σ0² tr(Ψ̂_k Σ_k⁻¹)]; the M-step is
 *   Σ_k = (Q_k + ν σ0² Ψ̂_k) / (s0_k + ν),
 * then its Cholesky factor with every pivot floored at σ²_min (model/full-covariance.ts). The shape
 * Ψ̂_k = Q_k / g_k, g_k = (Π_j Q_k,jj)^{1/q} (the expert's own residual cross-products at the
 * least-squares B_k, scaled to geometric-mean diagonal 1) keeps the prior from distorting Σ_k's
 * shape: it only holds the overall size (the geometric mean of the variances) near σ0² when the
 * expert has few rows, Σ_k = Q_k (1 + νσ0²/g_k)/(s0_k + ν). An isotropic Ψ = I (the textbook
 * choice) pulls a near-singular Σ_k — strongly correlated noise — toward σ0² I in its thin
 * directions, which cost 0.07–0.4 nats of held-out NLL in scripts/covariance-study.ts (d = 1, 5, 10);
 * it remains the fallback when g_k is not positive. For q = 1, Ψ̂ = 1 and this is the inverse-gamma
 * penalty ½ ν [log σ² + σ0²/σ²] of the diagonal model term for term (same arithmetic: q = 1 full
 * equals diagonal bit for bit). At the least-squares B_k,
 * Q_k,ij = Syy_k,ij − ½(β_iᵀ sxy_kj + β_jᵀ sxy_ki) (symmetrized; its diagonal is the diagonal model's
 * syy − βᵀsxy); with a ridged solve the full residual form is used, as in the diagonal model.
 *
 * Everything here takes its doubles through workspace arrays (no boxing on the per-row paths).
 */
import { quadFormUpper } from "../core/dense.js";
import type { MoeLayout } from "../model/dims.js";
import { setExpertCovariance } from "../model/full-covariance.js";
import type { MoeStatLayout } from "./moe-stats.js";

/**
 * The automatic γ0's cap for a full covariance with q > 1 (learners/ismm.ts autoStepScale).
 * Measured (`scripts/covariance-study.ts`, K = 3, q = 3, noise correlations up to 0.9, 20k rows, one
 * pass, seeds 1–8, worst held-out excess NLL): 0.0023 / 0.0028 / 0.0035 / 0.0053 nats at d = 1 / 3 /
 * 5 / 10 with γ0 = 0.25, against 0.0031 / 0.0038 / 0.0059 / 0.0128 with γ0 = 1.
 */
export const FULL_COVARIANCE_STEP_SCALE = 0.25;

/** Scratch of the full-covariance M-step (part of the MoE workspace). */
export interface CovWorkspace {
  /** [a, b]: blend weights of the current row for `blendCross` (the exact path writes them). */
  readonly ab: Float64Array;
  /** [ν, ν σ0², σ²_min, ridge] for `covarianceMstep`, then g of `priorScale`. */
  readonly par: Float64Array;
  readonly Q: Float64Array; // q×q
  readonly work: Float64Array; // q×q
}

export function createCovWorkspace(L: MoeLayout): CovWorkspace {
  return { ab: new Float64Array(2), par: new Float64Array(5), Q: new Float64Array(L.q * L.q), work: new Float64Array(L.q * L.q) };
}

/**
 * syx_k ← a·syx_k + b·τ_k y_j y_i (i < j) for every expert, a = w[ao], b = w[bo]. A no-op for a
 * diagonal layout. O(K q²/2).
 */
export function blendCross(
  L: MoeLayout, S: MoeStatLayout, s: Float64Array, w: Float64Array, ao: number, bo: number, tau: Float64Array, y: ArrayLike<number>, yo: number,
): void {
  const { K, q, nChol } = L;
  if (nChol === 0) return;
  const a = w[ao];
  const b = w[bo];
  for (let k = 0; k < K; k++) {
    const bt = b * tau[k];
    const o = S.syx + k * nChol;
    for (let j = 1; j < q; j++) {
      const c = bt * y[yo + j];
      const ro = o + ((j * (j - 1)) >> 1);
      for (let i = 0; i < j; i++) s[ro + i] = a * s[ro + i] + c * y[yo + i];
    }
  }
}

/** Syy_k,ij from the statistic (diagonal from syy, off-diagonal from syx). */
function syyEntry(L: MoeLayout, S: MoeStatLayout, s: Float64Array, k: number, i: number, j: number): number {
  if (i === j) return s[S.syy + k * L.q + i];
  const hi = i > j ? i : j;
  const lo = i > j ? j : i;
  return s[S.syx + k * L.nChol + ((hi * (hi - 1)) >> 1) + lo];
}

/**
 * cw.Q ← Q_k(B_k), the weighted residual cross-products at the β_kj in θ (`full`: the general form
 * valid for any B; otherwise the least-squares form, exact when β solves the normal equations).
 */
export function residualCrossProducts(L: MoeLayout, S: MoeStatLayout, k: number, s: Float64Array, theta: Float64Array, cw: CovWorkspace, full: boolean): void {
  const { q, p } = L;
  const Q = cw.Q;
  const so = S.Sxx + k * p * p;
  for (let i = 0; i < q; i++) {
    const bi = L.beta + (k * q + i) * p;
    const xi = S.sxy + (k * q + i) * p;
    for (let j = 0; j <= i; j++) {
      const bj = L.beta + (k * q + j) * p;
      const xj = S.sxy + (k * q + j) * p;
      let bixj = 0;
      let bjxi = 0;
      for (let a = 0; a < p; a++) {
        bixj += theta[bi + a] * s[xj + a];
        bjxi += theta[bj + a] * s[xi + a];
      }
      const syy = syyEntry(L, S, s, k, i, j);
      // On the diagonal the same arithmetic as the diagonal model (syy − 2βᵀsxy + βᵀSβ, syy − βᵀsxy).
      const cross = i === j ? 2 * bixj : bixj + bjxi;
      const v = full ? syy - cross + quadFormUpper(p, s, so, theta, bi, theta, bj) : syy - 0.5 * cross;
      Q[i * q + j] = v;
      Q[j * q + i] = v;
    }
  }
}

/**
 * out[oo] ← g = (Π_j Q_jj)^{1/q}, the scale of the prior's shape Ψ̂ = Q/g; 0 when Ψ̂ = I is used
 * instead (q = 1, or a diagonal entry that is not positive). Returns nothing (no boxed double).
 */
export function priorScale(q: number, Q: Float64Array, out: Float64Array, oo: number): void {
  out[oo] = 0;
  if (q === 1) return;
  let logG = 0;
  for (let i = 0; i < q; i++) logG += Math.log(Q[i * q + i]);
  const g = Math.exp(logG / q);
  if (g > 0 && Number.isFinite(g)) out[oo] = g;
}

/**
 * Σ_k of the MAP M-step into θ (log-Cholesky) from the β_kj already in θ, with cw.par = [ν, νσ0²,
 * σ²_min, ridge]: Σ_k = (Q_k + νσ0² Ψ̂_k)/(s0_k + ν), pivots floored at σ²_min. Returns the number of
 * floored pivots.
 */
export function covarianceMstep(L: MoeLayout, S: MoeStatLayout, k: number, s: Float64Array, theta: Float64Array, cw: CovWorkspace): number {
  const { q } = L;
  const nu = cw.par[0];
  const nuSigma0 = cw.par[1];
  residualCrossProducts(L, S, k, s, theta, cw, cw.par[3] !== 0);
  const den = s[S.s0 + k] + nu;
  const Q = cw.Q;
  priorScale(q, Q, cw.par, 4);
  const g = cw.par[4];
  for (let i = 0; i < q; i++) {
    for (let j = 0; j < q; j++) {
      const v = Q[i * q + j];
      Q[i * q + j] = (g > 0 ? v + nuSigma0 * (v / g) : i === j ? v + nuSigma0 : v) / den;
    }
  }
  return setExpertCovariance(L, theta, k, Q, 0, cw.par, 2, cw.work); // floor σ²_min = par[2]
}

/** out ← C_k⁻¹ (q×q lower, row-major), C_k the log-Cholesky factor of Σ_k in θ. O(q³), no allocation. */
export function inverseFactor(L: MoeLayout, theta: Float64Array, k: number, out: Float64Array): void {
  const { q } = L;
  out.fill(0);
  for (let c = 0; c < q; c++) {
    // Solve C u = e_c by forward substitution; u is column c of C⁻¹.
    for (let j = c; j < q; j++) {
      let r = j === c ? 1 : 0;
      const ro = L.chol + k * L.nChol + ((j * (j - 1)) >> 1);
      for (let i = c; i < j; i++) r -= theta[ro + i] * out[i * q + c];
      out[j * q + c] = r * Math.exp(-0.5 * theta[L.logSigma2 + k * q + j]);
    }
  }
}

/** tr(Σ_k⁻¹ M) for a symmetric q×q M, and log|Σ_k|, from the factor in θ (not on a per-row path). */
function traceInvTimes(L: MoeLayout, theta: Float64Array, k: number, M: Float64Array): { tr: number; logDet: number } {
  const { q } = L;
  const Ci = new Float64Array(q * q);
  inverseFactor(L, theta, k, Ci);
  // tr(Σ⁻¹M) = tr(C⁻ᵀ C⁻¹ M) = Σ_{a,b,c} Ci[a,b] Ci[a,c] M[b,c].
  let tr = 0;
  for (let a = 0; a < q; a++) for (let b = 0; b < q; b++) for (let c = 0; c < q; c++) tr += Ci[a * q + b] * Ci[a * q + c] * M[b * q + c];
  let logDet = 0;
  for (let j = 0; j < q; j++) logDet += theta[L.logSigma2 + k * q + j];
  return { tr, logDet };
}

/**
 * out ← Ψ̂_k from the residual cross-products Q at the β of θ̄(s) (θLs): Q/g, or I. The general
 * residual form, so it is right for the elastic net's β too (surrogate/moe-lasso-full.ts), not only
 * at the least-squares β (where both forms agree up to rounding).
 */
function priorShapeInto(L: MoeLayout, S: MoeStatLayout, k: number, s: Float64Array, thetaLs: Float64Array, out: Float64Array): void {
  const { q } = L;
  const cw = createCovWorkspace(L);
  residualCrossProducts(L, S, k, s, thetaLs, cw, true);
  priorScale(q, cw.Q, cw.par, 4);
  const g = cw.par[4];
  for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) out[i * q + j] = g > 0 ? cw.Q[i * q + j] / g : i === j ? 1 : 0;
}

/**
 * The expert-k part of the penalized surrogate for a full layout:
 *   ½ s0_k log|Σ_k| + ½ tr(Σ_k⁻¹ Q_k(B_k)) + ½ ν [log|Σ_k| + σ0² tr(Ψ̂_k Σ_k⁻¹)]
 * (the general Q, valid for any B); Ψ̂_k from s, through the β of θ̄(s) in `thetaLs` (least squares,
 * or the elastic net's with a penalty).
 * Not on a per-row path: allocates its q×q scratch.
 */
export function fullExpertObjective(
  L: MoeLayout, S: MoeStatLayout, k: number, s: Float64Array, theta: Float64Array, nu: number, sigma0: number, thetaLs: Float64Array,
): number {
  const cw = createCovWorkspace(L);
  residualCrossProducts(L, S, k, s, theta, cw, true);
  const { tr, logDet } = traceInvTimes(L, theta, k, cw.Q);
  let val = 0.5 * s[S.s0 + k] * logDet + 0.5 * tr;
  if (nu > 0) {
    const shape = new Float64Array(L.q * L.q);
    priorShapeInto(L, S, k, s, thetaLs, shape);
    val += 0.5 * nu * (logDet + sigma0 * traceInvTimes(L, theta, k, shape).tr);
  }
  return val;
}

/**
 * Σ_k ½ [log|Σ_k| + σ0² tr(Ψ̂_k Σ_k⁻¹)] over the experts of a full layout (the prior's penalty per
 * unit ν), with Ψ̂_k from the statistic s whose M-step β (least squares, or the elastic net's) are
 * those in θ (batch EM after its M-step; before the first one Ψ̂ = I wherever s is empty).
 */
export function fullPriorPenalty(L: MoeLayout, S: MoeStatLayout, s: Float64Array, theta: Float64Array, sigma0: number): number {
  const shape = new Float64Array(L.q * L.q);
  let val = 0;
  for (let k = 0; k < L.K; k++) {
    priorShapeInto(L, S, k, s, theta, shape);
    const { tr, logDet } = traceInvTimes(L, theta, k, shape);
    val += 0.5 * (logDet + sigma0 * tr);
  }
  return val;
}

/** Adds weight·y_j y_i (i < j) of one row to expert k's syx block (batch statistics, e.g. EM). */
export function addCross(L: MoeLayout, S: MoeStatLayout, s: Float64Array, k: number, weight: number, y: ArrayLike<number>, yo: number): void {
  const { q, nChol } = L;
  const o = S.syx + k * nChol;
  for (let j = 1; j < q; j++) {
    const c = weight * y[yo + j];
    const ro = o + ((j * (j - 1)) >> 1);
    for (let i = 0; i < j; i++) s[ro + i] += c * y[yo + i];
  }
}
