/** Test vectors of ALGORITHM.md §8, shared by several test files. */
import { moeLayout } from "../src/model/dims.js";

/** Spec §8 unit-test vector (p = 2, K = 3). W columns are gate vectors, B columns are experts. */
export function specVectorTheta() {
  const L = moeLayout({ K: 3, d: 1, q: 1 });
  const t = new Float64Array(L.size);
  t.set([0.2, 1.0, -0.1, 0.5], L.gate); // w_1 = (0.2, 1.0), w_2 = (−0.1, 0.5)
  t.set([0, 2, 1, -1, -1, 0.5], L.beta); // β_1 = (0, 2), β_2 = (1, −1), β_3 = (−1, 0.5)
  t.set([0.5, 1, 2].map(Math.log), L.logSigma2);
  return { L, t };
}

/** The deterministic batch-MM regression data of §8: n = 200, x_i = −1 + 2i/199. */
export function specRegressionData() {
  const n = 200;
  const X = new Float64Array(n * 2);
  const Y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = -1 + (2 * i) / 199;
    X[2 * i] = 1;
    X[2 * i + 1] = x;
    Y[i] = (x > 0 ? 2.5 : -2.5) * x + 0.5 * Math.sin(7 * i);
  }
  const L = moeLayout({ K: 3, d: 1, q: 1 });
  const theta0 = new Float64Array(L.size);
  theta0.set([0, 1, 0, -1], L.gate); // W0 = [[0,0],[1,−1]]: w_1 = (0, 1), w_2 = (0, −1)
  theta0.set([0.1, 1, 0, 0, -0.1, -1], L.beta); // B0 columns
  theta0.set([0, 0, 0], L.logSigma2); // σ²0 = 1
  return { L, X, Y, n, theta0 };
}
