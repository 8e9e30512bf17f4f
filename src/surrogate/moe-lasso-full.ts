/**
 * The elastic-net expert M-step with a full noise covariance Σ_k (`covariance: "full"`, q > 1;
 * docs/SPARSE.md "Full covariance", docs/COVARIANCE.md). For expert k (index dropped), with
 * B = [β_1 … β_q] (p × q, row 0 the intercepts, free), Ω = Σ⁻¹ and the statistics s0, Syy (q × q),
 * Sxy = [sxy_1 … sxy_q] (p × q), Sxx (p × p), the penalized surrogate's expert part is
 *
 *   G(B, Σ) = ½ tr(Ω R(B)) + ½ (s0 + ν) log|Σ| + ½ νσ0² tr(Ψ̂ Ω) + λ1 Σ_{a≥1,j} |B_aj| + (λ2/2) Σ_{a≥1,j} B_aj²,
 *   R(B)    = Syy − BᵀSxy − SxyᵀB + BᵀSxx B      (the weighted residual cross-products at any B)
 *
 * (ν, σ0²: the MAP inverse-Wishart prior of surrogate/moe-covariance.ts; Ψ̂ its shape, below).
 * With a penalty GLS is no longer OLS: the lasso's thresholds couple the responses through Ω, so the
 * diagonal solver's per-response β-step (surrogate/moe-lasso.ts) is wrong here. We alternate two exact
 * block minimizations, warm-started from θ's (B, Σ_k):
 *
 *   B-step at fixed Σ: cyclic coordinate descent over (a, j). With C = Sxy − Sxx B kept (p × q),
 *     ∂/∂B_aj ½tr(ΩR) = −(CΩ)_aj and the curvature along B_aj is Ω_jj Sxx_aa, so
 *       z = (CΩ)_aj + Ω_jj Sxx_aa B_aj,   B_aj ← soft(z, λ1)/(Ω_jj Sxx_aa + λ2)        (a ≥ 1),
 *       B_0j ← B_0j + (CΩ)_0j/(Ω_jj Sxx_00)                                          (intercept),
 *     and a change δ costs C_{·j} −= δ Sxx_{·a}, O(p). Each update is the exact minimizer of the
 *     convex B-block along its coordinate; slopes set to 0 are exactly 0.
 *     Diagonal Ω = diag(1/σ²_j) gives back the diagonal solver: (CΩ)_aj = c_a/σ², so
 *     z = (c_a + Sxx_aa β_a)/σ² and soft(z, λ1)/(Sxx_aa/σ² + λ2) = soft(c_a + Sxx_aa β_a, σ²λ1)/(Sxx_aa + σ²λ2),
 *     the intercept step c_0/Sxx_00 likewise; only the rounding differs (test/surrogate/lasso-full.test.ts, q = 1).
 *   Σ-step at fixed B: Σ = (R(B) + νσ0² Ψ̂)/(s0 + ν), the minimizer of G over Σ (docs/COVARIANCE.md's
 *     derivation with Q_k = R(B)), into θ's log-Cholesky factor with the pivots floored at σ²_min
 *     (`setExpertCovariance`, as the closed-form M-step). R(B) in O(q²p) with C:
 *     R_ij = Syy_ij − β_jᵀ sxy_i − β_iᵀ C_j   (β_iᵀ Sxx β_j = β_iᵀ(sxy_j − C_j)).
 *
 * The prior's shape Ψ̂ = R(B⁰)/g (g = geometric mean of R(B⁰)'s diagonal, or I when that is not
 * positive; `priorScale`) is taken ONCE per M-step at the warm start B⁰ and then held fixed, so G is
 * one function during the M-step and every block step minimizes it exactly: G never increases (a
 * generalized M-step; the MM descent argument of docs/SPARSE.md holds). The unpenalized M-step takes
 * Ψ̂ at the least-squares B of s instead; a penalized M-step has no least-squares B (Sxx may be
 * singular), and at a fixed point of batch EM or the stream B⁰ is the M-step's own B — the β through
 * which the EM objective and `objective` evaluate Ψ̂ (moe-covariance.ts `priorShapeInto`). With ν = 0
 * (no prior) none of this matters.
 *
 * Stopping rules, as the diagonal solver's: sweeps stop when no coefficient moved the fitted values
 * by more than `tol` conditional noise sds (Ω_jj Sxx_aa δ² ≤ tol²·s0; 1/Ω_jj is the variance of y_j
 * given the other responses, σ²_j when Ω is diagonal), or after `maxSweeps`; the alternation stops
 * when no entry of Σ moved by more than `tol` relative to √(Σ_ii Σ_jj), or after `maxRounds` (the
 * streaming solver: one sweep and one Σ-step per row). Dead experts (s0 ≤ deadTol) keep B and Σ.
 *
 * Cost per expert: O(q p²) for C, then per sweep O(p q²) plus O(p) per coefficient that moves, and
 * O(q² p + q³) per Σ-step. No allocation: the scratch lives in the lasso workspace.
 */
import type { MoeLayout } from "../model/dims.js";
import { setExpertCovariance } from "../model/full-covariance.js";
import type { MoeStatLayout } from "./moe-stats.js";
import { createCovWorkspace, inverseFactor, priorScale, type CovWorkspace } from "./moe-covariance.js";
import type { LassoWorkspace } from "./moe-lasso.js";

/** Scratch of the full-covariance elastic-net M-step (part of the lasso workspace). */
export interface FullLassoWorkspace {
  /** q × p: column j of C = Sxy − Sxx B, at j·p. */
  readonly C: Float64Array;
  /** q × q: Ω = Σ⁻¹ of the current factor. */
  readonly omega: Float64Array;
  /** q × q: C_k⁻¹ (lower). */
  readonly inv: Float64Array;
  /** q × q: Σ of the current factor (for the round's stopping rule). */
  readonly sigma: Float64Array;
  /** q × q: the prior's shape Ψ̂, fixed per M-step. */
  readonly shape: Float64Array;
  /** Q (the Σ-step's target), work (its factorization), par (g of `priorScale` at par[4]). */
  readonly cov: CovWorkspace;
  /** [tol²·s0]: the sweeps' stopping threshold (an array, so no double is boxed for a call). */
  readonly stop: Float64Array;
}

export function createFullLassoWorkspace(L: MoeLayout): FullLassoWorkspace {
  const { q, p } = L;
  return {
    C: new Float64Array(q * p), omega: new Float64Array(q * q), inv: new Float64Array(q * q), sigma: new Float64Array(q * q),
    shape: new Float64Array(q * q), cov: createCovWorkspace(L), stop: new Float64Array(1),
  };
}

/**
 * fw.omega ← Σ_k⁻¹ = C⁻ᵀC⁻¹ and fw.sigma ← Σ_k = CCᵀ (diagonal pivots as exp(v), as
 * `expertCovariance` reads them), from θ's factor. O(q³); doubles only through arrays (no boxing).
 */
function readCovariance(L: MoeLayout, theta: Float64Array, k: number, fw: FullLassoWorkspace): void {
  const { q } = L;
  const { inv, omega, sigma } = fw;
  inverseFactor(L, theta, k, inv);
  const co = L.chol + k * L.nChol;
  const vo = L.logSigma2 + k * q;
  for (let i = 0; i < q; i++) {
    const ri = co + ((i * (i - 1)) >> 1); // row i of the strict lower part
    for (let j = 0; j <= i; j++) {
      let acc = 0;
      for (let a = i; a < q; a++) acc += inv[a * q + i] * inv[a * q + j]; // C⁻¹ is lower: rows a ≥ max(i, j)
      omega[i * q + j] = acc;
      omega[j * q + i] = acc;
      const rj = co + ((j * (j - 1)) >> 1);
      let sg = 0;
      for (let l = 0; l < j; l++) sg += theta[ri + l] * theta[rj + l];
      sg += i === j ? Math.exp(theta[vo + j]) : theta[ri + j] * Math.exp(0.5 * theta[vo + j]);
      sigma[i * q + j] = sg;
      sigma[j * q + i] = sg;
    }
  }
}

/** Offset in s of Syy_k,ij (diagonal in syy, off-diagonal in syx); an offset, not the double (no boxing). */
function syyAt(L: MoeLayout, S: MoeStatLayout, k: number, i: number, j: number): number {
  if (i === j) return S.syy + k * L.q + i;
  const hi = i > j ? i : j;
  const lo = i > j ? j : i;
  return S.syx + k * L.nChol + ((hi * (hi - 1)) >> 1) + lo;
}

/** cov.Q ← R(B_k) = Syy − BᵀSxy − SxyᵀB + BᵀSxxB from fw.C = Sxy − Sxx B: R_ij = Syy_ij − β_jᵀsxy_i − β_iᵀC_j. O(q²p). */
function residualInto(L: MoeLayout, S: MoeStatLayout, s: Float64Array, k: number, theta: Float64Array, bo: number, fw: FullLassoWorkspace): void {
  const { q, p } = L;
  const { C } = fw;
  const Q = fw.cov.Q;
  for (let i = 0; i < q; i++) {
    const xi = S.sxy + (k * q + i) * p;
    const bi = bo + i * p;
    for (let j = 0; j <= i; j++) {
      const bj = bo + j * p;
      let bxy = 0;
      let bc = 0;
      for (let a = 0; a < p; a++) {
        bxy += theta[bj + a] * s[xi + a];
        bc += theta[bi + a] * C[j * p + a];
      }
      const r = s[syyAt(L, S, k, i, j)] - bxy - bc;
      Q[i * q + j] = r;
      Q[j * q + i] = r;
    }
  }
}

/** Cyclic coordinate descent on B_k at fixed Ω (module comment); fw.C kept. Returns the sweeps used. */
function sweeps(L: MoeLayout, s: Float64Array, so: number, theta: Float64Array, bo: number, lz: LassoWorkspace, fw: FullLassoWorkspace): number {
  const { q, p } = L;
  const { C, omega } = fw;
  const stop = fw.stop[0];
  const l1 = lz.l1;
  const l2 = lz.l2;
  let sweep = 0;
  while (sweep < lz.maxSweeps) {
    sweep++;
    let biggest = 0;
    for (let a = 0; a < p; a++) {
      const saa = s[so + a * p + a];
      for (let j = 0; j < q; j++) {
        let g = 0; // (CΩ)_aj = −∂/∂B_aj of ½ tr(Ω R(B))
        for (let l = 0; l < q; l++) g += C[l * p + a] * omega[l * q + j];
        const h = omega[j * q + j] * saa;
        const o = bo + j * p + a;
        const old = theta[o];
        let nb: number;
        if (a === 0) nb = h > 0 ? old + g / h : old;
        else {
          const z = g + h * old;
          const den = h + l2;
          const az = Math.abs(z) - l1;
          nb = az > 0 && den > 0 ? (z > 0 ? az : -az) / den : 0;
        }
        const delta = nb - old;
        if (delta === 0) continue;
        theta[o] = nb;
        const co = j * p;
        for (let b = 0; b < a; b++) C[co + b] -= delta * s[so + b * p + a];
        for (let b = a; b < p; b++) C[co + b] -= delta * s[so + a * p + b];
        const change = h * delta * delta;
        if (change > biggest) biggest = change;
      }
    }
    // max Ω_jj Sxx_aa δ² ≤ tol²·s0: no fitted-value column moved by more than tol conditional noise sds.
    if (biggest <= stop) break;
  }
  return sweep;
}

/**
 * The penalized expert half of θ̄(s) for a full layout, in place on θ, warm-started from θ's (B_k, Σ_k):
 * for each live expert alternate the B-step and the Σ-step (module comment). ν and νσ0² are the
 * prior's weights (in lz.par, with σ²_min and deadTol). Returns true (no factorization can fail); a non-finite warm start is replaced by
 * B = 0, Σ = I.
 */
export function penalizedExpertsFull(L: MoeLayout, S: MoeStatLayout, s: Float64Array, theta: Float64Array, lz: LassoWorkspace, fw: FullLassoWorkspace): boolean {
  const nu = lz.par[0]; // [ν, νσ0², σ²_min, deadTol] (moe-lasso.ts `par`: doubles through memory, not boxed)
  const nuSigma0 = lz.par[1];
  const deadTol = lz.par[3];
  const { K, q, p } = L;
  const { C, sigma, shape, cov } = fw;
  const Q = cov.Q;
  for (let k = 0; k < K; k++) {
    const s0 = s[S.s0 + k];
    if (!(s0 > deadTol)) continue; // dead expert: keep B_k, Σ_k
    const bo = L.beta + k * q * p;
    const so = S.Sxx + k * p * p;
    let finite = true;
    for (let i = 0; i < q * p && finite; i++) finite = Number.isFinite(theta[bo + i]);
    for (let j = 0; j < q && finite; j++) finite = Number.isFinite(theta[L.logSigma2 + k * q + j]);
    for (let i = 0; i < L.nChol && finite; i++) finite = Number.isFinite(theta[L.chol + k * L.nChol + i]);
    if (!finite) {
      for (let i = 0; i < q * p; i++) theta[bo + i] = 0;
      for (let j = 0; j < q; j++) theta[L.logSigma2 + k * q + j] = 0;
      for (let i = 0; i < L.nChol; i++) theta[L.chol + k * L.nChol + i] = 0;
    }
    // C_j = sxy_kj − Sxx β_kj, one symmetric matvec from the upper triangle per response.
    for (let j = 0; j < q; j++) {
      const co = j * p;
      const b0 = bo + j * p;
      const xy = S.sxy + (k * q + j) * p;
      for (let a = 0; a < p; a++) C[co + a] = s[xy + a];
      for (let a = 0; a < p; a++) {
        const ba = theta[b0 + a];
        let acc = s[so + a * p + a] * ba;
        for (let b = a + 1; b < p; b++) {
          const g = s[so + a * p + b];
          acc += g * theta[b0 + b];
          C[co + b] -= g * ba;
        }
        C[co + a] -= acc;
      }
    }
    if (nu > 0) {
      // The prior's shape at the warm start, R(B⁰)/g, fixed for this M-step (module comment).
      residualInto(L, S, s, k, theta, bo, fw);
      priorScale(q, Q, cov.par, 4);
      const g = cov.par[4];
      for (let i = 0; i < q * q; i++) shape[i] = g > 0 ? Q[i] / g : i % (q + 1) === 0 ? 1 : 0;
    }
    readCovariance(L, theta, k, fw);
    fw.stop[0] = lz.tol * lz.tol * s0;
    const den = s0 + nu;
    lz.solves++;
    for (let round = 0; round < lz.maxRounds; round++) {
      lz.sweeps += sweeps(L, s, so, theta, bo, lz, fw);
      // Σ-step: (R(B) + νσ0² Ψ̂)/(s0 + ν).
      residualInto(L, S, s, k, theta, bo, fw);
      for (let i = 0; i < q * q; i++) Q[i] = (nu > 0 ? Q[i] + nuSigma0 * shape[i] : Q[i]) / den;
      setExpertCovariance(L, theta, k, Q, 0, lz.par, 2, cov.work); // floor σ²_min = lz.par[2]
      // Relative move of θ's Σ (q = 1: |Δσ²|/σ², the diagonal solver's rule); cov.work is free again.
      const prev = cov.work;
      prev.set(sigma);
      readCovariance(L, theta, k, fw);
      let moved = 0;
      for (let i = 0; i < q; i++) {
        for (let j = 0; j <= i; j++) {
          const m = Math.abs(sigma[i * q + j] - prev[i * q + j]) / Math.sqrt(prev[i * q + i] * prev[j * q + j]);
          if (!(m <= moved)) moved = m;
        }
      }
      if (moved <= lz.tol) break;
    }
  }
  return true;
}
