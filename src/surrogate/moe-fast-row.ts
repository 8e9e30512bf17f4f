/**
 * The per-row update of the O(K p²) path (derivation: surrogate/moe-fast.ts §1–3): blend the
 * statistic exactly as the exact surrogate does and, in the same passes, apply the scaled
 * Sherman–Morrison update to each maintained inverse and carry β and W along. Allocation-free:
 * doubles travel through ws.sc, never as arguments or return values (V8 boxes a double that
 * crosses a call it does not inline).
 */
import { PASS_ALPHA, PASS_KAPPA, PASS_MIN_DIAG, PASS_RHO, PASS_SA, PASS_SB, smFusedPass, symBlend } from "../core/sherman-morrison.js";
import { rowPosterior } from "../model/moe.js";
import { blendCross } from "./moe-covariance.js";
import { gateResiduals } from "./gate-residual.js";
import { SC_A, SC_B, SC_CD, SC_K0, SC_K1, type FastPlan, type MoeFastState, type MoeFastWorkspace } from "./moe-fast-types.js";

/** Ties the state to s (after a mismatch every factor is dropped). */
export function bind(fp: FastPlan, F: MoeFastState, s: Float64Array): void {
  const { S, K } = fp;
  let same = F.owner === s;
  if (same) {
    for (let k = 0; k < K; k++) {
      if (F.s0[k] !== s[S.s0 + k]) {
        same = false;
        break;
      }
    }
  }
  if (!same) {
    F.valid.fill(0);
    F.owner = s;
  }
}

/**
 * Sherman–Morrison step of factor f, fused with the blend of its statistic block at `so`, with
 * the blend weights already in ws.sc[PASS_SA], ws.sc[PASS_SB]. On success leaves h = M_f x in
 * ws.h and c/δ in ws.sc[SC_CD] and returns true; on a guard trip invalidates f and returns false.
 * The blend of S is done either way.
 */
export function smStep(fp: FastPlan, F: MoeFastState, ws: MoeFastWorkspace, f: number, s: Float64Array, so: number, sByte: number): boolean {
  const { p, P, maxGain } = fp;
  const { xb, h, sc } = ws;
  const kern = ws.kernels;
  sc[PASS_ALPHA] = F.alpha[f];
  sc[PASS_KAPPA] = F.kappa[f];
  // The SIMD pass also computes ρ = xᵀh (same order) and copies g ← h (dropped with the factor on a guard trip).
  const simd = sByte >= 0 && ws.simd;
  if (sByte >= 0 && kern !== null) {
    kern.pass(p, F.M.byteOffset + 8 * f * P, sByte + 8 * so, xb.byteOffset, F.g.byteOffset + 8 * f * p, h.byteOffset, sc.byteOffset);
  } else {
    smFusedPass(p, F.M, f * P, s, so, xb, F.g, f * p, h, sc, 0);
  }
  const minDiag = sc[PASS_MIN_DIAG];
  let rho = 0;
  if (simd) rho = sc[PASS_RHO];
  else for (let i = 0; i < p; i++) rho += xb[i] * h[i];
  const a = sc[PASS_SA];
  const c = sc[PASS_SB] / a;
  const gain = c * rho;
  if (!(minDiag > 0) || !(rho > 0) || !(gain <= maxGain)) {
    F.valid[f] = 0;
    F.guardTrips++;
    return false;
  }
  const cd = c / (1 + gain);
  const ia = 1 / a;
  F.alpha[f] = ia;
  F.kappa[f] = ia * cd;
  if (!simd) {
    const go = f * p;
    for (let i = 0; i < p; i++) F.g[go + i] = h[i];
  }
  F.age[f]++;
  sc[SC_CD] = cd;
  return true;
}

/** Plain blend of a statistic block (factor not maintained), weights in ws.sc[PASS_SA], ws.sc[PASS_SB]. */
export function blendOnly(fp: FastPlan, ws: MoeFastWorkspace, s: Float64Array, so: number, sByte: number): void {
  const { p } = fp;
  const kern = ws.kernels;
  if (sByte >= 0 && kern !== null) kern.blend(p, sByte + 8 * so, ws.xb.byteOffset, ws.sc.byteOffset);
  else symBlend(p, s, so, ws.xb, ws.sc, 0);
}

export function accumulateRow(fp: FastPlan, 
  s: Float64Array, theta: Float64Array, x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number, ws: MoeFastWorkspace,
): void {
  const { L, S, K, q, p, G } = fp;
  const sc = ws.sc;
  const a = sc[SC_A];
  const b = sc[SC_B];
  rowPosterior(L, theta, x, xo, y, yo, ws); // ws.a = τ, ws.logPi = log π̄, ws.loss[0] = f
  const F = ws.fast;
  bind(fp, F, s);
  if (!(a > 0) || !Number.isFinite(a)) F.valid.fill(0); // γ = 1: S' is rank one
  const { xb, h } = ws;
  for (let i = 0; i < p; i++) xb[i] = x[xo + i];
  // Byte offset of s in the kernels' heap, or −1 when s lives elsewhere.
  const sByte = s.buffer === ws.heap ? s.byteOffset : -1;
  const tau = ws.a;
  const B = F.beta;
  // With s in the heap and SIMD, the O(p) blends and carries run in the SIMD kernels too (scalars via sc).
  const vk = sByte >= 0 ? ws.simdKernels : null;
  const k0 = sc.byteOffset + 8 * SC_K0;
  for (let k = 0; k < K; k++) {
    const bt = b * tau[k];
    s[S.s0 + k] = a * s[S.s0 + k] + bt;
    for (let j = 0; j < q; j++) {
      const yj = y[yo + j];
      const kj = k * q + j;
      s[S.syy + kj] = a * s[S.syy + kj] + bt * yj * yj;
      const o = S.sxy + kj * p;
      const c = bt * yj;
      if (vk !== null) {
        sc[SC_K0] = a;
        sc[SC_K1] = c;
        vk.axpby(p, sByte + 8 * o, xb.byteOffset, k0);
      } else {
        for (let i = 0; i < p; i++) s[o + i] = a * s[o + i] + c * xb[i];
      }
    }
    const so = S.Sxx + k * p * p;
    sc[PASS_SA] = a;
    sc[PASS_SB] = bt;
    if (F.valid[k] === 1) {
      if (smStep(fp, F, ws, k, s, so, sByte) && sc[SC_CD] !== 0) {
        const cd = sc[SC_CD];
        // β_kj += (c/δ)(y_j − xᵀβ_kj) h
        for (let j = 0; j < q; j++) {
          const bo = (k * q + j) * p;
          if (vk !== null) {
            sc[SC_K0] = y[yo + j];
            sc[SC_K1] = cd;
            vk.carry(p, B.byteOffset + 8 * bo, xb.byteOffset, h.byteOffset, k0);
            continue;
          }
          let mu = 0;
          for (let i = 0; i < p; i++) mu += xb[i] * B[bo + i];
          const coef = cd * (y[yo + j] - mu);
          for (let i = 0; i < p; i++) B[bo + i] += coef * h[i];
        }
      }
    } else {
      blendOnly(fp, ws, s, so, sByte);
    }
  }
  if (K > 1) {
    // η_k = log π_k − log π_K (η_K = 0), so W̄ᵀx comes free from the E-step.
    const u = ws.u;
    gateResiduals(K, ws.logPi, tau, 0, u);
    let U = 0;
    for (let k = 0; k < K - 1; k++) {
      const uk = u[k];
      U += uk;
      const o = S.G1 + k * p;
      const c = b * uk;
      if (vk !== null) {
        sc[SC_K0] = a;
        sc[SC_K1] = c;
        vk.axpby(p, sByte + 8 * o, xb.byteOffset, k0);
      } else {
        for (let i = 0; i < p; i++) s[o + i] = a * s[o + i] + c * xb[i];
      }
    }
    sc[PASS_SA] = a;
    sc[PASS_SB] = b;
    if (F.valid[G] === 1) {
      if (smStep(fp, F, ws, G, s, S.G2, sByte) && sc[SC_CD] !== 0) {
        const cd = sc[SC_CD];
        // w_k += (c_G/δ_G)(2(u_k + U) − xᵀw_k) h_G
        const Wc = F.W;
        for (let k = 0; k < K - 1; k++) {
          const wo = k * p;
          if (vk !== null) {
            sc[SC_K0] = 2 * (u[k] + U);
            sc[SC_K1] = cd;
            vk.carry(p, Wc.byteOffset + 8 * wo, xb.byteOffset, h.byteOffset, k0);
            continue;
          }
          let eta = 0;
          for (let i = 0; i < p; i++) eta += xb[i] * Wc[wo + i];
          const coef = cd * (2 * (u[k] + U) - eta);
          for (let i = 0; i < p; i++) Wc[wo + i] += coef * h[i];
        }
      }
    } else {
      blendOnly(fp, ws, s, S.G2, sByte);
    }
  } else {
    sc[PASS_SA] = a;
    sc[PASS_SB] = b;
    blendOnly(fp, ws, s, S.G2, sByte);
  }
  for (let k = 0; k < K; k++) F.s0[k] = s[S.s0 + k];
  if (L.full) blendCross(L, S, s, sc, SC_A, SC_B, tau, y, yo); // full covariance: response cross-products
}
