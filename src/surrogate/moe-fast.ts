/**
 * O(K p²) per row, allocation-free ISMM for the softmax-gated Gaussian MoE: a drop-in `Surrogate`
 * for the exact reference (`surrogate/moe.ts`, O(K p³) per row by Cholesky) whose WORKSPACE
 * carries the inverses and the solutions along the stream. The generic engine (mm/ismm.ts) is
 * unchanged: `accumulate` blends s exactly as the exact surrogate does and, in the same passes,
 * updates the inverses and the carried θ̄(s); `mstep` then only copies the carried β and W into θ
 * and computes σ² in O(Kqp + Kp).
 *
 * ── Notation ──────────────────────────────────────────────────────────────────────────────────
 * One row: design x ∈ R^p, targets y ∈ R^q, responsibilities τ_k, blend s' = a·s + b·S̄ with
 * (a, b) = (1 − γ, γ) in the SA recursion (or (1, 1/n) for batch averaging). Factors:
 *
 *   expert k:  S_k = Sxx_k,  M_k = S_k⁻¹,  carried β_kj = M_k sxy_kj        (j = 1..q)
 *   gate:      G2,           M_G = G2⁻¹,   carried w_k = 2 M_G Ĝ_k,  Ĝ_k = G1_k + Σ_l G1_l  (k < K)
 *
 * ── 1. Scaled rank-one inverse (Sherman–Morrison) ─────────────────────────────────────────────
 *   S' = a S + b τ x xᵀ = a (S + c x xᵀ),  c = bτ/a           (a > 0; a = 0, i.e. γ = 1, refactorizes)
 *   M' = (1/a) [M − (c/δ) h hᵀ],  h = M x,  ρ = xᵀh,  δ = 1 + cρ
 * The rank-one of row n is applied lazily inside row n+1's matvec pass, so each factor costs one
 * pass over its packed upper triangle per row, fused with the blend of S (core/sherman-morrison.ts).
 * M is stored packed-symmetric, so it stays exactly symmetric.
 *
 * ── 2. Carrying β (O(p) per (k, j)) ──────────────────────────────────────────────────────────
 *   sxy' = a sxy + b τ y_j x = a (sxy + c y_j x)
 *   β'   = M' sxy' = [M − (c/δ) h hᵀ](sxy + c y_j x)                  (the a's cancel)
 *        = β + c y_j h − (c/δ) h (hᵀsxy + c y_j ρ)
 * and hᵀsxy = xᵀ M sxy = xᵀβ =: μ̂ (the carried expert mean at x), so
 *        = β + (c/δ) h [ y_j (1 + cρ) − μ̂ − c y_j ρ ]
 *   β'   = β + (c (y_j − μ̂)/δ) h                                       (recursive least squares)
 *
 * ── 3. Carrying the gate W (O(pK)) ───────────────────────────────────────────────────────────
 * With u = (τ − π̄)_{1:K−1} + A W̄ᵀx (spec §3.2) and U = Σ_l u_l:
 *   G1_k' = a G1_k + b u_k x   ⇒   Ĝ_k' = a Ĝ_k + b (u_k + U) x = a (Ĝ_k + c_G v_k x),
 *   G2'   = a (G2 + c_G x xᵀ),  c_G = b/a,  v_k = u_k + U.
 * The same algebra as §2 with w_k/2 in place of β and η̂_k/2 = xᵀw_k/2 in place of μ̂:
 *   w_k' = w_k + (c_G (2 v_k − η̂_k)/δ_G) h_G,   h_G = M_G x,  δ_G = 1 + c_G xᵀh_G.
 * η̂ and μ̂ are recomputed from the CARRIED w and β (O(Kqp + Kp)), never taken from θ, so the
 * identities hold whatever the caller did to θ between rows.
 *
 * ── 4. M-step in O(Kqp + Kp) ─────────────────────────────────────────────────────────────────
 *   β_kj ← carried β_kj,   σ²_kj = max((syy_kj − β_kjᵀ sxy_kj + νσ0²)/(s0_k + ν), σ²_min),   w_k ← carried w_k
 * (ν = c·p·b, the MAP variance prior of surrogate/moe.ts; c = 0 is the MLE).
 *
 * ── 5. Exact refactorization and guards ──────────────────────────────────────────────────────
 * A factor is refactorized from s — with exactly the code of the exact M-step (cholWithRidge,
 * cholSolve), so θ at that row equals the exact path's θ for the same s — and its inverse is
 * rebuilt as R⁻¹R⁻ᵀ (p³/3 for the Cholesky + 2p³/3 for the inverse) when:
 *   - it has absorbed `refactorEvery` rank-one updates since its last refactorization (drift);
 *   - it is not valid: the first M-step (the statistic was blended while no inverse existed, e.g.
 *     during burn-in or from an initialization buffer), a blend with a = 0 (γ = 1), an expert that
 *     was dead (s0_k ≤ deadTol: like the exact path it keeps θ and the factor is dropped; it is
 *     rebuilt when the expert revives), or an expert Cholesky that needed a ridge (then θ is the
 *     exact ridge solution and the factor is refactorized again on the next row). A gate factor
 *     (G2) that is not positive definite makes the M-step fail with θ untouched (invalid s);
 *   - a guard tripped during the rank-one update. For an SPD M, ρ > 0 and δ = 1 + cρ ≥ 1, so the
 *     denominator is never small; what loses accuracy is a LARGE gain cρ (the update then cancels
 *     about log10(cρ) digits of M in the direction of x) or an M that has stopped being positive
 *     definite. The guard is: refactorize unless  min diag(M) > 0,  ρ > 0  and  cρ ≤ maxGain
 *     (default 1e4, i.e. at most ~4 digits lost by one update before the next refactorization);
 *     NaN/∞ fail all three tests.
 * The workspace is tied to the statistic vector it was derived from: if `accumulate` or `mstep`
 * receives another array, or the s0 block differs from what the last `accumulate` left (e.g.
 * batch MM zeroing s between iterations), every factor is invalidated.
 *
 * Drift (measured, d ∈ {5, 20, 100}, standardized Gaussian inputs): with packed symmetric storage
 * max|M − S⁻¹|/max|S⁻¹| stayed at 1e-15…1e-14 over 1e5 rows even WITHOUT refactorization, and θ
 * within ~1e-13 of the exact path; on a badly conditioned design (means 10, scales 0.01…10,
 * correlation 0.99) it reached ~1e-6 either way — but there the exact path itself moves by ~5e-5
 * under a 1e-14 relative perturbation of s. So `refactorEvery` = 1000 is a safety net, costing
 * ≈ (K+1)·p³/1000 flops per row (≈ 2–5 % at p = 101), not a drift necessity.
 *
 * ── 6. Cost per row (flops; see bench/speed.ts) ──────────────────────────────────────────────
 *   (K+1)(5p² + 5p)      one fused pass per factor (M update 3, S blend 3 per upper entry,
 *                        symmetric matvec 2p²), plus ρ and O(p) bookkeeping
 *   + p(11Kq + 9(K−1))   E-step, sxy/G1 blends, μ̂/η̂, β/W carries, σ² in the M-step
 *   + (K+1)(p³ + …)/refactorEvery   amortized refactorization
 * against (K+1)·p³/3 + (K+1)·1.5p² + … for the exact path. The O(p²) passes run in WebAssembly
 * SIMD where available (core/wasm/, ≈ 2.5× the asm.js speed at p = 101; M and S bit-identical, h = Mx
 * summed in another order), else in asm.js (core/heap-kernels.ts), when s lives in the workspace
 * heap (`createWorkspace(true)`, as the learner does); otherwise in the TypeScript kernels, which
 * asm.js matches bit for bit (≈ 2× slower than asm.js at p = 101).
 *
 * ── 7. No allocation per row ─────────────────────────────────────────────────────────────────
 * Every buffer lives in the workspace. V8 boxes (allocates) a double passed to or returned from a
 * call it does not inline, so on the hot path scalars travel through `ws.sc` instead: the kernels
 * and internal helpers take only integers and arrays, `accumulate` is a tiny inlinable wrapper,
 * and the E-step is the model's `rowPosterior`, which returns its loss in ws.loss.
 *
 * ── 8. State ─────────────────────────────────────────────────────────────────────────────────
 * The fast state (inverses, pending rank-ones, carried β/W, validity, ages) is derived from s but
 * is NOT a function of the final s alone (it depends on the rounding history), so a bit-identical
 * resume must save it: `exportFastState` / `importFastState` (plain JSON numbers, exact round trip).
 */
import { createKernelHeap } from "../core/heap-kernels.js";
import type { MoeLayout } from "../model/dims.js";
import { moeSurrogate } from "./moe.js";
import { accumulateRow } from "./moe-fast-row.js";
import { invalidate, mstep } from "./moe-fast-mstep.js";
import { exportFastState, importFastState, inverseErrors } from "./moe-fast-snapshot.js";
import { makeFastPlan, SC_A, SC_B, SC_SIZE, type MoeFastOptions, type MoeFastState, type MoeFastSurrogate, type MoeFastWorkspace } from "./moe-fast-types.js";

export { DEFAULT_MAX_GAIN, DEFAULT_REFACTOR_EVERY } from "./moe-fast-types.js";
export type { FastPlan, MoeFastOptions, MoeFastSnapshot, MoeFastState, MoeFastSurrogate, MoeFastWorkspace } from "./moe-fast-types.js";

export function moeFastSurrogate(L: MoeLayout, options: MoeFastOptions = {}): MoeFastSurrogate {
  const exact = moeSurrogate(L, options);
  const fp = makeFastPlan(exact, options);
  const { K, q, p, P } = fp;

  /**
   * Scratch and fast state, all in one heap. With `withStatistic`, the heap also holds a zeroed
   * statistic vector (`ws.statistic`): use it as the engine's s so that every p² pass runs in the
   * SIMD or asm.js kernels. Any other s works too (TypeScript kernels: identical to asm.js, equal to
   * rounding with SIMD).
   */
  function createWorkspace(withStatistic = false): MoeFastWorkspace {
    const base = exact.createWorkspace();
    // Heap layout (elements): sc | M (K+1)·P | g (K+1)·p | h p | x p | R p² | T p² | β Kqp | W (K−1)p | [s statSize]
    const oSc = 0;
    const oM = oSc + SC_SIZE;
    const oG = oM + (K + 1) * P;
    const oH = oG + (K + 1) * p;
    const oX = oH + p;
    const oR = oX + p;
    const oT = oR + p * p;
    const oB = oT + p * p;
    const oW = oB + K * q * p;
    const oS = oW + Math.max(K - 1, 0) * p;
    const n = oS + (withStatistic ? exact.statSize : 0);
    const { heap, kernels, simd, simdKernels } = createKernelHeap(8 * n, p);
    const fast: MoeFastState = {
      M: new Float64Array(heap, 8 * oM, (K + 1) * P),
      g: new Float64Array(heap, 8 * oG, (K + 1) * p),
      alpha: new Float64Array(K + 1).fill(1),
      kappa: new Float64Array(K + 1),
      beta: new Float64Array(heap, 8 * oB, K * q * p),
      W: new Float64Array(heap, 8 * oW, Math.max(K - 1, 0) * p),
      valid: new Uint8Array(K + 1),
      age: new Float64Array(K + 1),
      s0: new Float64Array(K),
      owner: null,
      refactors: 0,
      guardTrips: 0,
    };
    return {
      ...base,
      heap,
      kernels,
      simd,
      simdKernels,
      sc: new Float64Array(heap, 8 * oSc, SC_SIZE),
      R: new Float64Array(heap, 8 * oR, p * p),
      xb: new Float64Array(heap, 8 * oX, p),
      h: new Float64Array(heap, 8 * oH, p),
      T: new Float64Array(heap, 8 * oT, p * p),
      statistic: withStatistic ? new Float64Array(heap, 8 * oS, exact.statSize) : null,
      fast,
    };
  }

  /**
   * The `Surrogate.accumulate` contract. The work is in `accumulateRow`, which takes no double
   * argument and returns nothing (a, b and the row loss travel through ws.sc): V8 boxes doubles
   * that cross a call it does not inline, and this wrapper is small enough to be inlined.
   */
  function accumulate(
    s: Float64Array, a: number, b: number, theta: Float64Array,
    x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number, ws: MoeFastWorkspace,
  ): number {
    ws.sc[SC_A] = a;
    ws.sc[SC_B] = b;
    ws.rowWeight[0] = b;
    accumulateRow(fp, s, theta, x, xo, y, yo, ws);
    return ws.loss[0];
  }

  return Object.freeze({
    name: "moe-gaussian-fast",
    statSize: exact.statSize,
    paramSize: exact.paramSize,
    layout: L,
    stats: fp.S,
    varianceFloor: fp.varianceFloor,
    deadTol: fp.deadTol,
    variancePrior: exact.variancePrior,
    priorVariance: fp.priorVariance,
    refactorEvery: fp.refactorEvery,
    maxGain: fp.maxGain,
    exact,
    createWorkspace,
    accumulate,
    mstep: (s: Float64Array, theta: Float64Array, ws: MoeFastWorkspace) => mstep(fp, s, theta, ws),
    loss: (theta: Float64Array, x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number, ws: MoeFastWorkspace) =>
      exact.loss(theta, x, xo, y, yo, ws),
    objective: (theta: Float64Array, s: Float64Array, ws: MoeFastWorkspace) => exact.objective(theta, s, ws),
    exportFastState: (ws: MoeFastWorkspace) => exportFastState(fp, ws),
    importFastState: (ws: MoeFastWorkspace, snap: unknown, s: Float64Array) => importFastState(fp, ws, snap, s),
    invalidate: (ws: MoeFastWorkspace) => invalidate(fp, ws),
    inverseErrors: (ws: MoeFastWorkspace, s: Float64Array) => inverseErrors(fp, ws, s),
  });
}
