/**
 * The softmax-gated Gaussian MoE (spec §2), evaluated in the log domain.
 *
 *   π_k(x) = softmax_k(η),  η_k = w_kᵀx (η_K = 0)
 *   y_j | x, k ~ N(β_kjᵀx, σ²_kj)  independently over j = 1..q   (diagonal covariance)
 *   f(θ; x, y) = −log Σ_k π_k(x) Π_j N(y_j; β_kjᵀx, σ²_kj) = −LSE_k a_k
 *   a_k = log π_k − Σ_j [ ½log(2πσ²_kj) + (y_j − β_kjᵀx)²/(2σ²_kj) ]
 *   τ_k = softmax_k(a)   (responsibilities)
 *
 * With `covariance: "full"` (model/dims.ts) y | x, k ~ N_q(B_kᵀx, Σ_k) and the expert term of a_k is
 * evaluated through the Cholesky factor of Σ_k (model/full-covariance.ts, docs/COVARIANCE.md).
 *
 * All kernels take the design vector x (length p, x[0] = 1) and write into caller-owned buffers;
 * none allocates.
 */
import { HALF_LOG_2PI, logSumExp } from "../core/logsumexp.js";
import type { MoeLayout } from "./dims.js";
import { fullFallbackExpert, fullJointLogs } from "./full-covariance.js";

/**
 * logPi[0..K) ← log π_k(x; W). O(Kp). Returns nothing; `logPi` is overwritten.
 */
export function logGate(L: MoeLayout, theta: Float64Array, x: ArrayLike<number>, xo: number, logPi: Float64Array): void {
  const { K, p } = L;
  for (let k = 0; k < K - 1; k++) {
    let s = 0;
    const o = L.gate + k * p;
    for (let i = 0; i < p; i++) s += theta[o + i] * x[xo + i];
    logPi[k] = s;
  }
  logPi[K - 1] = 0;
  const lse = logSumExp(logPi, 0, K);
  for (let k = 0; k < K; k++) logPi[k] -= lse;
}

/** mu[k·q + j] ← β_kjᵀx. O(Kqp). */
export function expertMeans(L: MoeLayout, theta: Float64Array, x: ArrayLike<number>, xo: number, mu: Float64Array): void {
  const { K, q, p } = L;
  for (let kj = 0; kj < K * q; kj++) {
    const o = L.beta + kj * p;
    let s = 0;
    for (let i = 0; i < p; i++) s += theta[o + i] * x[xo + i];
    mu[kj] = s;
  }
}

/** Scratch buffers for the row kernels; allocate once per model with `createRowWorkspace`. */
export interface RowWorkspace {
  readonly logPi: Float64Array; // K
  readonly mu: Float64Array; // K·q
  readonly a: Float64Array; // K  (log joint, then responsibilities)
  readonly loss: Float64Array; // 1  (f of the last `rowPosterior`)
  readonly z: Float64Array; // q  (whitened residual, full covariance)
  readonly sig: Float64Array; // q·q  (an expert's Σ_k, full covariance)
  readonly u: Float64Array; // K−1  (the surrogate's gate coefficients u_k, surrogate/gate-residual.ts)
}

export function createRowWorkspace(L: MoeLayout): RowWorkspace {
  return {
    logPi: new Float64Array(L.K), mu: new Float64Array(L.K * L.q), a: new Float64Array(L.K), loss: new Float64Array(1),
    z: new Float64Array(L.q), sig: new Float64Array(L.q * L.q), u: new Float64Array(Math.max(L.K - 1, 0)),
  };
}

/**
 * The E-step of one row: f(θ; x, y) into ws.loss[0], log π in ws.logPi, means in ws.mu and the
 * responsibilities τ in ws.a. O(Kqp), allocates nothing.
 *
 * It takes and returns no double, and its log-sum-exps are written inline (same arithmetic as
 * `logSumExp`): V8 boxes a double that crosses a call it does not inline, and this function is
 * too large to be inlined into the per-row updates that call it (ISMM's fast path, the surrogates).
 *
 * Overflow: the residual enters standardized, z = r·e^(−v/2), so r² never forms on its own. If a
 * row is so far from every expert that every joint density underflows (a_k = −∞ for all k), τ
 * goes to the expert with the smallest standardized residual (the limit of the softmax) and the
 * loss is +∞ — finite responsibilities, never NaN.
 */
export function rowPosterior(
  L: MoeLayout, theta: Float64Array, x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number, ws: RowWorkspace,
): void {
  const { K, q, p } = L;
  const { logPi, mu, a } = ws;
  for (let k = 0; k < K - 1; k++) {
    let s = 0;
    const o = L.gate + k * p;
    for (let i = 0; i < p; i++) s += theta[o + i] * x[xo + i];
    logPi[k] = s;
  }
  logPi[K - 1] = 0;
  let m = -Infinity;
  for (let k = 0; k < K; k++) {
    const v = logPi[k];
    if (v > m || Number.isNaN(v)) m = v;
  }
  let lse = m;
  if (Number.isFinite(m)) {
    let acc = 0;
    for (let k = 0; k < K; k++) acc += Math.exp(logPi[k] - m);
    lse = m + Math.log(acc);
  }
  for (let k = 0; k < K; k++) logPi[k] -= lse;
  expertMeans(L, theta, x, xo, mu);
  if (L.full) fullJointLogs(L, theta, y, yo, ws);
  else for (let k = 0; k < K; k++) {
    let s = logPi[k];
    for (let j = 0; j < q; j++) {
      const v = theta[L.logSigma2 + k * q + j];
      const z = (y[yo + j] - mu[k * q + j]) * Math.exp(-0.5 * v);
      s -= HALF_LOG_2PI + 0.5 * v + 0.5 * z * z;
    }
    a[k] = s;
  }
  m = -Infinity;
  for (let k = 0; k < K; k++) {
    const v = a[k];
    if (v > m || Number.isNaN(v)) m = v;
  }
  let ll = m;
  if (Number.isFinite(m)) {
    let acc = 0;
    for (let k = 0; k < K; k++) acc += Math.exp(a[k] - m);
    ll = m + Math.log(acc);
    for (let k = 0; k < K; k++) a[k] = Math.exp(a[k] - ll);
    ws.loss[0] = -ll;
    return;
  }
  // Every joint density underflowed: the expert with the smallest Σ_j (log|r_kj| − v_kj/2) takes the row.
  let best = 0;
  if (L.full) best = fullFallbackExpert(L, theta, y, yo, ws); // Σ_j log|z_kj|, the whitened residual
  else {
    let bestScore = Infinity;
    for (let k = 0; k < K; k++) {
      let score = 0;
      for (let j = 0; j < q; j++) score += Math.log(Math.abs(y[yo + j] - mu[k * q + j])) - 0.5 * theta[L.logSigma2 + k * q + j];
      if (score < bestScore) {
        bestScore = score;
        best = k;
      }
    }
  }
  for (let k = 0; k < K; k++) a[k] = k === best ? 1 : 0;
  ws.loss[0] = Number.isNaN(m) ? NaN : Infinity;
}

/**
 * Per-row negative log-likelihood f(θ; x, y): `rowPosterior`, returning the loss (a wrapper small
 * enough to be inlined). Leaves log π, μ and τ in ws as `rowPosterior` does.
 */
export function rowNll(
  L: MoeLayout, theta: Float64Array, x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number, ws: RowWorkspace,
): number {
  rowPosterior(L, theta, x, xo, y, yo, ws);
  return ws.loss[0];
}

/**
 * Predictive moments of y | x:
 *   mean_j = Σ_k π_k μ_kj,   var_j = Σ_k π_k (σ²_kj + μ_kj²) − mean_j²
 * Writes mean[0..q), variance[0..q); leaves π in ws.a (probabilities) and μ in ws.mu.
 * Returns the MAP expert argmax_k π_k(x) (the gate's choice; y is unknown at prediction time).
 */
export function predictMoments(
  L: MoeLayout, theta: Float64Array, x: ArrayLike<number>, xo: number, ws: RowWorkspace, mean: Float64Array, variance: Float64Array,
): number {
  const { K, q } = L;
  logGate(L, theta, x, xo, ws.logPi);
  expertMeans(L, theta, x, xo, ws.mu);
  let best = 0;
  for (let k = 0; k < K; k++) {
    ws.a[k] = Math.exp(ws.logPi[k]);
    if (ws.logPi[k] > ws.logPi[best]) best = k;
  }
  for (let j = 0; j < q; j++) {
    let m = 0;
    let m2 = 0;
    for (let k = 0; k < K; k++) {
      const mu = ws.mu[k * q + j];
      m += ws.a[k] * mu;
      let s2 = Math.exp(theta[L.logSigma2 + k * q + j]);
      if (L.full) {
        // (Σ_k)_jj = Σ_{i≤j} C_ji²: the conditional variance plus the strictly lower row of C_k.
        const ro = L.chol + k * L.nChol + ((j * (j - 1)) >> 1);
        for (let i = 0; i < j; i++) s2 += theta[ro + i] * theta[ro + i];
      }
      m2 += ws.a[k] * (s2 + mu * mu);
    }
    mean[j] = m;
    // Law of total variance; the max guards the tiny negative rounding when one expert dominates.
    variance[j] = Math.max(m2 - m * m, 0);
  }
  return best;
}

/**
 * Mean NLL over n rows (X: n×p design rows with the intercept, Y: n×q), i.e. (1/n) Σ_i f(θ; x_i, y_i). O(nKqp).
 */
export function meanNll(L: MoeLayout, theta: Float64Array, X: Float64Array, Y: Float64Array, n: number, ws: RowWorkspace): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += rowNll(L, theta, X, i * L.p, Y, i * L.q, ws);
  return s / n;
}
