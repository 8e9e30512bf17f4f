/**
 * Layout of the MoE surrogate statistic s (spec §3.2), one flat Float64Array.
 *
 * | block | shape      | per-row value S̄(θ̄; x, y)                    |
 * |-------|------------|---------------------------------------------|
 * | s0    | K          | τ_k                                         |
 * | syy   | K × q      | τ_k y_j²                                    |
 * | sxy   | K × q × p  | τ_k y_j x                                   |
 * | Sxx   | K × p × p  | τ_k x xᵀ        (upper triangle stored)     |
 * | G1    | (K−1) × p  | u_k x,  u = (τ − π̄)_{1:K−1} + A W̄ᵀx          |
 * | G2    | p × p      | x xᵀ            (upper triangle stored)     |
 * | syx   | K × q(q−1)/2 | τ_k y_j y_i, i < j  (full covariance only)  |
 *
 * with A = ½(I_{K−1} − 11ᵀ/K) (Böhning's bound on the softmax Hessian).
 * Note G2 = Σ_k Sxx_k along the whole recursion (Σ τ_k = 1, shared γ); it is stored anyway so
 * the gate has its own Gram matrix (and its own inverse in the fast path).
 *
 * With `covariance: "full"` the block syx completes the weighted response cross-products: Syy_k
 * (q × q) has diagonal syy_k and off-diagonal entries syx_k, stored like the chol block of θ (row j,
 * column i < j at syx + k·q(q−1)/2 + j(j−1)/2 + i). It comes last, so every other offset is the
 * same for both covariance structures (docs/COVARIANCE.md).
 */
import type { MoeLayout } from "../model/dims.js";

export interface MoeStatLayout {
  readonly s0: number;
  readonly syy: number;
  readonly sxy: number;
  readonly Sxx: number;
  readonly G1: number;
  readonly G2: number;
  /** Off-diagonal response cross-products (K·nChol entries, empty for a diagonal model). */
  readonly syx: number;
  readonly size: number;
}

export function moeStatLayout(L: MoeLayout): MoeStatLayout {
  const { K, q, p } = L;
  const s0 = 0;
  const syy = s0 + K;
  const sxy = syy + K * q;
  const Sxx = sxy + K * q * p;
  const G1 = Sxx + K * p * p;
  const G2 = G1 + (K - 1) * p;
  const syx = G2 + p * p;
  const size = syx + K * L.nChol;
  return Object.freeze({ s0, syy, sxy, Sxx, G1, G2, syx, size });
}
