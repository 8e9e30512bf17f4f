/** Batch references: the spec's deterministic batch-MM regression test, monotone descent of MM and EM. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { moeSurrogate } from "../../src/surrogate/moe.js";
import { batchMM } from "../../src/mm/batch-mm.js";
import { batchEM } from "../../src/mm/batch-em.js";
import { moeLayout } from "../../src/model/dims.js";
import { sampleSynthetic, randomMoeSpec } from "../../src/stream/synthetic.js";
import { createRng } from "../../src/core/rng.js";
import { specRegressionData } from "../spec-vectors.js";
import { assertAllClose, assertClose } from "../helpers.js";

test("spec §8 batch-MM regression test reproduces to 1e-10", () => {
  const { L, X, Y, n, theta0 } = specRegressionData();
  const sur = moeSurrogate(L, { varianceFloor: 1e-300 });
  const th = theta0.slice();
  const r = batchMM(sur, th, X, 2, Y, 1, n, { maxIter: 50, tol: 0 });
  // Spec values are printed to 10 decimals: compare at 1e-10.
  assertClose(r.history[0], 1.7173642696, 1e-10);
  assertClose(r.history[1], 0.8305211348, 1e-10);
  assertClose(r.history[2], 0.664676441, 1e-10);
  assertClose(r.history[10], 0.4443278011, 1e-10);
  assertClose(r.history[50], 0.3952708208, 1e-10);
  assert.deepEqual(r.violations, []);
  const one = theta0.slice();
  batchMM(sur, one, X, 2, Y, 1, n, { maxIter: 1, tol: 0 });
  assertAllClose(one.subarray(L.gate, L.gate + 4), [0.1384434574, 2.2137437179, -0.1238425969, -0.1660885152], 1e-10);
  assertAllClose(one.subarray(L.beta, L.beta + 6), [0.6914291389, 1.4541709781, 0.8710881908, -0.8492316896, 0.7152999535, -1.4389065858], 1e-10);
  assertAllClose(Array.from(one.subarray(L.logSigma2), Math.exp), [0.2890478793, 0.4284981381, 0.333859893], 1e-10);
});

test("batch MM never increases the NLL, iteration by iteration (several data sets, q = 1 and 2)", () => {
  for (const [K, d, q, seed] of [[2, 1, 1, 1], [3, 3, 1, 2], [4, 2, 2, 3]] as const) {
    const spec = randomMoeSpec(K, d, q, createRng(seed));
    const data = sampleSynthetic(spec, 400, createRng(seed).fork(1));
    const L = moeLayout({ K, d, q });
    const X = new Float64Array(data.n * L.p);
    for (let i = 0; i < data.n; i++) {
      X[i * L.p] = 1;
      for (let a = 0; a < d; a++) X[i * L.p + 1 + a] = data.X[i * d + a];
    }
    const th = new Float64Array(L.size).map(() => 0.5 * createRng(seed + 50).normal());
    const r = batchMM(moeSurrogate(L), th, X, L.p, data.Y, q, data.n, { maxIter: 300, tol: 0 });
    // Slack: 1e-12 relative, the rounding of a mean of 400 terms (sklearn test_monotonic_likelihood).
    for (let t = 1; t < r.history.length; t++) {
      assert.ok(r.history[t] <= r.history[t - 1] + 1e-12 * Math.abs(r.history[t - 1]), `MM increased at ${t}: ${r.history[t - 1]} → ${r.history[t]}`);
    }
    assert.deepEqual(r.violations, []);
  }
});

test("batch EM is monotone and reaches at least batch MM's NLL (EM's Newton gate is the exact M-step)", () => {
  const { L, X, Y, n, theta0 } = specRegressionData();
  const em = theta0.slice();
  const rEm = batchEM(L, em, X, Y, n, { maxIter: 2000 });
  for (let t = 1; t < rEm.history.length; t++) assert.ok(rEm.history[t] <= rEm.history[t - 1] + 1e-12 * Math.abs(rEm.history[t - 1]));
  assert.ok(rEm.converged);
  const mm = theta0.slice();
  const rMm = batchMM(moeSurrogate(L), mm, X, 2, Y, 1, n, { maxIter: 300, tol: 0 });
  // From the same start, EM (exact gate maximization) descends at least as far per iteration
  // budget; after convergence it must not be worse than 300 MM iterations.
  assert.ok(rEm.history.at(-1)! <= rMm.history.at(-1)! + 1e-9);
});

test("batch MM and batch EM agree at convergence from a common start on well-specified data", () => {
  const spec = randomMoeSpec(2, 2, 1, createRng(21), { gateScale: 1.5 });
  const data = sampleSynthetic(spec, 600, createRng(22));
  const L = moeLayout({ K: 2, d: 2, q: 1 });
  const X = new Float64Array(data.n * L.p);
  for (let i = 0; i < data.n; i++) {
    X[i * 3] = 1;
    X[i * 3 + 1] = data.X[2 * i];
    X[i * 3 + 2] = data.X[2 * i + 1];
  }
  const start = new Float64Array(L.size);
  start.set([0, 0.1, -0.1, -1, 1, 0, 1, -1, 0], 0);
  const em = start.slice();
  const mm = start.slice();
  const rEm = batchEM(L, em, X, data.Y, data.n, { maxIter: 3000, tol: 1e-14 });
  const rMm = batchMM(moeSurrogate(L), mm, X, 3, data.Y, 1, data.n, { maxIter: 20000, tol: 1e-15 });
  // Both converge to the same stationary point: NLL to 1e-7 (MM's slow gate tail limits it).
  assertClose(rMm.history.at(-1)!, rEm.history.at(-1)!, 1e-7);
});
