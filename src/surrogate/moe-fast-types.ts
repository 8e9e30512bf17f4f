/**
 * Types and constants of the O(K p²) ISMM path (surrogate/moe-fast.ts): its options, its carried
 * state, its workspace, and the `FastPlan` — the model's sizes and safeguards that every step of
 * the fast path reads.
 */
import type { HeapKernels } from "../core/heap-kernels.js";
import type { SimdKernels } from "../core/wasm/simd.js";
import type { JsonDouble } from "../core/json-doubles.js";
import { PASS_SLOTS, packedSize } from "../core/sherman-morrison.js";
import type { MoeLayout } from "../model/dims.js";
import type { MoeSurrogate, MoeSurrogateOptions, MoeWorkspace } from "./moe.js";
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
export const SC_CD = PASS_SLOTS; // c/δ of the last successful Sherman–Morrison step
export const SC_A = PASS_SLOTS + 1; // blend weight a of the current row
export const SC_B = PASS_SLOTS + 2; // blend weight b of the current row
export const SC_K0 = PASS_SLOTS + 3; // first scalar argument of the SIMD axpby / carry kernels
export const SC_K1 = PASS_SLOTS + 4; // second scalar argument
export const SC_SIZE = PASS_SLOTS + 5;

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
  /** One buffer holding M, g, h, x, β, W (and, with `createWorkspace(true)`, a statistic vector). */
  readonly heap: ArrayBuffer;
  /** Kernels linked to `heap`: WebAssembly SIMD or asm.js (null: the TypeScript kernels are used). */
  readonly kernels: HeapKernels | null;
  /** Whether `kernels` run the WebAssembly SIMD pass and blend (core/heap-kernels.ts createKernelHeap). */
  readonly simd: boolean;
  /** The SIMD kernels (also the O(p) blends and carries) when `simd`, else null. */
  readonly simdKernels: SimdKernels | null;
  /**
   * Scalars passed through memory instead of as arguments/return values (V8 boxes a double that
   * crosses a call it does not inline): the pass block PASS_* (sa, sb, α, κ, min diag), then
   * c/δ, the row loss, and the blend weights (a, b) of the current row.
   */
  readonly sc: Float64Array;
  readonly xb: Float64Array; // p: the design row (view on heap)
  readonly h: Float64Array; // p: M x for the current factor (view on heap)
  readonly T: Float64Array; // p×p: R⁻¹ at refactorization (view on heap; so is R)
  /** A statistic vector inside `heap` (zeroed), or null. Rows blended into it use the asm kernels. */
  readonly statistic: Float64Array | null;
  readonly fast: MoeFastState;
}

/** Plain-JSON snapshot of `MoeFastState` (numbers round-trip doubles exactly). */
export interface MoeFastSnapshot {
  readonly M: JsonDouble[];
  readonly g: JsonDouble[];
  readonly alpha: JsonDouble[];
  readonly kappa: JsonDouble[];
  readonly beta: JsonDouble[];
  readonly W: JsonDouble[];
  readonly valid: JsonDouble[];
  readonly age: JsonDouble[];
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

/** What every step of the fast path reads: sizes, layouts and safeguards, fixed at construction. */
export interface FastPlan {
  readonly L: MoeLayout;
  readonly S: MoeStatLayout;
  readonly K: number;
  readonly q: number;
  readonly p: number;
  /** Packed size p(p+1)/2 of one inverse. */
  readonly P: number;
  /** Index of the gate factor (= K). */
  readonly G: number;
  readonly refactorEvery: number;
  readonly maxGain: number;
  readonly varianceFloor: number;
  readonly deadTol: number;
  /** c·p, the MAP variance prior's rows per expert (surrogate/moe.ts). */
  readonly priorRows: number;
  readonly priorVariance: number;
}

/** The plan of `exact` (the reference surrogate) with the fast path's own options, validated. */
export function makeFastPlan(exact: MoeSurrogate, options: MoeFastOptions): FastPlan {
  const refactorEvery = options.refactorEvery ?? DEFAULT_REFACTOR_EVERY;
  const maxGain = options.maxGain ?? DEFAULT_MAX_GAIN;
  if (!(refactorEvery >= 1)) throw new RangeError(`refactorEvery must be ≥ 1, got ${refactorEvery}`);
  if (!(maxGain > 0)) throw new RangeError(`maxGain must be > 0, got ${maxGain}`);
  const L = exact.layout;
  return Object.freeze({
    L, S: exact.stats, K: L.K, q: L.q, p: L.p, P: packedSize(L.p), G: L.K, refactorEvery, maxGain,
    varianceFloor: exact.varianceFloor, deadTol: exact.deadTol, priorRows: exact.priorRows, priorVariance: exact.priorVariance,
  });
}
