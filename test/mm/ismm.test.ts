/** The generic ISMM engine: SA statistics vs batch averages, merge, K = 1 = OLS, a second model (logistic). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { moeLayout } from "../../src/model/dims.js";
import { moeSurrogate } from "../../src/surrogate/moe.js";
import { logisticSurrogate } from "../../src/surrogate/logistic.js";
import { mergeStats } from "../../src/surrogate/types.js";
import { ismmInit, ismmStep, type IsmmConfig } from "../../src/mm/ismm.js";
import { batchStats, batchMM } from "../../src/mm/batch-mm.js";
import { createRng } from "../../src/core/rng.js";
import { assertAllClose, assertClose } from "../helpers.js";

function designRows(n: number, d: number, seed: number) {
  const rng = createRng(seed);
  const X = new Float64Array(n * (d + 1));
  const Y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    X[i * (d + 1)] = 1;
    let lin = 0.5;
    for (let a = 0; a < d; a++) {
      const v = rng.normal();
      X[i * (d + 1) + 1 + a] = v;
      lin += (a + 1) * v * (i % 2 === 0 ? 1 : -1);
    }
    Y[i] = lin + 0.3 * rng.normal();
  }
  return { X, Y };
}

test("with θ held fixed and γ_n = 1/n the SA statistic equals the batch average", () => {
  const L = moeLayout({ K: 3, d: 2, q: 1 });
  const sur = moeSurrogate(L);
  const n = 500;
  const { X, Y } = designRows(n, 2, 1);
  const theta = new Float64Array(L.size).map((_, i) => 0.1 * Math.sin(i + 1));
  // burnIn ≥ n ⇒ γ_n = 1/n and no M-step: θ stays fixed.
  const cfg: IsmmConfig = { schedule: { gamma0: 1, alpha: 0.6 }, burnIn: n, averageFrom: null };
  const st = ismmInit(sur, theta);
  const ws = sur.createWorkspace();
  for (let i = 0; i < n; i++) ismmStep(sur, cfg, st, X, i * L.p, Y, i, ws);
  const ref = new Float64Array(sur.statSize);
  batchStats(sur, theta, X, L.p, Y, 1, n, ref);
  assertAllClose(st.s, ref, 1e-13, 1e-11); // two summation orders of 500 terms: ~1e-14 relative
  assertAllClose(st.theta, theta, 0);
});

test("merging the statistics of two halves equals the statistics of the whole stream", () => {
  const L = moeLayout({ K: 2, d: 3, q: 1 });
  const sur = moeSurrogate(L);
  const { X, Y } = designRows(300, 3, 2);
  const theta = new Float64Array(L.size).map((_, i) => 0.2 * Math.cos(i));
  const a = new Float64Array(sur.statSize);
  const b = new Float64Array(sur.statSize);
  const all = new Float64Array(sur.statSize);
  batchStats(sur, theta, X.subarray(0, 100 * L.p), L.p, Y.subarray(0, 100), 1, 100, a);
  batchStats(sur, theta, X.subarray(100 * L.p), L.p, Y.subarray(100), 1, 200, b);
  batchStats(sur, theta, X, L.p, Y, 1, 300, all);
  const merged = new Float64Array(sur.statSize);
  mergeStats(merged, a, 100, b, 200);
  assertAllClose(merged, all, 1e-13, 1e-12);
});

test("K = 1: one M-step on the batch statistic is ordinary least squares", () => {
  const L = moeLayout({ K: 1, d: 2, q: 1 });
  const sur = moeSurrogate(L);
  const n = 50;
  const { X, Y } = designRows(n, 2, 3);
  const th = new Float64Array(L.size);
  batchMM(sur, th, X, 3, Y, 1, n, { maxIter: 1, tol: 0 });
  // OLS by the normal equations solved by hand with Cramer's rule on XᵀX (3×3).
  const A = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  const b = [0, 0, 0];
  for (let i = 0; i < n; i++) for (let r = 0; r < 3; r++) {
    b[r] += X[i * 3 + r] * Y[i];
    for (let c = 0; c < 3; c++) A[r * 3 + c] += X[i * 3 + r] * X[i * 3 + c];
  }
  const det3 = (m: number[]) => m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
  const D = det3(A);
  const beta = [0, 1, 2].map((c) => det3(A.map((v, idx) => (idx % 3 === c ? b[Math.floor(idx / 3)] : v))) / D);
  assertAllClose(th.subarray(L.beta, L.beta + 3), beta, 1e-10, 1e-10); // Cramer vs Cholesky: cond(XᵀX) ≈ 10
  let rss = 0;
  for (let i = 0; i < n; i++) {
    const r = Y[i] - beta[0] - beta[1] * X[i * 3 + 1] - beta[2] * X[i * 3 + 2];
    rss += r * r;
  }
  assertClose(Math.exp(th[L.logSigma2]), rss / n, 1e-12, 1e-9); // ML variance RSS/n
});

test("the same engine runs a second model: online MM for logistic regression reaches the MLE", () => {
  const p = 3;
  const sur = logisticSurrogate(p);
  const rng = createRng(11);
  const wTrue = [-0.5, 1.5, -1];
  const N = 4000;
  const X = new Float64Array(N * p);
  const Y = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    X[i * p] = 1;
    X[i * p + 1] = rng.normal();
    X[i * p + 2] = rng.normal();
    const z = wTrue[0] + wTrue[1] * X[i * p + 1] + wTrue[2] * X[i * p + 2];
    Y[i] = rng.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  // Batch MM to convergence = the MLE (the objective is convex).
  const mle = new Float64Array(p);
  const rb = batchMM(sur, mle, X, p, Y, 1, N, { maxIter: 5000, tol: 1e-14 });
  assert.deepEqual(rb.violations, []);
  // 10 epochs of streaming ISMM over the rows in a seeded random order.
  const cfg: IsmmConfig = { schedule: { gamma0: 1, alpha: 0.6 }, burnIn: 20, averageFrom: 2 * N };
  const st = ismmInit(sur, new Float64Array(p));
  const ws = sur.createWorkspace();
  const order = createRng(12);
  for (let e = 0; e < 10; e++) for (let r = 0; r < N; r++) {
    const i = order.int(N);
    ismmStep(sur, cfg, st, X, i * p, Y, i, ws);
  }
  // Distance to the MLE: SA noise after 4e4 steps with averaging is ~1e-2 on O(1) coefficients.
  for (let i = 0; i < p; i++) assertClose(st.thetaAvg[i], mle[i], 0.05);
  let fIsmm = 0;
  let fMle = 0;
  for (let i = 0; i < N; i++) {
    fIsmm += sur.loss(st.thetaAvg, X, i * p, Y, i, ws);
    fMle += sur.loss(mle, X, i * p, Y, i, ws);
  }
  // Excess mean loss is second order in the distance: ≤ 1e-3 nats.
  assert.ok(fIsmm / N - fMle / N < 1e-3, `excess ${fIsmm / N - fMle / N}`);
});
