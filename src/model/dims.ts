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
 * | chol      | … + Kq        | K × q(q−1)/2 | full covariance only: strictly lower entries of C_k |
 *
 * Count: p(K−1) + Kqp + Kq (+ K·q(q−1)/2 with `covariance: "full"`).
 *
 * Full covariance (docs/COVARIANCE.md): Σ_k = C_k C_kᵀ with C_k lower triangular, its diagonal
 * C_k,jj = exp(v_kj / 2) (the log-Cholesky parameterization: v_kj is in the logSigma2 block, so
 * log|Σ_k| = Σ_j v_kj) and its strictly lower entries C_k,ji (i < j) in the chol block, row by row:
 * (1,0), (2,0), (2,1), (3,0), … at chol + k·q(q−1)/2 + j(j−1)/2 + i. With the chol block zero,
 * Σ_k = diag(exp v_k): the diagonal model. For q = 1 the block is empty and both layouts coincide.
 * For a diagonal model v_kj = log σ²_kj; for a full one exp(v_kj) is the conditional variance of
 * y_j given y_1..y_{j−1} within expert k (σ²_k11 for j = 1).
 */
import { OptionError } from "../core/errors.js";

/** Dimensions: K experts, d raw inputs (p = d + 1 with the intercept), q responses. */
export interface MoeDims {
  readonly K: number;
  readonly d: number;
  readonly q: number;
  /** Expert noise covariance: independent targets (default) or a full Σ_k per expert. */
  readonly covariance?: Covariance;
}

/** Expert noise covariance structure. */
export type Covariance = "diagonal" | "full";

/** Offsets into θ (see the module table). */
export interface MoeLayout {
  readonly K: number;
  readonly d: number;
  readonly q: number;
  readonly p: number;
  readonly gate: number;
  readonly beta: number;
  readonly logSigma2: number;
  /** Offset of the chol block (= logSigma2 + Kq; the block is empty unless `full`). */
  readonly chol: number;
  /** Entries of the chol block per expert: q(q−1)/2 when `full`, else 0. */
  readonly nChol: number;
  /** True for `covariance: "full"`. */
  readonly full: boolean;
  readonly covariance: Covariance;
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
  const covariance = dims.covariance ?? "diagonal";
  if (covariance !== "diagonal" && covariance !== "full") throw new OptionError(`covariance must be one of 'diagonal', 'full'. Got ${String(covariance)} instead`);
  const full = covariance === "full";
  const chol = logSigma2 + K * q;
  const nChol = full ? (q * (q - 1)) / 2 : 0;
  const size = chol + K * nChol;
  return Object.freeze({ K, d, q, p, gate, beta, logSigma2, chol, nChol, full, covariance, size });
}

/** Offset of β_kj (length p) in θ. */
export function betaOffset(L: MoeLayout, k: number, j: number): number {
  return L.beta + (k * L.q + j) * L.p;
}

/** Offset in θ of C_k,ji (i < j), the strictly lower Cholesky entry of a full Σ_k. */
export function cholOffset(L: MoeLayout, k: number, j: number, i: number): number {
  return L.chol + k * L.nChol + (j * (j - 1)) / 2 + i;
}
