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
 * against (K+1)·p³/3 + (K+1)·1.5p² + … for the exact path. The O(p²) passes run in asm.js
 * (core/heap-kernels.ts) when s lives in the workspace heap (`createWorkspace(true)`, as the
 * learner does); otherwise in the bit-identical TypeScript kernels (≈ 2× slower at p = 101).
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
import { cholSolve, cholUpper, cholWithRidge, quadFormUpper } from "../core/dense.js";
import { heapByteLength, linkHeapKernels, MAX_HEAP_BYTES, type HeapKernels } from "../core/heap-kernels.js";
import {
  packedSize, PASS_ALPHA, PASS_KAPPA, PASS_MIN_DIAG, PASS_SA, PASS_SB, PASS_SLOTS, smFlush, smFusedPass, spdInverseFromChol, symBlend,
} from "../core/sherman-morrison.js";
import type { MoeLayout } from "../model/dims.js";
import { rowPosterior } from "../model/moe.js";
import { moeSurrogate, type MoeSurrogate, type MoeSurrogateOptions, type MoeWorkspace } from "./moe.js";
import type { MoeStatLayout } from "./moe-stats.js";
import type { Surrogate } from "./types.js";

/** Options of the fast path, on top of the exact surrogate's safeguards. */
export interface MoeFastOptions extends MoeSurrogateOptions {
  /** Rank-one updates a factor absorbs before it is refactorized exactly from s. Default 1000. */
  readonly refactorEvery?: number;
  /** Largest Sherman–Morrison gain c·xᵀMx accepted before refactorizing instead. Default 1e4. */
  readonly maxGain?: number;
}

export const DEFAULT_REFACTOR_EVERY = 1000;
export const DEFAULT_MAX_GAIN = 1e4;

// Slots of ws.sc after the pass block.
const SC_CD = PASS_SLOTS; // c/δ of the last successful Sherman–Morrison step
const SC_A = PASS_SLOTS + 1; // blend weight a of the current row
const SC_B = PASS_SLOTS + 2; // blend weight b of the current row
const SC_SIZE = PASS_SLOTS + 3;

/** Carried state of the fast path (lives in the workspace; see `exportFastState`). */
export interface MoeFastState {
  /** (K+1) packed p×p inverses; factor k < K is Sxx_k⁻¹, factor K is G2⁻¹. */
  readonly M: Float64Array;
  /** (K+1)·p pending rank-one vectors g (h of the previous row). */
  readonly g: Float64Array;
  /** K+1 pending scale α = 1/a (1 when nothing is pending). */
  readonly alpha: Float64Array;
  /** K+1 pending coefficient κ = α c/δ (0 when nothing is pending). */
  readonly kappa: Float64Array;
  /** K·q·p carried β_kj = Sxx_k⁻¹ sxy_kj, same order as θ's beta block. */
  readonly beta: Float64Array;
  /** (K−1)·p carried gate w_k = 2 G2⁻¹ Ĝ_k, same order as θ's gate block. */
  readonly W: Float64Array;
  /** K+1 flags: 1 if the factor's inverse and carried solution are current. */
  readonly valid: Uint8Array;
  /** K+1 rank-one updates since the factor's last refactorization. */
  readonly age: Float64Array;
  /** K: s0 block after the last accumulate (detects a statistic reset between calls). */
  readonly s0: Float64Array;
  /** The statistic vector this state was derived from. */
  owner: Float64Array | null;
  /** Diagnostics: factor refactorizations, and how many were forced by the guard. */
  refactors: number;
  guardTrips: number;
}

export interface MoeFastWorkspace extends MoeWorkspace {
  /** One buffer holding M, g, h, x (and, with `createWorkspace(true)`, a statistic vector). */
  readonly heap: ArrayBuffer;
  /** asm.js kernels linked to `heap` (null: the TypeScript kernels are used). */
  readonly kernels: HeapKernels | null;
  /**
   * Scalars passed through memory instead of as arguments/return values (V8 boxes a double that
   * crosses a call it does not inline): the pass block PASS_* (sa, sb, α, κ, min diag), then
   * c/δ, the row loss, and the blend weights (a, b) of the current row.
   */
  readonly sc: Float64Array;
  readonly xb: Float64Array; // p: the design row (view on heap)
  readonly h: Float64Array; // p: M x for the current factor (view on heap)
  readonly T: Float64Array; // p×p: R⁻¹ at refactorization (view on heap; so is R)
  readonly u: Float64Array; // K−1: gate statistic coefficients u_k
  /** A statistic vector inside `heap` (zeroed), or null. Rows blended into it use the asm kernels. */
  readonly statistic: Float64Array | null;
  readonly fast: MoeFastState;
}

/** Plain-JSON snapshot of `MoeFastState` (numbers round-trip doubles exactly). */
export interface MoeFastSnapshot {
  readonly M: number[];
  readonly g: number[];
  readonly alpha: number[];
  readonly kappa: number[];
  readonly beta: number[];
  readonly W: number[];
  readonly valid: number[];
  readonly age: number[];
  readonly refactors: number;
  readonly guardTrips: number;
}

export interface MoeFastSurrogate extends Surrogate<MoeFastWorkspace> {
  readonly layout: MoeLayout;
  readonly stats: MoeStatLayout;
  readonly varianceFloor: number;
  readonly deadTol: number;
  readonly variancePrior: number;
  readonly priorVariance: number;
  readonly refactorEvery: number;
  readonly maxGain: number;
  /**
   * Workspace (inverses, carried solution, scratch) in one heap; with `withStatistic` the heap
   * also holds a zeroed statistic vector `ws.statistic` to use as the engine's s (fastest path).
   */
  createWorkspace(withStatistic?: boolean): MoeFastWorkspace;
  /** The exact reference surrogate with the same options (shares `loss`, `objective`). */
  readonly exact: MoeSurrogate;
  /** The fast state to save for a bit-identical resume. Does not modify `ws`. */
  exportFastState(ws: MoeFastWorkspace): MoeFastSnapshot;
  /** Restores `exportFastState` output into `ws`, binding it to the statistic vector `s`. */
  importFastState(ws: MoeFastWorkspace, snap: unknown, s: Float64Array): void;
  /** Drops every factor: the next M-step refactorizes from s. */
  invalidate(ws: MoeFastWorkspace): void;
  /**
   * Relative error max|M_f − S_f⁻¹| / max|S_f⁻¹| of each valid factor (NaN if invalid) against
   * an exact inverse of the current s. Diagnostics only: allocates, O(K p³).
   */
  inverseErrors(ws: MoeFastWorkspace, s: Float64Array): number[];
}

export function moeFastSurrogate(L: MoeLayout, options: MoeFastOptions = {}): MoeFastSurrogate {
  const exact = moeSurrogate(L, options);
  const { varianceFloor, deadTol, variancePrior, priorVariance, priorRows } = exact;
  const refactorEvery = options.refactorEvery ?? DEFAULT_REFACTOR_EVERY;
  const maxGain = options.maxGain ?? DEFAULT_MAX_GAIN;
  if (!(refactorEvery >= 1)) throw new RangeError(`refactorEvery must be ≥ 1, got ${refactorEvery}`);
  if (!(maxGain > 0)) throw new RangeError(`maxGain must be > 0, got ${maxGain}`);
  const S = exact.stats;
  const { K, q, p } = L;
  const P = packedSize(p);
  const G = K; // index of the gate factor

  /**
   * Scratch and fast state, all in one heap. With `withStatistic`, the heap also holds a zeroed
   * statistic vector (`ws.statistic`): use it as the engine's s so that every p² pass runs in the
   * asm.js kernels. Any other s works too (TypeScript kernels, identical results).
   */
  function createWorkspace(withStatistic = false): MoeFastWorkspace {
    const base = exact.createWorkspace();
    // Heap layout (elements): sc | M (K+1)·P | g (K+1)·p | h p | x p | R p² | T p² | [s statSize]
    const oSc = 0;
    const oM = oSc + SC_SIZE;
    const oG = oM + (K + 1) * P;
    const oH = oG + (K + 1) * p;
    const oX = oH + p;
    const oR = oX + p;
    const oT = oR + p * p;
    const oS = oT + p * p;
    const n = oS + (withStatistic ? exact.statSize : 0);
    const bytes = heapByteLength(8 * n);
    const heap = new ArrayBuffer(bytes <= MAX_HEAP_BYTES ? bytes : 8 * n);
    const kernels = linkHeapKernels(heap);
    const fast: MoeFastState = {
      M: new Float64Array(heap, 8 * oM, (K + 1) * P),
      g: new Float64Array(heap, 8 * oG, (K + 1) * p),
      alpha: new Float64Array(K + 1).fill(1),
      kappa: new Float64Array(K + 1),
      beta: new Float64Array(K * q * p),
      W: new Float64Array(Math.max(K - 1, 0) * p),
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
      sc: new Float64Array(heap, 8 * oSc, SC_SIZE),
      R: new Float64Array(heap, 8 * oR, p * p),
      xb: new Float64Array(heap, 8 * oX, p),
      h: new Float64Array(heap, 8 * oH, p),
      T: new Float64Array(heap, 8 * oT, p * p),
      u: new Float64Array(Math.max(K - 1, 0)),
      statistic: withStatistic ? new Float64Array(heap, 8 * oS, exact.statSize) : null,
      fast,
    };
  }

  function invalidate(ws: MoeFastWorkspace): void {
    ws.fast.valid.fill(0);
  }

  function clearPending(F: MoeFastState, f: number): void {
    F.alpha[f] = 1;
    F.kappa[f] = 0;
    const o = f * p;
    for (let i = 0; i < p; i++) F.g[o + i] = 0;
  }

  /** Ties the state to s (after a mismatch every factor is dropped). */
  function bind(F: MoeFastState, s: Float64Array): void {
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
   * Sherman–Morrison step of factor f (fused with the blend of its statistic block at `so`).
   * On success leaves h = M_f x in ws.h and returns c/δ; on a guard trip invalidates f and
   * returns NaN. The blend of S is done either way.
   */
  /**
   * Sherman–Morrison step of factor f, fused with the blend of its statistic block at `so`, with
   * the blend weights already in ws.sc[PASS_SA], ws.sc[PASS_SB]. On success leaves h = M_f x in
   * ws.h and c/δ in ws.sc[SC_CD] and returns true; on a guard trip invalidates f and returns false.
   * The blend of S is done either way.
   */
  function smStep(F: MoeFastState, ws: MoeFastWorkspace, f: number, s: Float64Array, so: number, sByte: number): boolean {
    const { xb, h, sc } = ws;
    const kern = ws.kernels;
    sc[PASS_ALPHA] = F.alpha[f];
    sc[PASS_KAPPA] = F.kappa[f];
    if (sByte >= 0 && kern !== null) {
      kern.pass(p, F.M.byteOffset + 8 * f * P, sByte + 8 * so, xb.byteOffset, F.g.byteOffset + 8 * f * p, h.byteOffset, sc.byteOffset);
    } else {
      smFusedPass(p, F.M, f * P, s, so, xb, F.g, f * p, h, sc, 0);
    }
    const minDiag = sc[PASS_MIN_DIAG];
    let rho = 0;
    for (let i = 0; i < p; i++) rho += xb[i] * h[i];
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
    const go = f * p;
    for (let i = 0; i < p; i++) F.g[go + i] = h[i];
    F.age[f]++;
    sc[SC_CD] = cd;
    return true;
  }

  /** Plain blend of a statistic block (factor not maintained), weights in ws.sc[PASS_SA], ws.sc[PASS_SB]. */
  function blendOnly(ws: MoeFastWorkspace, s: Float64Array, so: number, sByte: number): void {
    const kern = ws.kernels;
    if (sByte >= 0 && kern !== null) kern.blend(p, sByte + 8 * so, ws.xb.byteOffset, ws.sc.byteOffset);
    else symBlend(p, s, so, ws.xb, ws.sc, 0);
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
    accumulateRow(s, theta, x, xo, y, yo, ws);
    return ws.loss[0];
  }

  function accumulateRow(
    s: Float64Array, theta: Float64Array, x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number, ws: MoeFastWorkspace,
  ): void {
    const sc = ws.sc;
    const a = sc[SC_A];
    const b = sc[SC_B];
    rowPosterior(L, theta, x, xo, y, yo, ws); // ws.a = τ, ws.logPi = log π̄, ws.loss[0] = f
    const F = ws.fast;
    bind(F, s);
    if (!(a > 0) || !Number.isFinite(a)) F.valid.fill(0); // γ = 1: S' is rank one
    const { xb, h } = ws;
    for (let i = 0; i < p; i++) xb[i] = x[xo + i];
    // Byte offset of s in the kernels' heap, or −1 when s lives elsewhere.
    const sByte = s.buffer === ws.heap ? s.byteOffset : -1;
    const tau = ws.a;
    const B = F.beta;
    for (let k = 0; k < K; k++) {
      const bt = b * tau[k];
      s[S.s0 + k] = a * s[S.s0 + k] + bt;
      for (let j = 0; j < q; j++) {
        const yj = y[yo + j];
        const kj = k * q + j;
        s[S.syy + kj] = a * s[S.syy + kj] + bt * yj * yj;
        const o = S.sxy + kj * p;
        const c = bt * yj;
        for (let i = 0; i < p; i++) s[o + i] = a * s[o + i] + c * xb[i];
      }
      const so = S.Sxx + k * p * p;
      sc[PASS_SA] = a;
      sc[PASS_SB] = bt;
      if (F.valid[k] === 1) {
        if (smStep(F, ws, k, s, so, sByte) && sc[SC_CD] !== 0) {
          const cd = sc[SC_CD];
          // β_kj += (c/δ)(y_j − xᵀβ_kj) h
          for (let j = 0; j < q; j++) {
            const bo = (k * q + j) * p;
            let mu = 0;
            for (let i = 0; i < p; i++) mu += xb[i] * B[bo + i];
            const coef = cd * (y[yo + j] - mu);
            for (let i = 0; i < p; i++) B[bo + i] += coef * h[i];
          }
        }
      } else {
        blendOnly(ws, s, so, sByte);
      }
    }
    if (K > 1) {
      // η_k = log π_k − log π_K (η_K = 0), so W̄ᵀx comes free from the E-step.
      const u = ws.u;
      const lastLogPi = ws.logPi[K - 1];
      let sumEta = 0;
      for (let k = 0; k < K - 1; k++) sumEta += ws.logPi[k] - lastLogPi;
      let U = 0;
      for (let k = 0; k < K - 1; k++) {
        const eta = ws.logPi[k] - lastLogPi;
        const uk = tau[k] - Math.exp(ws.logPi[k]) + 0.5 * (eta - sumEta / K);
        u[k] = uk;
        U += uk;
        const o = S.G1 + k * p;
        const c = b * uk;
        for (let i = 0; i < p; i++) s[o + i] = a * s[o + i] + c * xb[i];
      }
      sc[PASS_SA] = a;
      sc[PASS_SB] = b;
      if (F.valid[G] === 1) {
        if (smStep(F, ws, G, s, S.G2, sByte) && sc[SC_CD] !== 0) {
          const cd = sc[SC_CD];
          // w_k += (c_G/δ_G)(2(u_k + U) − xᵀw_k) h_G
          const Wc = F.W;
          for (let k = 0; k < K - 1; k++) {
            const wo = k * p;
            let eta = 0;
            for (let i = 0; i < p; i++) eta += xb[i] * Wc[wo + i];
            const coef = cd * (2 * (u[k] + U) - eta);
            for (let i = 0; i < p; i++) Wc[wo + i] += coef * h[i];
          }
        }
      } else {
        blendOnly(ws, s, S.G2, sByte);
      }
    } else {
      sc[PASS_SA] = a;
      sc[PASS_SB] = b;
      blendOnly(ws, s, S.G2, sByte);
    }
    for (let k = 0; k < K; k++) F.s0[k] = s[S.s0 + k];
  }

  /** M_f ← (RᵀR)⁻¹ from the Cholesky factor in ws.R. */
  function inverseInto(ws: MoeFastWorkspace, F: MoeFastState, f: number): void {
    const kern = ws.kernels;
    if (kern !== null) kern.inverse(p, ws.R.byteOffset, ws.T.byteOffset, F.M.byteOffset + 8 * f * P);
    else spdInverseFromChol(p, ws.R, 0, ws.T, F.M, f * P);
  }

  /**
   * Exact M-step of expert k from s (the exact surrogate's code), rebuilding its factor. For K = 1,
   * Sxx_1 is G2: a ridge there means s is outside the valid set, so θ is left untouched.
   */
  function refactorExpert(F: MoeFastState, k: number, s: Float64Array, theta: Float64Array, ws: MoeFastWorkspace): boolean {
    const { R, rhs } = ws;
    const s0 = s[S.s0 + k];
    const so = S.Sxx + k * p * p;
    F.refactors++;
    F.valid[k] = 0;
    const ridge = cholWithRidge(p, s, so, R, 0);
    if (ridge !== 0) ws.ridged[0]++;
    if (ridge < 0 || (K === 1 && ridge !== 0)) return false;
    for (let j = 0; j < q; j++) {
      const kj = k * q + j;
      const xy = S.sxy + kj * p;
      for (let i = 0; i < p; i++) rhs[i] = s[xy + i];
      cholSolve(p, R, 0, rhs, 0);
      const bo = L.beta + kj * p;
      for (let i = 0; i < p; i++) theta[bo + i] = rhs[i];
      for (let i = 0; i < p; i++) F.beta[kj * p + i] = rhs[i];
      let bxy = 0; // dot(p, rhs, 0, s, xy), inlined: a returned double would be boxed
      for (let i = 0; i < p; i++) bxy += rhs[i] * s[xy + i];
      const rss = ridge === 0 ? s[S.syy + kj] - bxy : s[S.syy + kj] - 2 * bxy + quadFormUpper(p, s, so, rhs, 0, rhs, 0);
      const nu = priorRows * ws.rowWeight[0];
      theta[L.logSigma2 + kj] = Math.log(Math.max((rss + nu * priorVariance) / (s0 + nu), varianceFloor));
    }
    if (ridge === 0) {
      inverseInto(ws, F, k);
      clearPending(F, k);
      F.age[k] = 0;
      F.valid[k] = 1;
    }
    return true;
  }

  /**
   * Exact gate M-step from s, rebuilding the gate factor. False, with θ untouched, when G2 is not
   * numerically positive definite (s outside the valid set; the exact surrogate's rule).
   */
  function refactorGate(F: MoeFastState, s: Float64Array, theta: Float64Array, ws: MoeFastWorkspace): boolean {
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
    inverseInto(ws, F, G);
    clearPending(F, G);
    F.age[G] = 0;
    F.valid[G] = 1;
    return true;
  }

  function mstep(s: Float64Array, theta: Float64Array, ws: MoeFastWorkspace): boolean {
    const F = ws.fast;
    if (F.owner !== s) {
      F.valid.fill(0);
      F.owner = s;
      for (let k = 0; k < K; k++) F.s0[k] = s[S.s0 + k];
    }
    // Gate (and validity) first: when G2 is not positive definite nothing is written.
    if (K > 1) {
      if (F.valid[G] === 1 && F.age[G] < refactorEvery) {
        const n = (K - 1) * p;
        for (let i = 0; i < n; i++) theta[L.gate + i] = F.W[i];
      } else if (!refactorGate(F, s, theta, ws)) {
        return false;
      }
    }
    // Experts.
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
          theta[L.logSigma2 + kj] = Math.log(Math.max((s[S.syy + kj] - bxy + nuSigma0) / (s0 + nu), varianceFloor));
        }
      } else if (!refactorExpert(F, k, s, theta, ws)) {
        ok = false;
      }
    }
    return ok;
  }

  function exportFastState(ws: MoeFastWorkspace): MoeFastSnapshot {
    const F = ws.fast;
    return {
      M: Array.from(F.M), g: Array.from(F.g), alpha: Array.from(F.alpha), kappa: Array.from(F.kappa),
      beta: Array.from(F.beta), W: Array.from(F.W), valid: Array.from(F.valid), age: Array.from(F.age),
      refactors: F.refactors, guardTrips: F.guardTrips,
    };
  }

  function numbers(v: unknown, n: number, what: string, target: Float64Array | Uint8Array): void {
    if (!Array.isArray(v) || v.length !== n) throw new RangeError(`fast ISMM state: ${what} must be an array of ${n} numbers`);
    for (let i = 0; i < n; i++) {
      const e = v[i];
      if (typeof e !== "number" || !Number.isFinite(e)) throw new RangeError(`fast ISMM state: ${what}[${i}] must be a finite number`);
      target[i] = e;
    }
  }

  function importFastState(ws: MoeFastWorkspace, snap: unknown, s: Float64Array): void {
    if (typeof snap !== "object" || snap === null) throw new RangeError("fast ISMM state must be an object");
    const o = snap as Record<string, unknown>;
    const F = ws.fast;
    numbers(o.M, F.M.length, "M", F.M);
    numbers(o.g, F.g.length, "g", F.g);
    numbers(o.alpha, F.alpha.length, "alpha", F.alpha);
    numbers(o.kappa, F.kappa.length, "kappa", F.kappa);
    numbers(o.beta, F.beta.length, "beta", F.beta);
    numbers(o.W, F.W.length, "W", F.W);
    numbers(o.age, F.age.length, "age", F.age);
    numbers(o.valid, F.valid.length, "valid", F.valid);
    for (let f = 0; f <= K; f++) if (F.valid[f] > 1) throw new RangeError("fast ISMM state: valid flags must be 0 or 1");
    F.refactors = typeof o.refactors === "number" ? o.refactors : 0;
    F.guardTrips = typeof o.guardTrips === "number" ? o.guardTrips : 0;
    F.owner = s;
    for (let k = 0; k < K; k++) F.s0[k] = s[S.s0 + k];
  }

  function inverseErrors(ws: MoeFastWorkspace, s: Float64Array): number[] {
    const F = ws.fast;
    const out: number[] = [];
    const R = new Float64Array(p * p);
    const T = new Float64Array(p * p);
    const exactInv = new Float64Array(P);
    const cur = new Float64Array(P);
    for (let f = 0; f <= K; f++) {
      if (F.valid[f] !== 1 || (f === G && K === 1)) {
        out.push(NaN);
        continue;
      }
      const so = f < K ? S.Sxx + f * p * p : S.G2;
      if (cholWithRidge(p, s, so, R, 0) !== 0) {
        out.push(NaN);
        continue;
      }
      spdInverseFromChol(p, R, 0, T, exactInv, 0);
      cur.set(F.M.subarray(f * P, (f + 1) * P));
      smFlush(p, cur, 0, F.g, f * p, F.alpha[f], F.kappa[f]);
      let num = 0;
      let den = 0;
      for (let i = 0; i < P; i++) {
        num = Math.max(num, Math.abs(cur[i] - exactInv[i]));
        den = Math.max(den, Math.abs(exactInv[i]));
      }
      out.push(num / den);
    }
    return out;
  }

  return Object.freeze({
    name: "moe-gaussian-fast",
    statSize: exact.statSize,
    paramSize: exact.paramSize,
    layout: L,
    stats: S,
    varianceFloor,
    deadTol,
    variancePrior,
    priorVariance,
    refactorEvery,
    maxGain,
    exact,
    createWorkspace,
    accumulate,
    mstep,
    loss: (theta: Float64Array, x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number, ws: MoeFastWorkspace) =>
      exact.loss(theta, x, xo, y, yo, ws),
    objective: (theta: Float64Array, s: Float64Array, ws: MoeFastWorkspace) => exact.objective(theta, s, ws),
    exportFastState,
    importFastState,
    invalidate,
    inverseErrors,
  });
}

