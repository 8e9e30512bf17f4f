/**
 * Shape and flat parameter layout of the softmax-gated Gaussian mixture of experts.
 *
 * Design vector x = (1, x_1..x_d) ∈ R^p, p = d + 1 (the library adds the intercept).
 * θ is ONE Float64Array, shared by the MM updates and the gradient optimizers:
 *
 * | block     | offset        | shape        | meaning                                           |
 * |-----------|---------------|--------------|---------------------------------------------------|
 * | gate      | 0             | (K−1) × p    | row k = w_k, gate logit η_k = w_kᵀx; w_K ≡ 0       |
 * | beta      | (K−1)p        | K × q × p    | row (k,j) = β_kj, mean of response j in expert k   |
 * | logSigma2 | (K−1)p + Kqp  | K × q        | v_kj = log σ²_kj (unconstrained)                   |
 *
 * Count: p(K−1) + Kqp + Kq.
 */
import { OptionError } from "../core/errors.js";

/** Dimensions: K experts, d raw inputs (p = d + 1 with the intercept), q responses. */
export interface MoeDims {
  readonly K: number;
  readonly d: number;
  readonly q: number;
}

/** Offsets into θ (see the module table). */
export interface MoeLayout {
  readonly K: number;
  readonly d: number;
  readonly q: number;
  readonly p: number;
  readonly gate: number;
  readonly beta: number;
  readonly logSigma2: number;
  readonly size: number;
}

/** Builds the frozen layout for `dims`, validating them. */
export function moeLayout(dims: MoeDims): MoeLayout {
  const { K, d, q } = dims;
  if (!Number.isInteger(K) || K < 1) throw new OptionError(`The number of experts K must be an int in the range [1, inf). Got ${K} instead`);
  if (!Number.isInteger(d) || d < 0) throw new OptionError(`The number of inputs d must be an int in the range [0, inf). Got ${d} instead`);
  if (!Number.isInteger(q) || q < 1) throw new OptionError(`The number of responses q must be an int in the range [1, inf). Got ${q} instead`);
  const p = d + 1;
  const gate = 0;
  const beta = (K - 1) * p;
  const logSigma2 = beta + K * q * p;
  const size = logSigma2 + K * q;
  return Object.freeze({ K, d, q, p, gate, beta, logSigma2, size });
}

/** Offset of β_kj (length p) in θ. */
export function betaOffset(L: MoeLayout, k: number, j: number): number {
  return L.beta + (k * L.q + j) * L.p;
}
