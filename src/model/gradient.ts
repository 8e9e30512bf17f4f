/**
 * Analytic gradient of the per-row negative log-likelihood of the softmax-gated Gaussian MoE
 * (ALGORITHM.md §2.3), in the flat unconstrained parameterization of `dims.ts`
 * (gate W, coefficients β, log-variances v = log σ²), for q ≥ 1 responses with diagonal covariance.
 * Used by the gradient baselines (SGD, RMSProp, Adam, Sophia) and by Sophia's Gauss–Newton–Bartlett
 * curvature estimate (`sampleFromModel`).
 *
 * With η_k = w_kᵀx (η_K ≡ 0), π = softmax(η), r_kj = y_j − β_kjᵀx, σ²_kj = exp(v_kj) and
 *
 *   f(θ; x, y) = −log Σ_k π_k(x) Π_j N(y_j; β_kjᵀx, σ²_kj) = −LSE_k a_k,
 *   a_k = log π_k − Σ_j [ ½ log(2π) + ½ v_kj + r_kj² / (2σ²_kj) ],   τ = softmax(a),
 *
 * the derivatives are (∂f/∂a_k = −τ_k, ∂a_k/∂η_l = δ_kl − π_l, Σ_k τ_k = 1):
 *
 *   ∂f/∂w_k  = −(τ_k − π_k) x                      k = 1..K−1   (w_K is fixed at 0)
 *   ∂f/∂β_kj = −τ_k (r_kj / σ²_kj) x
 *   ∂f/∂v_kj =  ½ τ_k (1 − r_kj² / σ²_kj)
 *
 * Convention: an expert with τ_k = 0 exactly (its log-joint underflowed) contributes 0 to the
 * β and v blocks — the limit of the formulas — instead of 0·∞ = NaN when r²/σ² overflows.
 */
import type { Rng } from "../core/rng.js";
import type { MoeLayout } from "./dims.js";
import { logGate, rowNll, type RowWorkspace } from "./moe.js";

/**
 * Adds `scale`·∇_θ f(θ; x, y) into `grad` and returns f(θ; x, y) (the gradient is accumulated, not
 * overwritten, so a mini-batch average is `scale = 1/B` over its B rows into a zeroed buffer).
 *
 * Math: see the module header (ALGORITHM.md §2.3). The loss and the responsibilities τ come from
 * `rowNll` in the log domain (max-shifted log-sum-exp), so huge gate logits neither overflow nor
 * lose the winning expert.
 *
 * Cost O(Kqp); allocates nothing. On return ws.logPi = log π(x), ws.mu = expert means β_kjᵀx and
 * ws.a = τ (as left by `rowNll`).
 *
 * @param L layout of θ
 * @param theta flat parameters, length L.size; read only
 * @param x design vector(s); row at x[xo .. xo+p) with x[xo] = 1 (the intercept)
 * @param xo offset of the row in `x`
 * @param y responses; row at y[yo .. yo+q)
 * @param yo offset of the row in `y`
 * @param ws scratch from `createRowWorkspace(L)`; overwritten
 * @param grad length L.size; `scale`·∇f is ADDED to it
 * @param scale weight of this row's gradient (default 1)
 * @returns f(θ; x, y), the row's negative log-likelihood (may be +Infinity if θ is degenerate)
 * @example
 * // ALGORITHM.md §8 unit vector (p = 2, K = 3, q = 1)
 * const L = moeLayout({ K: 3, d: 1, q: 1 });
 * const theta = new Float64Array(L.size);
 * theta.set([0.2, 1.0, -0.1, 0.5], L.gate);          // w_1, w_2
 * theta.set([0, 2, 1, -1, -1, 0.5], L.beta);         // β_1, β_2, β_3
 * theta.set([0.5, 1, 2].map(Math.log), L.logSigma2); // log σ²
 * const g = new Float64Array(L.size);
 * rowNllGrad(L, theta, [1, 0.5], 0, [0.7], 0, createRowWorkspace(L), g); // => 0.9227690506521994
 * g[0]; // => −(τ_1 − π_1)·1 ≈ −0.1434527392
 * @see ALGORITHM.md §2.2–2.3.
 */
export function rowNllGrad(
  L: MoeLayout,
  theta: Float64Array,
  x: ArrayLike<number>,
  xo: number,
  y: ArrayLike<number>,
  yo: number,
  ws: RowWorkspace,
  grad: Float64Array,
  scale = 1,
): number {
  const { K, q, p } = L;
  const f = rowNll(L, theta, x, xo, y, yo, ws);
  const tau = ws.a;
  const logPi = ws.logPi;
  const mu = ws.mu;
  // Gate: ∂f/∂w_k = −(τ_k − π_k) x, k < K.
  for (let k = 0; k < K - 1; k++) {
    const c = -scale * (tau[k] - Math.exp(logPi[k]));
    const o = L.gate + k * p;
    for (let i = 0; i < p; i++) grad[o + i] += c * x[xo + i];
  }
  // Experts: ∂f/∂β_kj = −τ_k (r/σ²) x,  ∂f/∂v_kj = ½ τ_k (1 − r²/σ²).
  for (let k = 0; k < K; k++) {
    const t = tau[k];
    if (t === 0) continue; // exact zero contribution (avoids 0·∞ when r²/σ² overflows)
    for (let j = 0; j < q; j++) {
      const kj = k * q + j;
      const invS2 = Math.exp(-theta[L.logSigma2 + kj]);
      const r = y[yo + j] - mu[kj];
      const rs = r * invS2; // r / σ²
      const c = -scale * t * rs;
      const o = L.beta + kj * p;
      for (let i = 0; i < p; i++) grad[o + i] += c * x[xo + i];
      grad[L.logSigma2 + kj] += scale * 0.5 * t * (1 - r * rs);
    }
  }
  return f;
}

/**
 * Draws ŷ ~ p(· | x; θ) from the model: z ~ Categorical(π(x; W)), then ŷ_j ~ N(β_zjᵀx, σ²_zj)
 * independently for j = 1..q. This is the label sampler of Sophia's Gauss–Newton–Bartlett
 * estimator: E_ŷ[∇f(θ; x, ŷ) ∇f(θ; x, ŷ)ᵀ] is the Fisher (= Gauss–Newton for this likelihood)
 * matrix of the row, so ĝ⊙ĝ with ĝ = ∇f(θ; x, ŷ) estimates its diagonal.
 *
 * Random draws, in this order: one `rng.next()` (inverse-CDF choice of z on the cumulative π),
 * then q `rng.normal()`. Cost O(Kp + qp); allocates nothing.
 *
 * @param L layout of θ
 * @param theta flat parameters; read only
 * @param x design row at x[xo .. xo+p), x[xo] = 1
 * @param xo offset of the row in `x`
 * @param rng source of randomness (advanced)
 * @param yOut receives ŷ in yOut[yo .. yo+q)
 * @param ws scratch from `createRowWorkspace(L)`; ws.logPi is overwritten with log π(x)
 * @param yo offset in `yOut` (default 0)
 * @returns the sampled expert z (0-based)
 * @see H. Liu et al., "Sophia", ICLR 2024, arXiv:2305.14342, Algorithm 2 (GNB estimator).
 */
export function sampleFromModel(
  L: MoeLayout,
  theta: Float64Array,
  x: ArrayLike<number>,
  xo: number,
  rng: Rng,
  yOut: Float64Array,
  ws: RowWorkspace,
  yo = 0,
): number {
  const { K, q, p } = L;
  logGate(L, theta, x, xo, ws.logPi);
  let u = rng.next();
  let z = K - 1; // fallback when rounding leaves u ≥ Σπ
  for (let k = 0; k < K; k++) {
    u -= Math.exp(ws.logPi[k]);
    if (u < 0) {
      z = k;
      break;
    }
  }
  for (let j = 0; j < q; j++) {
    const kj = z * q + j;
    const o = L.beta + kj * p;
    let m = 0;
    for (let i = 0; i < p; i++) m += theta[o + i] * x[xo + i];
    yOut[yo + j] = m + Math.exp(0.5 * theta[L.logSigma2 + kj]) * rng.normal();
  }
  return z;
}
