/**
 * The contract between the generic ISMM engine and a model (spec §1.2, properties P1–P5).
 *
 * A surrogate g(θ; θ̄, z) majorizes the per-row loss f(θ; z), is tight at θ = θ̄ and is linear in
 * a statistic S̄(θ̄; z):
 *
 *   g(θ; θ̄, z) = L(θ; S̄(θ̄; z)) + c(θ̄, z),   L(θ; s) = ψ(θ) − ⟨s, φ(θ)⟩
 *
 * The engine only ever (i) blends statistics `s ← a·s + b·S̄(θ; z)`, (ii) calls the closed-form
 * M-step θ̄(s) = argmin_θ L(θ; s). Because statistics are linear, two accumulators over disjoint
 * streams merge by a weighted average (`mergeStats`).
 *
 * Rows are (x, y) with x and y read at offsets so batch loops over flat matrices allocate nothing.
 */

/** A majorizer of a per-row loss that is linear in a fixed-size statistic. */
export interface Surrogate<W = unknown> {
  /** Human-readable name, e.g. "moe-gaussian". */
  readonly name: string;
  /** Length of the statistic vector s. */
  readonly statSize: number;
  /** Length of the parameter vector θ. */
  readonly paramSize: number;
  /** Scratch buffers for the other methods (allocate once, reuse every row). */
  createWorkspace(): W;
  /**
   * s ← a·s + b·S̄(θ; x, y): with (a, b) = (1 − γ, γ) this is the SA blend s + γ(S̄ − s); with
   * (1, 1/n) it accumulates a batch average. Returns f(θ; x, y), the loss at the anchor, which the
   * E-step computes anyway. Must not allocate.
   */
  accumulate(
    s: Float64Array, a: number, b: number, theta: Float64Array,
    x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number, ws: W,
  ): number;
  /**
   * θ ← θ̄(s) = argmin_θ L(θ; s). Returns false, with θ untouched, when s is outside the valid set S
   * (e.g. a singular Gram matrix during burn-in); validity is checked before anything is written.
   * Must not allocate.
   */
  mstep(s: Float64Array, theta: Float64Array, ws: W): boolean;
  /** The per-row loss f(θ; x, y). */
  loss(theta: Float64Array, x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number, ws: W): number;
  /** L(θ; s), the surrogate up to a θ-free constant (for tests of P1/P5 and descent). */
  objective(theta: Float64Array, s: Float64Array, ws: W): number;
  /**
   * Records the weight of the newest row in s when s was blended outside `accumulate` (mini-batch
   * ISMM blends a batch statistic: each row then weighs Γ/m). Optional: for surrogates whose
   * M-step depends on it (the MoE surrogate's MAP prior, ν = c·p·b).
   */
  setRowWeight?(ws: W, b: number): void;
}

/** s ← s + γ (t − s) over the whole statistic vector. O(statSize). */
export function blendStats(s: Float64Array, t: Float64Array, gamma: number): void {
  for (let i = 0; i < s.length; i++) s[i] += gamma * (t[i] - s[i]);
}

/**
 * Merges two average-statistics over disjoint row sets of weights wa and wb (e.g. row counts):
 * out = (wa·sa + wb·sb)/(wa + wb). Exact because S̄ enters linearly (River `Var.__iadd__`).
 */
export function mergeStats(out: Float64Array, sa: Float64Array, wa: number, sb: Float64Array, wb: number): void {
  const w = wa + wb;
  for (let i = 0; i < out.length; i++) out[i] = (wa * sa[i] + wb * sb[i]) / w;
}
