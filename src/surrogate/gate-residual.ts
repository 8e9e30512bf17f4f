/**
 * The gate coefficients of the MoE surrogate's statistic (spec §3, Böhning's bound on the softmax):
 * for one row with responsibilities τ and log gate probabilities log π at θ,
 *
 *   u_k = τ_k − π_k + ½(η_k − (1/K) Σ_{l<K} η_l),   η_k = log π_k − log π_K   (k < K),
 *
 * where ½(η_k − mean η) = (A Wᵀx)_k with A = ½(I − 11ᵀ/K) (η_K = 0), free from the E-step. The
 * statistic adds u_k x to G1_k. One formula for the exact, fast and blocked statistics and for
 * batch EM's MM gate step, so all four give the same bits.
 */

/** Writes u[0..K−2] from logPi[0..K−1] and tau[to..to+K−1]. */
export function gateResiduals(K: number, logPi: Float64Array, tau: ArrayLike<number>, to: number, u: Float64Array): void {
  const last = logPi[K - 1];
  let sumEta = 0;
  for (let k = 0; k < K - 1; k++) sumEta += logPi[k] - last;
  for (let k = 0; k < K - 1; k++) u[k] = tau[to + k] - Math.exp(logPi[k]) + 0.5 * (logPi[k] - last - sumEta / K);
}
