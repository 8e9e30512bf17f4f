/**
 * The analytic NLL gradient (src/model/gradient.ts, ALGORITHM.md §2.3) against central finite
 * differences, along every unit vector and along seeded random unit directions, at several θ
 * (random, a dominant gate, experts far from y), for K ∈ {1, 2, 3}, q ∈ {1, 2}, d ∈ {0, 2}; plus
 * the hand-derived gradient at the spec §8 vector and the model sampler used by Sophia.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { createRng, type Rng } from "../../src/core/rng.js";
import { moeLayout, type MoeLayout } from "../../src/model/dims.js";
import { rowNllGrad, sampleFromModel } from "../../src/model/gradient.js";
import { createRowWorkspace, predictMoments, rowNll } from "../../src/model/moe.js";
import { assertAllClose, assertClose } from "../helpers.js";

/** A random θ (gate ~ N(0, gateSd²), β ~ N(0, 1), v = log σ² ~ N(−0.5, 0.5²)) and a row (x, y). */
function randomPoint(L: MoeLayout, rng: Rng, gateSd = 1): { theta: Float64Array; x: Float64Array; y: Float64Array } {
  const theta = new Float64Array(L.size);
  for (let i = L.gate; i < L.beta; i++) theta[i] = gateSd * rng.normal();
  for (let i = L.beta; i < L.logSigma2; i++) theta[i] = rng.normal();
  for (let i = L.logSigma2; i < L.size; i++) theta[i] = -0.5 + 0.5 * rng.normal();
  const x = new Float64Array(L.p);
  x[0] = 1;
  for (let i = 1; i < L.p; i++) x[i] = rng.normal();
  const y = new Float64Array(L.q);
  for (let j = 0; j < L.q; j++) y[j] = 1.5 * rng.normal();
  return { theta, x, y };
}

/**
 * Central difference of f along the unit direction u: (f(θ + h u) − f(θ − h u)) / 2h, and its
 * error bound. Error analysis (STYLE.md b6.3):
 *  - truncation: (h²/6)·|∂³f/∂u³|. With h = 1e-5 this is ~1.7e-11·|f'''|; the points below keep
 *    |f'''| ≲ 1e2 (σ² ≥ e^{-2}, |x| ≲ 3, |r| ≲ 6), so ≲ 2e-9;
 *  - rounding: each f carries a relative error of a few ε_mach (log-sum-exp, exp), so the quotient
 *    is off by ≈ 4·ε·|f|/(2h) ≈ 4e-11·|f|.
 * h = 1e-5 ≈ ε^(1/3) balances the two (both ~1e-10 relative). We allow
 *   tol = 1e-6·max(1, |uᵀ∇f|) + 8·ε·|f|/h,
 * ≥ 500× the truncation estimate yet ~1e6× smaller than a wrong factor (½, a sign, a missing
 * τ or π) would give on any coordinate whose derivative is ≳ 1e-5.
 */
function checkDirection(L: MoeLayout, theta: Float64Array, x: Float64Array, y: Float64Array, u: Float64Array, g: Float64Array, label: string): void {
  const ws = createRowWorkspace(L);
  const h = 1e-5;
  const tp = Float64Array.from(theta, (v, i) => v + h * u[i]);
  const tm = Float64Array.from(theta, (v, i) => v - h * u[i]);
  const fp = rowNll(L, tp, x, 0, y, 0, ws);
  const fm = rowNll(L, tm, x, 0, y, 0, ws);
  const f0 = rowNll(L, theta, x, 0, y, 0, ws);
  const fd = (fp - fm) / (2 * h);
  let an = 0;
  for (let i = 0; i < L.size; i++) an += u[i] * g[i];
  const tol = 1e-6 * Math.max(1, Math.abs(an)) + (8 * Number.EPSILON * Math.abs(f0)) / h;
  assert.ok(Math.abs(fd - an) <= tol, `${label}: analytic ${an}, finite difference ${fd}, |diff| ${Math.abs(fd - an)} > tol ${tol}`);
}

function gradAt(L: MoeLayout, theta: Float64Array, x: Float64Array, y: Float64Array): { f: number; g: Float64Array } {
  const g = new Float64Array(L.size);
  const f = rowNllGrad(L, theta, x, 0, y, 0, createRowWorkspace(L), g);
  return { f, g };
}

function checkAll(L: MoeLayout, theta: Float64Array, x: Float64Array, y: Float64Array, rng: Rng, label: string): void {
  const { f, g } = gradAt(L, theta, x, y);
  assert.ok(Number.isFinite(f), `${label}: f = ${f}`);
  assertClose(f, rowNll(L, theta, x, 0, y, 0, createRowWorkspace(L)), 0, 0, `${label}: returned f equals rowNll`);
  const u = new Float64Array(L.size);
  for (let i = 0; i < L.size; i++) {
    u.fill(0);
    u[i] = 1;
    checkDirection(L, theta, x, y, u, g, `${label}, unit vector e_${i}`);
  }
  for (let r = 0; r < 5; r++) {
    let norm = 0;
    for (let i = 0; i < L.size; i++) {
      u[i] = rng.normal();
      norm += u[i] * u[i];
    }
    norm = Math.sqrt(norm);
    for (let i = 0; i < L.size; i++) u[i] /= norm;
    checkDirection(L, theta, x, y, u, g, `${label}, random direction ${r}`);
  }
}

describe("rowNllGrad against central finite differences", () => {
  const shapes: { K: number; d: number; q: number }[] = [];
  for (const K of [1, 2, 3]) for (const q of [1, 2]) for (const d of [0, 2]) shapes.push({ K, d, q });
  for (const dims of shapes) {
    const L = moeLayout(dims);
    const name = `K = ${dims.K}, d = ${dims.d}, q = ${dims.q}`;
    it(`${name}: random θ (3 points)`, () => {
      const rng = createRng(100 + 10 * dims.K + 3 * dims.q + dims.d);
      for (let s = 0; s < 3; s++) {
        const { theta, x, y } = randomPoint(L, rng);
        checkAll(L, theta, x, y, rng, `${name}, point ${s}`);
      }
    });
    if (dims.K > 1) {
      it(`${name}: dominant gate (one logit ≫ others)`, () => {
        const rng = createRng(200 + 10 * dims.K + 3 * dims.q + dims.d);
        const { theta, x, y } = randomPoint(L, rng);
        // Expert 0's intercept logit +25: π_0 ≈ 1 − 1e-11, the others ≈ e^-25 ≈ 1.4e-11.
        theta[L.gate] = 25;
        checkAll(L, theta, x, y, rng, `${name}, dominant expert 0`);
        // The fixed last expert dominates: every free logit −25.
        for (let k = 0; k < dims.K - 1; k++) theta[L.gate + k * L.p] = -25;
        checkAll(L, theta, x, y, rng, `${name}, dominant expert K`);
      });
      it(`${name}: y far from one expert (τ_k ≈ 0 while π_k is not)`, () => {
        const rng = createRng(300 + 10 * dims.K + 3 * dims.q + dims.d);
        const { theta, x, y } = randomPoint(L, rng);
        for (let j = 0; j < dims.q; j++) theta[L.beta + j * L.p] = y[j] + 6; // expert 0 mean ≈ y + 6
        checkAll(L, theta, x, y, rng, `${name}, far expert`);
      });
    }
  }
});

describe("rowNllGrad: values and contract", () => {
  it("spec §8 vector: hand-derived gradient from π, τ", () => {
    // θ of ALGORITHM.md §8: w_1 = (0.2, 1.0), w_2 = (−0.1, 0.5); β = (0,2), (1,−1), (−1,0.5); σ² = (0.5, 1, 2);
    // x = (1, 0.5), y = 0.7; π = (0.4822681773, 0.2782445334, 0.2394872893),
    // τ = (0.6257209165, 0.2737816419, 0.1004974416) (spec, 10 digits).
    const L = moeLayout({ K: 3, d: 1, q: 1 });
    const t = new Float64Array(L.size);
    t.set([0.2, 1.0, -0.1, 0.5], L.gate);
    t.set([0, 2, 1, -1, -1, 0.5], L.beta);
    t.set([0.5, 1, 2].map(Math.log), L.logSigma2);
    const pi = [0.4822681773, 0.2782445334, 0.2394872893];
    const tau = [0.6257209165, 0.2737816419, 0.1004974416];
    const s2 = [0.5, 1, 2];
    // Residuals r_k = 0.7 − β_kᵀx: 0.7 − 1 = −0.3, 0.7 − 0.5 = 0.2, 0.7 − (−0.75) = 1.45.
    const r = [-0.3, 0.2, 1.45];
    const expected = new Float64Array(L.size);
    for (let k = 0; k < 2; k++) {
      expected[L.gate + 2 * k] = -(tau[k] - pi[k]); // ∂f/∂w_k = −(τ_k − π_k) x
      expected[L.gate + 2 * k + 1] = -(tau[k] - pi[k]) * 0.5;
    }
    for (let k = 0; k < 3; k++) {
      expected[L.beta + 2 * k] = (-tau[k] * r[k]) / s2[k]; // ∂f/∂β_k = −τ_k (r_k/σ²_k) x
      expected[L.beta + 2 * k + 1] = ((-tau[k] * r[k]) / s2[k]) * 0.5;
      expected[L.logSigma2 + k] = 0.5 * tau[k] * (1 - (r[k] * r[k]) / s2[k]); // ∂f/∂v_k
    }
    const g = new Float64Array(L.size);
    const f = rowNllGrad(L, t, [1, 0.5], 0, [0.7], 0, createRowWorkspace(L), g);
    assertClose(f, 0.9227690506521994, 1e-15, 0, "f");
    // The expected values inherit the 10-digit rounding of π and τ (±5e-11 each, magnified by ≤ 1/σ²·|r|·|x|
    // ≤ 2.9): 2e-10 absolute.
    assertAllClose(g, expected, 2e-10, 0, "gradient");
  });

  it("adds scale·∇f into grad (mini-batches accumulate) and leaves τ in ws.a", () => {
    const L = moeLayout({ K: 3, d: 2, q: 2 });
    const rng = createRng(5);
    const { theta, x, y } = randomPoint(L, rng);
    const { g } = gradAt(L, theta, x, y);
    const acc = Float64Array.from({ length: L.size }, (_, i) => i - 3);
    const start = acc.slice();
    const ws = createRowWorkspace(L);
    rowNllGrad(L, theta, x, 0, y, 0, ws, acc, 0.25);
    for (let i = 0; i < L.size; i++) assertClose(acc[i], start[i] + 0.25 * g[i], 1e-15, 1e-15, `acc[${i}]`);
    const ws2 = createRowWorkspace(L);
    rowNll(L, theta, x, 0, y, 0, ws2);
    assert.deepEqual(ws.a, ws2.a);
  });

  it("reads rows at offsets and does not modify θ, x or y", () => {
    const L = moeLayout({ K: 2, d: 2, q: 2 });
    const rng = createRng(6);
    const { theta, x, y } = randomPoint(L, rng);
    const X = new Float64Array(3 * L.p);
    X.set(x, 2 * L.p);
    const Y = new Float64Array(3 * L.q);
    Y.set(y, 2 * L.q);
    const copies = [theta.slice(), X.slice(), Y.slice()];
    const g = new Float64Array(L.size);
    rowNllGrad(L, theta, X, 2 * L.p, Y, 2 * L.q, createRowWorkspace(L), g);
    assert.deepEqual(g, gradAt(L, theta, x, y).g);
    assert.deepEqual([theta, X, Y], copies);
  });

  it("huge logits (±800) give a finite gradient", () => {
    const L = moeLayout({ K: 3, d: 1, q: 1 });
    const t = new Float64Array(L.size);
    t.set([0, 800, 0, -800], L.gate);
    const g = new Float64Array(L.size);
    const f = rowNllGrad(L, t, [1, 2], 0, [0.3], 0, createRowWorkspace(L), g);
    assert.ok(Number.isFinite(f));
    assert.ok(g.every(Number.isFinite), `gradient ${Array.from(g)}`);
  });
});

describe("sampleFromModel (Sophia's Gauss–Newton–Bartlett sampler)", () => {
  it("draws z ~ π(x) and ŷ with the predictive mean and variance; E[∇f(θ; x, ŷ)] = 0", () => {
    const L = moeLayout({ K: 3, d: 2, q: 2 });
    const rng = createRng(9);
    const { theta, x } = randomPoint(L, rng);
    const ws = createRowWorkspace(L);
    const mean = new Float64Array(L.q);
    const variance = new Float64Array(L.q);
    predictMoments(L, theta, x, 0, ws, mean, variance);
    const pi = Array.from(ws.a);
    const N = 40000;
    const counts = new Float64Array(L.K);
    const s1 = new Float64Array(L.q);
    const s2 = new Float64Array(L.q);
    const yhat = new Float64Array(L.q);
    const gsum = new Float64Array(L.size);
    const gsq = new Float64Array(L.size);
    const g = new Float64Array(L.size);
    for (let n = 0; n < N; n++) {
      counts[sampleFromModel(L, theta, x, 0, rng, yhat, ws)]++;
      for (let j = 0; j < L.q; j++) {
        s1[j] += yhat[j];
        s2[j] += yhat[j] * yhat[j];
      }
      g.fill(0);
      rowNllGrad(L, theta, x, 0, yhat, 0, ws, g);
      for (let i = 0; i < L.size; i++) {
        gsum[i] += g[i];
        gsq[i] += g[i] * g[i];
      }
    }
    // Monte Carlo tolerances: 6 standard errors (two-sided tail ≈ 2e-9 under the CLT); the seed is fixed.
    for (let k = 0; k < L.K; k++) {
      const se = Math.sqrt((pi[k] * (1 - pi[k])) / N);
      assertClose(counts[k] / N, pi[k], 6 * se, 0, `frequency of expert ${k}`);
    }
    for (let j = 0; j < L.q; j++) {
      const m = s1[j] / N;
      const v = s2[j] / N - m * m;
      assertClose(m, mean[j], 6 * Math.sqrt(variance[j] / N), 0, `mean of ŷ_${j}`);
      // SE of a sample variance ≤ √((κ−1)/N)·σ² with kurtosis κ ≲ 9 for these mixtures: use √(8/N)·σ².
      assertClose(v, variance[j], 6 * Math.sqrt(8 / N) * variance[j], 0, `variance of ŷ_${j}`);
    }
    // The score has mean zero under the model: E_ŷ[∇f(θ; x, ŷ)] = −E[∇ log p(ŷ|x; θ)] = 0.
    for (let i = 0; i < L.size; i++) {
      const m = gsum[i] / N;
      const se = Math.sqrt(Math.max(gsq[i] / N - m * m, 0) / N);
      assertClose(m, 0, 6 * se + 1e-12, 0, `mean of ĝ[${i}]`);
    }
  });

  it("consumes one uniform and q normals per draw (reproducible with the same seed)", () => {
    const L = moeLayout({ K: 2, d: 1, q: 2 });
    const { theta, x } = randomPoint(L, createRng(1));
    const a = createRng(77);
    const b = createRng(77);
    const ya = new Float64Array(2);
    sampleFromModel(L, theta, x, 0, a, ya, createRowWorkspace(L));
    b.next();
    b.normal();
    b.normal();
    assert.deepEqual(a.getState(), b.getState());
  });
});
