/**
 * The M-step of the O(K p²) path (surrogate/moe-fast.ts §4–5): copy the carried β and W into θ and
 * compute σ² (with the MAP prior) in O(Kqp + Kp); refactorize a factor exactly from s — with the
 * exact surrogate's code — when it is invalid, has absorbed `refactorEvery` rank-one updates, or
 * tripped the guard. Validity first: when G2 is not positive definite nothing is written.
 */
import { cholSolve, cholUpper, cholWithRidge } from "../core/dense.js";
import { expertFromFactor } from "./moe.js";
import { covarianceMstep } from "./moe-covariance.js";
import { penalizedExperts, restoreExperts, saveExperts } from "./moe-lasso.js";
import { spdInverseFromChol } from "../core/sherman-morrison.js";
import type { FastPlan, MoeFastState, MoeFastWorkspace } from "./moe-fast-types.js";

export function invalidate(fp: FastPlan, ws: MoeFastWorkspace): void {
  ws.fast.valid.fill(0);
}

export function clearPending(fp: FastPlan, F: MoeFastState, f: number): void {
  const { p } = fp;
  F.alpha[f] = 1;
  F.kappa[f] = 0;
  const o = f * p;
  for (let i = 0; i < p; i++) F.g[o + i] = 0;
}

/** M_f ← (RᵀR)⁻¹ from the Cholesky factor in ws.R. */
export function inverseInto(fp: FastPlan, ws: MoeFastWorkspace, F: MoeFastState, f: number): void {
  const { p, P } = fp;
  const kern = ws.kernels;
  if (kern !== null) kern.inverse(p, ws.R.byteOffset, ws.T.byteOffset, F.M.byteOffset + 8 * f * P);
  else spdInverseFromChol(p, ws.R, 0, ws.T, F.M, f * P);
}

/**
 * Exact M-step of expert k from s (the exact surrogate's code), rebuilding its factor. For K = 1,
 * Sxx_1 is G2: a ridge there means s is outside the valid set, so θ is left untouched.
 */
export function refactorExpert(fp: FastPlan, F: MoeFastState, k: number, s: Float64Array, theta: Float64Array, ws: MoeFastWorkspace): boolean {
  const { L, S, K, q, p, varianceFloor, priorRows, priorVariance } = fp;
  const so = S.Sxx + k * p * p;
  F.refactors++;
  F.valid[k] = 0;
  const ridge = cholWithRidge(p, s, so, ws.R, 0);
  if (ridge !== 0) ws.ridged[0]++;
  if (ridge < 0 || (K === 1 && ridge !== 0)) return false;
  const nu = priorRows * ws.rowWeight[0];
  expertFromFactor(L, S, k, s, theta, ws, ridge, nu, nu * priorVariance, varianceFloor);
  for (let j = 0; j < q; j++) {
    const o = (k * q + j) * p;
    for (let i = 0; i < p; i++) F.beta[o + i] = theta[L.beta + o + i];
  }
  if (ridge === 0) {
    inverseInto(fp, ws, F, k);
    clearPending(fp, F, k);
    F.age[k] = 0;
    F.valid[k] = 1;
  }
  return true;
}

/**
 * Exact gate M-step from s, rebuilding the gate factor. False, with θ untouched, when G2 is not
 * numerically positive definite (s outside the valid set; the exact surrogate's rule).
 */
export function refactorGate(fp: FastPlan, F: MoeFastState, s: Float64Array, theta: Float64Array, ws: MoeFastWorkspace): boolean {
  const { L, S, K, p, G } = fp;
  const { R, rhs, tmp } = ws;
  F.refactors++;
  F.valid[G] = 0;
  if (!cholUpper(p, s, S.G2, R, 0)) return false;
  tmp.fill(0);
  for (let k = 0; k < K - 1; k++) for (let i = 0; i < p; i++) tmp[i] += s[S.G1 + k * p + i];
  for (let k = 0; k < K - 1; k++) {
    for (let i = 0; i < p; i++) rhs[i] = 2 * (s[S.G1 + k * p + i] + tmp[i]);
    cholSolve(p, R, 0, rhs, 0);
    const wo = L.gate + k * p;
    for (let i = 0; i < p; i++) theta[wo + i] = rhs[i];
    for (let i = 0; i < p; i++) F.W[k * p + i] = rhs[i];
  }
  inverseInto(fp, ws, F, G);
  clearPending(fp, F, G);
  F.age[G] = 0;
  F.valid[G] = 1;
  return true;
}

export function mstep(fp: FastPlan, s: Float64Array, theta: Float64Array, ws: MoeFastWorkspace): boolean {
  const { L, S, K, q, p, G, refactorEvery, varianceFloor, deadTol, priorRows, priorVariance } = fp;
  const F = ws.fast;
  if (F.owner !== s) {
    F.valid.fill(0);
    F.owner = s;
    for (let k = 0; k < K; k++) F.s0[k] = s[S.s0 + k];
  }
  // Gate (and validity) first: when G2 is not positive definite nothing is written.
  if (K > 1) {
    if (F.valid[G] === 1 && F.age[G] < refactorEvery) {
      theta.set(F.W, L.gate); // F.W is exactly the (K−1)p gate block (a memcpy, no allocation)
    } else if (!refactorGate(fp, F, s, theta, ws)) {
      return false;
    }
  }
  // Experts. With an elastic net, θ's experts are kept as the warm start (the loop maintains the factors).
  if (ws.lasso !== null) saveExperts(L, theta, ws.lasso);
  let ok = true;
  const B = F.beta;
  const nu = priorRows * ws.rowWeight[0];
  const nuSigma0 = nu * priorVariance;
  for (let k = 0; k < K; k++) {
    const s0 = s[S.s0 + k];
    if (!(s0 > deadTol)) {
      F.valid[k] = 0; // dead expert: keep β_k, σ²_k (as the exact path); rebuild on revival
      continue;
    }
    if (F.valid[k] === 1 && F.age[k] < refactorEvery) {
      for (let j = 0; j < q; j++) {
        const kj = k * q + j;
        const co = kj * p;
        const bo = L.beta + co;
        const xy = S.sxy + co;
        let bxy = 0;
        for (let i = 0; i < p; i++) {
          const v = B[co + i];
          theta[bo + i] = v;
          bxy += v * s[xy + i];
        }
        if (!L.full) theta[L.logSigma2 + kj] = Math.log(Math.max((s[S.syy + kj] - bxy + nuSigma0) / (s0 + nu), varianceFloor));
      }
      if (L.full) {
        // Full Σ_k from the carried β (docs/COVARIANCE.md); the β part is unchanged.
        const par = ws.cov.par;
        par[0] = nu;
        par[1] = nuSigma0;
        par[2] = varianceFloor;
        par[3] = 0;
        covarianceMstep(L, S, k, s, theta, ws.cov);
      }
    } else if (!refactorExpert(fp, F, k, s, theta, ws)) {
      ok = false;
    }
  }
  if (ws.lasso !== null) {
    // Elastic net (surrogate/moe-lasso.ts): the carried β is the least-squares solution, not the lasso's.
    restoreExperts(L, theta, ws.lasso);
    if (!ok && K === 1) return false; // K = 1: Sxx_1 is G2, s is outside the valid set
    const par = ws.lasso.par; // the solver's double arguments (not boxed per row)
    par[0] = nu;
    par[1] = nuSigma0;
    par[2] = varianceFloor;
    par[3] = deadTol;
    return penalizedExperts(L, S, s, theta, ws.lasso) && ok;
  }
  return ok;
}
