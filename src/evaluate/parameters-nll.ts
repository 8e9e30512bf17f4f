/**
 * Mean NLL of given parameters on raw data — the reference value "the truth's NLL" of synthetic
 * experiments (excess NLL = a model's NLL − this).
 *
 *   (1/n) Σ_i f(θ; (1, x_i), y_i),   θ from `params` (original units, no scaling)
 */
import { moeLayout } from "../model/dims.js";
import { createRowWorkspace, rowNll } from "../model/moe.js";
import { thetaFromParameters, type MoeParameters } from "../model/parameters.js";

/**
 * @param params K experts' parameters (gate (K−1)×p, beta K×q×p, sigma2 K×q; with `covariance` K×q×q, full Σ_k)
 * @param X n×d raw inputs (row-major, no intercept); Y n×q targets
 * O(nKqp); allocates O(Kqp) once.
 */
export function parametersNll(params: MoeParameters, X: ArrayLike<number>, Y: ArrayLike<number>, n: number): number {
  const K = params.beta.length;
  const q = params.beta[0].length;
  const d = params.beta[0][0].length - 1;
  const L = moeLayout({ K, d, q, covariance: params.covariance !== undefined ? "full" : "diagonal" });
  const theta = thetaFromParameters(L, params);
  const ws = createRowWorkspace(L);
  const x = new Float64Array(L.p);
  let s = 0;
  for (let i = 0; i < n; i++) {
    x[0] = 1;
    for (let a = 0; a < d; a++) x[1 + a] = X[i * d + a];
    s += rowNll(L, theta, x, 0, Y, i * q, ws);
  }
  return s / n;
}
