/**
 * The MAP M-step (docs/MAP.md): it minimizes the penalized surrogate L(θ; s) + R_ν(θ), the prior at
 * strength 0 is the MLE M-step exactly (spec §8 vectors), the fast path applies the same prior,
 * and the validity rule leaves θ untouched when the statistic's Gram matrix is singular.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRng } from "../../src/core/rng.js";
import { moeLayout, type MoeLayout } from "../../src/model/dims.js";
import { moeSurrogate } from "../../src/surrogate/moe.js";
import { moeFastSurrogate, type MoeFastOptions } from "../../src/surrogate/moe-fast.js";
import { batchMM } from "../../src/mm/batch-mm.js";
import { specRegressionData } from "../spec-vectors.js";
import { assertAllClose } from "../helpers.js";

/** A statistic averaging n random rows at a random anchor θ̄ (weight b = 1/n per row). */
function randomStatistic(K: number, d: number, q: number, n: number, seed: number, prior: { variancePrior: number; priorVariance: number }) {
  const L = moeLayout({ K, d, q });
  const sur = moeSurrogate(L, prior);
  const ws = sur.createWorkspace();
  const rng = createRng(seed);
  const anchor = new Float64Array(L.size);
  for (let i = 0; i < L.size; i++) anchor[i] = 0.5 * rng.normal();
  const s = new Float64Array(sur.statSize);
  const x = new Float64Array(L.p);
  const y = new Float64Array(q);
  x[0] = 1;
  for (let r = 0; r < n; r++) {
    for (let a = 1; a < L.p; a++) x[a] = rng.normal();
    for (let j = 0; j < q; j++) y[j] = rng.normal() + x[1];
    sur.accumulate(s, 1, 1 / n, anchor, x, 0, y, 0, ws);
  }
  return { L, sur, ws, s, rng };
}

for (const [K, d, q, n] of [[2, 1, 1, 12], [3, 2, 2, 30], [4, 3, 1, 9]] as const) {
  test(`MAP M-step minimizes the penalized surrogate: no perturbation lowers it (K=${K}, d=${d}, q=${q}, n=${n})`, () => {
    // Few rows per expert, so the prior (c·p = 0.5·p rows at weight 1/n) moves σ² visibly.
    const { L, sur, ws, s, rng } = randomStatistic(K, d, q, n, 7 + K, { variancePrior: 0.5, priorVariance: 0.3 });
    const theta = new Float64Array(L.size);
    assert.ok(sur.mstep(s, theta, ws));
    const best = sur.objective(theta, s, ws);
    for (let t = 0; t < 300; t++) {
      const pert = theta.slice();
      const scale = t < 150 ? 1e-3 : 1e-1;
      for (let i = 0; i < L.size; i++) pert[i] += scale * rng.normal();
      // A strict minimizer of a smooth function: second order rise, far above rounding (1e-12).
      assert.ok(sur.objective(pert, s, ws) >= best - 1e-12, `perturbation ${t} lowered the penalized surrogate`);
    }
    // The penalty is real: without it the variances differ (the prior pulls them toward σ0²).
    const mle = moeSurrogate(L);
    const thetaMle = new Float64Array(L.size);
    mle.mstep(s, thetaMle, mle.createWorkspace());
    let moved = 0;
    for (let i = L.logSigma2; i < L.size; i++) moved = Math.max(moved, Math.abs(theta[i] - thetaMle[i]));
    assert.ok(moved > 1e-3, `the prior moved no log-variance (max ${moved})`);
  });
}

test("the MAP variance is (rss + ν σ0²)/(s0 + ν) with ν = c·p·b: the prior is worth c·p rows", () => {
  // One expert, intercept only (p = 1): β = mean, rss = Σ(y − ȳ)²/n. Rows y = 0, 2 (n = 2, b = 1/2).
  const L = moeLayout({ K: 1, d: 0, q: 1 });
  const sur = moeSurrogate(L, { variancePrior: 2, priorVariance: 5 });
  const ws = sur.createWorkspace();
  const s = new Float64Array(sur.statSize);
  const theta = new Float64Array(L.size);
  for (const y of [0, 2]) sur.accumulate(s, 1, 0.5, theta, [1], 0, [y], 0, ws);
  assert.ok(sur.mstep(s, theta, ws));
  // Hand: s0 = 1, rss = 1, ν = 2·1·0.5 = 1 ⇒ σ² = (1 + 1·5)/(1 + 1) = 3; β = 1.
  assertAllClose([theta[L.beta], Math.exp(theta[L.logSigma2])], [1, 3], 1e-12);
});

test("prior strength 0 reproduces the spec §8 batch-MM regression vector exactly", () => {
  const { L, X, Y, n, theta0 } = specRegressionData();
  const runs = [{}, { variancePrior: 0, priorVariance: 7 }].map((opt) => {
    const theta = theta0.slice();
    const r = batchMM(moeSurrogate(L, opt), theta, X, L.p, Y, L.q, n, { maxIter: 50, tol: 0 });
    return { theta, history: r.history };
  });
  assert.deepEqual(Array.from(runs[1].theta), Array.from(runs[0].theta));
  assert.deepEqual(runs[1].history, runs[0].history);
  // And the §8 numbers themselves (test/mm/batch.test.ts checks the same start): F decreases.
  assert.ok(runs[0].history[50] < runs[0].history[0]);
});

/**
 * Runs the exact and the fast surrogate side by side on the same stream (γ = 1/n for `burn` rows,
 * then 0.5·n^−0.6; M-steps from row `burn`): x ~ N(0, I), y = ±x₂ slope switch by the sign of x₁.
 */
function exactVersusFast(L: MoeLayout, exactOpts: MoeFastOptions, fastOpts: MoeFastOptions, rows: number, burn: number, seed: number, theta0Scale: number) {
  const exact = moeSurrogate(L, exactOpts);
  const fast = moeFastSurrogate(L, fastOpts);
  const we = exact.createWorkspace();
  const wf = fast.createWorkspace();
  const rng = createRng(seed);
  const se = new Float64Array(exact.statSize);
  const sf = new Float64Array(fast.statSize);
  const te = new Float64Array(L.size);
  for (let i = 0; i < L.size; i++) te[i] = theta0Scale * rng.normal();
  const tf = te.slice();
  const x = new Float64Array(L.p);
  const y = new Float64Array(1);
  x[0] = 1;
  for (let n = 1; n <= rows; n++) {
    for (let a = 1; a < L.p; a++) x[a] = rng.normal();
    y[0] = (x[1] > 0 ? 2 : -1) * x[2] + 0.3 * rng.normal();
    const g = n <= burn ? 1 / n : 0.5 * n ** -0.6;
    exact.accumulate(se, 1 - g, g, te, x, 0, y, 0, we);
    fast.accumulate(sf, 1 - g, g, tf, x, 0, y, 0, wf);
    if (n >= burn) {
      exact.mstep(se, te, we);
      fast.mstep(sf, tf, wf);
    }
  }
  return { te, tf, wf };
}

test("the fast path applies the same prior: θ equals the exact path's to 1e-10 over 3000 rows", () => {
  const prior = { variancePrior: 0.5, priorVariance: 0.2 };
  const { te, tf } = exactVersusFast(moeLayout({ K: 3, d: 3, q: 1 }), prior, prior, 3000, 50, 3, 0.3);
  // Sherman–Morrison drift on a well-conditioned design is ~1e-13 (surrogate/moe-fast.ts §5).
  assertAllClose(tf, te, 1e-10, 1e-10, "fast θ vs exact θ");
});

test("mstep on a statistic whose Gram matrix is singular returns false and leaves θ untouched (both paths)", () => {
  const L = moeLayout({ K: 2, d: 2, q: 1 });
  for (const sur of [moeSurrogate(L), moeFastSurrogate(L)]) {
    const ws = sur.createWorkspace();
    const s = new Float64Array(sur.statSize);
    const theta = new Float64Array(L.size);
    for (let i = 0; i < L.size; i++) theta[i] = 0.1 * (i + 1);
    // Two rows span only 2 of the 3 design directions.
    (sur.accumulate as (...a: unknown[]) => number)(s, 0.5, 0.5, theta, [1, 1, 2], 0, [1], 0, ws);
    (sur.accumulate as (...a: unknown[]) => number)(s, 0.5, 0.5, theta, [1, -1, 0], 0, [2], 0, ws);
    const before = theta.slice();
    assert.equal((sur.mstep as (...a: unknown[]) => boolean)(s, theta, ws), false, sur.name);
    assert.deepEqual(Array.from(theta), Array.from(before), `${sur.name} wrote θ on an invalid statistic`);
  }
});

test("batch MM on data that never span the inputs stops unconverged, naming the failed step", () => {
  const L = moeLayout({ K: 2, d: 2, q: 1 });
  const n = 20;
  const X = new Float64Array(n * L.p);
  const Y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    X.set([1, i, 2 * i], i * L.p); // x2 = 2·x1: a rank-2 design
    Y[i] = i % 3;
  }
  const theta = new Float64Array(L.size);
  const r = batchMM(moeSurrogate(L), theta, X, L.p, Y, 1, n, { maxIter: 10 });
  assert.equal(r.converged, false);
  assert.equal(r.failedStep, 0);
  assert.deepEqual(Array.from(theta), new Array(L.size).fill(0));
});

test("the Sherman–Morrison guard engages and is counted: with maxGain tiny every update trips it, θ still equals the exact path", () => {
  const prior = { variancePrior: 0.05 };
  const { te, tf, wf } = exactVersusFast(moeLayout({ K: 2, d: 2, q: 1 }), prior, { ...prior, maxGain: 1e-12 }, 400, 20, 9, 0);
  // Every maintained factor trips on every row after its first refactorization (gain > 1e-12).
  assert.ok(wf.fast.guardTrips > 300, `guard trips ${wf.fast.guardTrips}`);
  assert.ok(wf.fast.refactors > 300, `refactorizations ${wf.fast.refactors}`);
  // A tripped factor is refactorized exactly, so θ is the exact path's (to rounding, 1e-12).
  assertAllClose(tf, te, 1e-12, 1e-12, "θ with the guard tripping");
});
