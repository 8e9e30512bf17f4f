/**
 * The elastic-net expert M-step (surrogate/moe-lasso.ts, docs/SPARSE.md): agreement with R glmnet
 * (test/fixtures/sparse_glmnet.json, scripts/sparse-glmnet-fixture.R), the KKT conditions, the
 * penalized surrogate's majorization and tangency, intercepts unpenalized, λ = 0 bit-identical to
 * the closed-form M-step, the fast path equal to the exact one, and monotone penalized EM.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRng } from "../../src/core/rng.js";
import { moeLayout, type MoeLayout } from "../../src/model/dims.js";
import { meanNll } from "../../src/model/moe.js";
import { moeSurrogate, type MoeSurrogateOptions } from "../../src/surrogate/moe.js";
import { moeFastSurrogate } from "../../src/surrogate/moe-fast.js";
import { elasticNetPenalty } from "../../src/surrogate/moe-lasso.js";
import { batchStats } from "../../src/mm/batch-mm.js";
import { batchEM } from "../../src/mm/batch-em.js";
import { ismmInit, ismmStep } from "../../src/mm/ismm.js";
import { randomMoeSpec, sampleSynthetic } from "../../src/stream/synthetic.js";
import { thetaFromParameters } from "../../src/model/parameters.js";
import { assertAllClose, assertClose } from "../helpers.js";

interface Fixture {
  n: number;
  d: number;
  K: number;
  X: number[][];
  y: number[];
  w: number[];
  tau: number[][];
  blocks: { l1: number; l2: number; beta: number[] }[];
  msteps: { l1: number; l2: number; experts: { beta: number[]; sigma2: number }[] }[];
}
const fx = JSON.parse(readFileSync(new URL("../fixtures/sparse_glmnet.json", import.meta.url), "utf8")) as Fixture;

/** The expert statistic of the fixture with row weights weight(i, k) (the gate block is left 0). */
function fixtureStatistic(L: MoeLayout, weight: (i: number, k: number) => number): Float64Array {
  const sur = moeSurrogate(L);
  const S = sur.stats;
  const s = new Float64Array(sur.statSize);
  const { p } = L;
  const x = new Float64Array(p);
  for (let i = 0; i < fx.n; i++) {
    x[0] = 1;
    for (let a = 0; a < fx.d; a++) x[1 + a] = fx.X[i][a];
    const y = fx.y[i];
    for (let k = 0; k < L.K; k++) {
      const w = weight(i, k);
      s[S.s0 + k] += w;
      s[S.syy + k] += w * y * y;
      for (let a = 0; a < p; a++) {
        s[S.sxy + k * p + a] += w * y * x[a];
        for (let b = a; b < p; b++) s[S.Sxx + k * p * p + a * p + b] += w * x[a] * x[b];
      }
    }
  }
  return s;
}

// glmnet solved with thresh = 1e-22 (coefficients to ~1e-12); our stopping rule is 1e-10 noise sds per
// sweep, so coefficients agree to ~1e-9 (a few sweeps of linear convergence beyond the last change).
const GLMNET_TOL = 1e-8;

test("K = 1 weighted elastic-net β-block at fixed σ² equals glmnet (lasso and elastic net)", () => {
  const L = moeLayout({ K: 1, d: fx.d, q: 1 });
  const W = fx.w.reduce((a, b) => a + b, 0);
  const s = fixtureStatistic(L, (i) => fx.w[i] / W);
  for (const c of fx.blocks) {
    // lassoRounds = 1: one β-block at the warm start's σ² = 1 (θ = 0), then σ² — compare the β.
    const sur = moeSurrogate(L, { l1: c.l1, l2: c.l2, lassoRounds: 1 });
    const theta = new Float64Array(L.size);
    assert.ok(sur.mstepExperts(s, theta, sur.createWorkspace()));
    assertAllClose(theta.subarray(L.beta, L.beta + L.p), c.beta, GLMNET_TOL, 0, `β (l1 ${c.l1}, l2 ${c.l2})`);
    // The fixture has zeros (else the test would not check exact sparsity) and we reproduce them exactly.
    for (let i = 1; i < L.p; i++) assert.equal(theta[L.beta + i] === 0, c.beta[i] === 0, `zero pattern at slope ${i}`);
  }
  assert.ok(fx.blocks.some((c) => c.beta.slice(1).some((b) => b === 0)));
});

test("K = 3 expert M-step on fixed statistics equals glmnet's (β, σ²) fixed point for every expert", () => {
  const L = moeLayout({ K: fx.K, d: fx.d, q: 1 });
  const s = fixtureStatistic(L, (i, k) => fx.tau[i][k] / fx.n);
  for (const c of fx.msteps) {
    const sur = moeSurrogate(L, { l1: c.l1, l2: c.l2 });
    const theta = new Float64Array(L.size);
    assert.ok(sur.mstepExperts(s, theta, sur.createWorkspace()));
    for (let k = 0; k < L.K; k++) {
      const e = c.experts[k];
      assertAllClose(theta.subarray(L.beta + k * L.p, L.beta + (k + 1) * L.p), e.beta, GLMNET_TOL, 0, `β_${k} (l1 ${c.l1}, l2 ${c.l2})`);
      assertClose(Math.exp(theta[L.logSigma2 + k]), e.sigma2, 0, GLMNET_TOL, `σ²_${k}`);
      for (let i = 1; i < L.p; i++) assert.equal(theta[L.beta + k * L.p + i] === 0, e.beta[i] === 0, `zero pattern β_${k}[${i}]`);
    }
  }
});

/** A statistic averaging n rows of a random sparse MoE at a random anchor θ (weight 1/n per row). */
function randomProblem(K: number, d: number, q: number, n: number, seed: number, opts: MoeSurrogateOptions) {
  const L = moeLayout({ K, d, q });
  const sur = moeSurrogate(L, opts);
  const ws = sur.createWorkspace();
  const rng = createRng(seed);
  const X = new Float64Array(n * L.p);
  const Y = new Float64Array(n * q);
  for (let i = 0; i < n; i++) {
    X[i * L.p] = 1;
    for (let a = 1; a < L.p; a++) X[i * L.p + a] = rng.normal();
    for (let j = 0; j < q; j++) Y[i * q + j] = (i % 2 === 0 ? 1.5 * X[i * L.p + 1] : -X[i * L.p + 2]) + 0.5 * rng.normal();
  }
  const anchor = new Float64Array(L.size);
  for (let i = 0; i < L.size; i++) anchor[i] = 0.3 * rng.normal();
  const s = new Float64Array(sur.statSize);
  batchStats(sur, anchor, X, L.p, Y, q, n, s, ws);
  return { L, sur, ws, s, X, Y, anchor, rng };
}

test("KKT conditions of the lasso M-step: |g_i| ≤ σ²λ1 at zeros, g_i − σ²λ2β_i = σ²λ1·sign(β_i) elsewhere, free intercept, σ² = rss/s0", () => {
  for (const [l1, l2] of [[0.05, 0], [0.1, 0.1]]) {
    const { L, sur, ws, s } = randomProblem(2, 6, 2, 200, 3, { l1, l2, variancePrior: 0 });
    const S = sur.stats;
    const theta = new Float64Array(L.size);
    assert.ok(sur.mstep(s, theta, ws));
    const { K, q, p } = L;
    let zeros = 0;
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < q; j++) {
        const kj = k * q + j;
        const bo = L.beta + kj * p;
        const sigma2 = Math.exp(theta[L.logSigma2 + kj]);
        const so = S.Sxx + k * p * p;
        const g = new Float64Array(p);
        let rss = s[S.syy + kj];
        for (let a = 0; a < p; a++) {
          g[a] = s[S.sxy + kj * p + a];
          for (let b = 0; b < p; b++) g[a] -= s[so + Math.min(a, b) * p + Math.max(a, b)] * theta[bo + b];
          rss -= theta[bo + a] * (s[S.sxy + kj * p + a] + g[a]);
        }
        // Tolerance: the stopping rule leaves coefficient changes ≤ 1e-10 noise sds; gradients are O(1) sums.
        const tol = 1e-8 * sigma2;
        assertClose(g[0], 0, tol, 0, `intercept gradient k=${k} j=${j}`);
        for (let i = 1; i < p; i++) {
          const b = theta[bo + i];
          if (b === 0) {
            zeros++;
            assert.ok(Math.abs(g[i]) <= sigma2 * l1 + tol, `zero slope ${i} violates |g| ≤ σ²λ1: ${g[i]} vs ${sigma2 * l1}`);
          } else assertClose(g[i] - sigma2 * l2 * b, sigma2 * l1 * Math.sign(b), tol, 0, `active slope ${i}`);
        }
        assertClose(sigma2, rss / s[S.s0 + k], 0, 1e-9, `σ²_${kj} is the residual variance of the penalized β`);
      }
    }
    // Only x1 and x2 matter in the data: most of the 4·2·2 irrelevant slopes must be exactly 0.
    assert.ok(zeros >= 8, `only ${zeros} exact zeros`);
  }
});

test("intercepts are unpenalized: a huge λ1 zeroes every slope and leaves the weighted mean and variance", () => {
  const { L, sur, ws, s } = randomProblem(2, 4, 1, 100, 5, { l1: 1e6, variancePrior: 0 });
  const S = sur.stats;
  const theta = new Float64Array(L.size);
  assert.ok(sur.mstepExperts(s, theta, ws));
  for (let k = 0; k < L.K; k++) {
    const bo = L.beta + k * L.p;
    for (let i = 1; i < L.p; i++) assert.equal(theta[bo + i], 0);
    const s0 = s[S.s0 + k];
    const mean = s[S.sxy + k * L.p] / s0;
    assertClose(theta[bo], mean, 1e-12, 1e-12, "intercept = weighted mean of y");
    assertClose(Math.exp(theta[L.logSigma2 + k]), s[S.syy + k] / s0 - mean * mean, 1e-12, 1e-10, "σ² = weighted variance");
    assert.ok(Math.abs(mean) > 1e-3, "a mean of 0 could not tell a penalized intercept from a free one");
  }
});

test("the penalized surrogate majorizes the penalized objective and is tangent at the anchor", () => {
  const opts = { l1: 0.03, l2: 0.02, variancePrior: 0 };
  const { L, sur, ws, s, X, Y, anchor, rng } = randomProblem(3, 4, 1, 150, 11, opts);
  const F = (th: Float64Array) => meanNll(L, th, X, Y, 150, ws) + elasticNetPenalty(L, th, opts.l1, opts.l2);
  const gap = (th: Float64Array) => sur.objective(th, s, ws) - F(th);
  const g0 = gap(anchor);
  for (let t = 0; t < 200; t++) {
    const th = anchor.slice();
    const scale = t < 100 ? 0.05 : 1;
    for (let i = 0; i < L.size; i++) th[i] += scale * rng.normal();
    // Majorization: L(θ; s(θ0)) − F(θ) ≥ L(θ0; s(θ0)) − F(θ0) (tolerance: rounding of O(1) sums).
    assert.ok(gap(th) >= g0 - 1e-12, `majorization fails at draw ${t}: ${gap(th) - g0}`);
  }
  // Tangency: the gap is flat at θ0 (O(h²), not O(h)) in random directions, also through |β| kinks.
  for (let t = 0; t < 20; t++) {
    const v = new Float64Array(L.size);
    for (let i = 0; i < L.size; i++) v[i] = rng.normal();
    const at = (h: number) => {
      const th = anchor.slice();
      for (let i = 0; i < L.size; i++) th[i] += h * v[i];
      return gap(th) - g0;
    };
    const h = 1e-4;
    // A first-order mismatch c·h would show |c| ≥ ~1e-2 here; the O(h²) rest is ≤ ~1e-7.
    assert.ok(Math.abs(at(h) - at(-h)) / (2 * h) < 1e-5, `gap has slope ${(at(h) - at(-h)) / (2 * h)} at θ0`);
  }
});

test("l1 = l2 = 0 runs today's closed-form M-step bit for bit (exact and fast solvers, ISMM stream)", () => {
  const spec = randomMoeSpec(3, 4, 2, createRng(2));
  const data = sampleSynthetic(spec, 600, createRng(3));
  const L = moeLayout({ K: 3, d: 4, q: 2 });
  const X = new Float64Array(600 * L.p);
  for (let i = 0; i < 600; i++) {
    X[i * L.p] = 1;
    for (let a = 0; a < 4; a++) X[i * L.p + 1 + a] = data.X[i * 4 + a];
  }
  const theta0 = thetaFromParameters(L, spec.params);
  for (const fast of [false, true]) {
    const run = (opts: MoeSurrogateOptions) => {
      const sur = fast ? moeFastSurrogate(L, opts) : moeSurrogate(L, opts);
      const ws = sur.createWorkspace();
      const s = new Float64Array(sur.statSize);
      batchStats(sur as never, theta0, X, L.p, data.Y, 2, 100, s, ws as never);
      const st = ismmInit(sur as never, theta0, s, 100);
      const cfg = { schedule: { gamma0: 1, alpha: 0.6 }, burnIn: 0, averageFrom: null };
      for (let i = 100; i < 600; i++) ismmStep(sur as never, cfg, st, X, i * L.p, data.Y, i * 2, ws as never);
      return st.theta;
    };
    const a = run({ variancePrior: 0.05 });
    const b = run({ variancePrior: 0.05, l1: 0, l2: 0 });
    assert.deepEqual(Array.from(b), Array.from(a), fast ? "fast" : "exact");
  }
});

test("with a penalty the fast solver gives the exact solver's θ along an ISMM stream, with exact zeros", () => {
  const spec = randomMoeSpec(2, 8, 1, createRng(4));
  const data = sampleSynthetic(spec, 1500, createRng(5));
  const L = moeLayout({ K: 2, d: 8, q: 1 });
  const X = new Float64Array(1500 * L.p);
  for (let i = 0; i < 1500; i++) {
    X[i * L.p] = 1;
    for (let a = 0; a < 8; a++) X[i * L.p + 1 + a] = data.X[i * 8 + a];
  }
  const theta0 = thetaFromParameters(L, spec.params);
  const opts = { l1: 0.05, variancePrior: 0.05 };
  const run = (fast: boolean) => {
    const sur = fast ? moeFastSurrogate(L, opts) : moeSurrogate(L, opts);
    const ws = sur.createWorkspace();
    const s = new Float64Array(sur.statSize);
    batchStats(sur as never, theta0, X, L.p, data.Y, 1, 200, s, ws as never);
    const st = ismmInit(sur as never, theta0, s, 200);
    const cfg = { schedule: { gamma0: 0.5, alpha: 0.6 }, burnIn: 0, averageFrom: null };
    for (let i = 200; i < 1500; i++) ismmStep(sur as never, cfg, st, X, i * L.p, data.Y, i, ws as never);
    return st.theta;
  };
  const exact = run(false);
  const fast = run(true);
  // Both paths run the same solver on statistics equal to ~1e-13 (moe-fast.test.ts); CD stops within 1e-10 sds.
  assertAllClose(fast, exact, 1e-7, 0, "θ fast vs exact");
  let zeros = 0;
  for (let k = 0; k < 2; k++) for (let i = 1; i < L.p; i++) if (exact[L.beta + k * L.p + i] === 0) zeros++;
  assert.ok(zeros > 0, "λ1 = 0.05 on 16 slopes produced no exact zero");
});

test("penalized batch EM is monotone in mean NLL + penalty and ends sparse", () => {
  const spec = randomMoeSpec(2, 10, 1, createRng(8));
  // Only the first two inputs matter: zero the other slopes of the truth.
  const L = moeLayout({ K: 2, d: 10, q: 1 });
  const params = spec.params;
  for (const b of params.beta) for (const row of b) for (let a = 2; a < 10; a++) row[1 + a] = 0;
  const data = sampleSynthetic({ ...spec, params }, 800, createRng(9));
  const X = new Float64Array(800 * L.p);
  for (let i = 0; i < 800; i++) {
    X[i * L.p] = 1;
    for (let a = 0; a < 10; a++) X[i * L.p + 1 + a] = data.X[i * 10 + a];
  }
  const theta = thetaFromParameters(L, params);
  for (let i = L.beta; i < L.logSigma2; i++) theta[i] *= 0.5; // a start away from the optimum
  const res = batchEM(L, theta, X, data.Y, 800, { l1: 0.1, variancePrior: 0, maxIter: 200 });
  assert.deepEqual(res.violations, [], "EM objective increased");
  assert.ok(res.history[res.history.length - 1] < res.history[0] - 1e-3, "EM did not improve the objective");
  let zeros = 0;
  for (let k = 0; k < 2; k++) for (let a = 2; a < 10; a++) if (theta[L.beta + k * L.p + 1 + a] === 0) zeros++;
  assert.ok(zeros >= 12, `${zeros} of 16 irrelevant slopes are exactly 0`);
});

test("a penalized MoeRegressor saves and resumes bit for bit, and its model has exact zeros", async () => {
  const { MoeRegressor } = await import("../../src/estimators/moe-regressor.js");
  const spec = randomMoeSpec(2, 6, 1, createRng(12));
  for (const bk of spec.params.beta) for (const row of bk) row.fill(0, 4); // inputs 4..6 irrelevant
  const data = sampleSynthetic(spec, 2400, createRng(13));
  const opts = { nExperts: 2, seed: 3, l1: 0.3, initRows: 400 };
  const a = new MoeRegressor(opts);
  a.learnMany(data.X.subarray(0, 1200 * 6), data.Y.subarray(0, 1200), 1200);
  const b = MoeRegressor.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
  assert.equal(b.options.l1, 0.3);
  a.learnMany(data.X.subarray(1200 * 6), data.Y.subarray(1200), 1200);
  b.learnMany(data.X.subarray(1200 * 6), data.Y.subarray(1200), 1200);
  assert.equal(JSON.stringify(b.toJSON()), JSON.stringify(a.toJSON()));
  // λ1 = 0.3 is far above 2 standard errors here: some of the 6 irrelevant slopes must be exactly 0 in original units.
  const zeros = a.parameters().beta.flat(2).filter((v, i) => i % 7 !== 0 && v === 0).length;
  assert.ok(zeros > 0, "no exact zero in the model");
});
