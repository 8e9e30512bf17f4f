import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { lambdaGrid, lassoPath, lassoPredict } from "../../src/screening/lasso.js";
import { InputError, OptionError } from "../../src/core/errors.js";
import { createRng } from "../../src/core/rng.js";

/** |a − b| ≤ atol + rtol·max(|a|, |b|), with a message naming the index. */
function close(actual: number, expected: number, atol: number, rtol = 0, what = ""): void {
  const tol = atol + rtol * Math.max(Math.abs(actual), Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: actual ${actual}, expected ${expected}, tol ${tol}`);
}

const soft = (z: number, l: number): number => Math.sign(z) * Math.max(Math.abs(z) - l, 0);

/** n = 8 rows of a Sylvester–Hadamard matrix; columns 1..7 are ±1, centred and mutually orthogonal. */
function hadamard8(): number[][] {
  let H = [[1]];
  for (let s = 0; s < 3; s++) H = [...H.map((r) => [...r, ...r]), ...H.map((r) => [...r, ...r.map((v) => -v)])];
  return H;
}

/**
 * Orthogonal design, derived by hand. Let x_j = m_j + c_j h_j with h_j (j = 1..3) centred,
 * orthogonal ±1 Hadamard columns, so x̃_j = c_j h_j, v_j = x̃_jᵀx̃_j/n = c_j² and x̃_jᵀx̃_k = 0 (j ≠ k).
 * Then 1/(2n)‖ỹ − X̃b‖² + λ‖b‖₁ = const + Σ_j [ (v_j/2) b_j² − b_j z_j + λ|b_j| ], z_j = x̃_jᵀỹ/n,
 * which separates; each term is minimised by b_j = S(z_j, λ)/v_j = S(v_j β̂_j, λ)/v_j, where
 * β̂_j = z_j/v_j is the OLS coefficient: the lasso is soft-thresholded OLS (scaled by v_j).
 * With standardize = true the working columns are h_j (v_j = 1) and b_j = S(ĥ_j, λ) on that scale,
 * i.e. β_j = S(c_j β̂_j, λ)/c_j on the original scale. Intercept: β₀ = ȳ − Σ_j m_j β_j.
 * Cyclic CD is exact after one sweep here (coordinates decouple), so only rounding remains:
 * tolerance 1e-13 relative / 1e-14 absolute (values are O(1), ~10 flops each).
 */
test("orthogonal design: lasso = soft-thresholded OLS (both scalings)", () => {
  const H = hadamard8();
  const n = 8;
  const m = [1, -2, 0.5];
  const c = [2, 0.5, 3];
  const X = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) for (let j = 0; j < 3; j++) X[i * 3 + j] = m[j] + c[j] * H[i][j + 1];
  const y = Float64Array.from({ length: n }, (_, i) => 0.3 + 1.7 * H[i][1] - 0.4 * H[i][2] + 0.05 * H[i][3] + 0.2 * H[i][4] - 0.1 * H[i][5]);
  const ybar = y.reduce((a, b) => a + b) / n;
  const z = [0, 1, 2].map((j) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += c[j] * H[i][j + 1] * (y[i] - ybar);
    return s / n;
  });
  const lambdas = [3, 1, 0.5, 0.2, 0.01, 1e-6];
  for (const standardize of [false, true]) {
    const p = lassoPath(X, y, { lambdas, standardize, tol: 1e-12 });
    lambdas.forEach((lambda, k) => {
      let b0 = ybar;
      for (let j = 0; j < 3; j++) {
        const v = c[j] * c[j];
        // unstandardised: b_j = S(z_j, λ)/v_j; standardised: working column h_j, z'_j = z_j/c_j.
        const expected = standardize ? soft(z[j] / c[j], lambda) / c[j] : soft(z[j], lambda) / v;
        close(p.beta[k * 3 + j], expected, 1e-14, 1e-13, `std=${standardize} λ=${lambda} β_${j}`);
        b0 -= m[j] * expected;
      }
      close(p.intercept[k], b0, 1e-13, 1e-13, `std=${standardize} λ=${lambda} β₀`);
    });
  }
});

/** Random correlated design: x = A u + offsets, with u ~ N(0, I); sparse truth plus noise. */
function randomProblem(seed: number, n: number, d: number): { X: Float64Array; y: Float64Array } {
  const rng = createRng(seed);
  const A = Array.from({ length: d * d }, (_, i) => (i % (d + 1) === 0 ? 1 : 0.6 * rng.normal()));
  const X = new Float64Array(n * d);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = Array.from({ length: d }, () => rng.normal());
    for (let j = 0; j < d; j++) {
      let s = 0.5 * j;
      for (let k = 0; k < d; k++) s += A[j * d + k] * u[k];
      X[i * d + j] = s * (1 + j);
    }
    y[i] = 1 + X[i * d] - (d > 2 ? 0.5 * X[i * d + 2] : 0) + (d > 4 ? 0.1 * X[i * d + 4] : 0) + rng.normal();
  }
  return { X, y };
}

/**
 * KKT conditions of min 1/(2n)‖y − b₀ − X̃b‖² + λ‖b‖₁ on the working scale: with r the residual,
 * g_j = x̃_jᵀr/n must equal λ·sign(b_j) on the active set and satisfy |g_j| ≤ λ elsewhere.
 * Tolerance: when the solver stops, the final active sweep moved each coordinate by at most
 * thr/√v_j (thr = tol·s_y) after that coordinate's own exact update, and by Cauchy–Schwarz
 * |x̃_jᵀx̃_k/n| ≤ √(v_j v_k), so |g_j − λ s_j| ≤ √v_j · Σ_k √v_k |Δb_k| ≤ √v_j · d · thr;
 * the inactive coordinates were checked exactly in the last sweep. Plus 1e-12 for rounding.
 */
function checkKkt(X: Float64Array, y: Float64Array, standardize: boolean, tol: number): void {
  const n = y.length;
  const d = X.length / n;
  const p = lassoPath(X, y, { standardize, tol, nLambda: 30 });
  assert.ok(p.converged.every((f) => f === 1));
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += X[i * d + j] / n;
  const ybar = y.reduce((a, b) => a + b) / n;
  let sy = 0;
  for (let i = 0; i < n; i++) sy += (y[i] - ybar) ** 2;
  const thr = tol * Math.sqrt(sy / n);
  for (let k = 0; k < p.lambdas.length; k++) {
    const lambda = p.lambdas[k];
    const r = lassoPredict(p, k, X).map((f, i) => y[i] - f);
    for (let j = 0; j < d; j++) {
      let g = 0;
      let v = 0;
      for (let i = 0; i < n; i++) {
        const xt = (X[i * d + j] - mean[j]) / p.scale[j];
        g += xt * r[i];
        v += xt * xt;
      }
      g /= n;
      v /= n;
      const bound = Math.sqrt(v) * d * thr + 1e-12;
      const b = p.beta[k * d + j];
      if (b !== 0) close(g, lambda * Math.sign(b), bound, 0, `active j=${j} k=${k}`);
      else assert.ok(Math.abs(g) <= lambda + bound, `inactive j=${j} k=${k}: |g| = ${Math.abs(g)} > λ = ${lambda}`);
    }
  }
}

test("KKT conditions hold along the path (fast-check over seeds, both scalings)", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1e6 }), fc.boolean(), (seed, standardize) => {
      const { X, y } = randomProblem(seed, 40, 6);
      checkKkt(X, y, standardize, 1e-10);
    }),
    { seed: 20240607, numRuns: 12 },
  );
});

test("KKT conditions hold when d > n", () => {
  const { X, y } = randomProblem(3, 15, 30);
  checkKkt(X, y, true, 1e-10);
});

test("λ_max: all-zero solution there, a nonzero one just below", () => {
  const { X, y } = randomProblem(11, 50, 5);
  const p = lassoPath(X, y, { nLambda: 10 });
  assert.equal(p.lambdas[0], p.lambdaMax);
  assert.ok(Array.from(p.beta.subarray(0, 5)).every((b) => b === 0));
  close(p.intercept[0], y.reduce((a, b) => a + b) / 50, 1e-12, 1e-12, "β₀ = ȳ at λ_max");
  const q = lassoPath(X, y, { lambdas: [p.lambdaMax * (1 - 1e-6)] });
  assert.ok(Array.from(q.beta).some((b) => b !== 0));
});

test("lambdaGrid is log-spaced from λ_max down to ratio·λ_max", () => {
  const g = lambdaGrid(2, 5, 1e-4);
  const expected = [2, 0.2, 0.02, 0.002, 0.0002];
  g.forEach((v, k) => close(v, expected[k], 0, 1e-14, `grid ${k}`));
  assert.deepEqual(Array.from(lambdaGrid(3, 1)), [3]);
});

test("default grid: 100 values, ratio 1e-3 when n ≥ d, early stop only on the generated grid", () => {
  const { X, y } = randomProblem(5, 60, 4);
  const p = lassoPath(X, y, { earlyStop: false });
  assert.equal(p.lambdas.length, 100);
  close(p.lambdas[99] / p.lambdas[0], 1e-3, 0, 1e-12, "ratio");
  // d > n: the fit interpolates (R² > 0.999) long before 1e-2·λ_max, so the path stops early.
  const w = randomProblem(6, 12, 40);
  const e = lassoPath(w.X, w.y);
  assert.ok(e.lambdas.length < 100 && e.lambdas.length >= 5, `length ${e.lambdas.length}`);
  const full = lassoPath(w.X, w.y, { lambdas: lambdaGrid(e.lambdaMax, 100, 1e-2) });
  assert.equal(full.lambdas.length, 100);
});

test("constant columns keep a zero coefficient", () => {
  const { X, y } = randomProblem(8, 30, 3);
  const Xc = new Float64Array(30 * 4);
  for (let i = 0; i < 30; i++) {
    Xc.set(X.subarray(i * 3, i * 3 + 3), i * 4);
    Xc[i * 4 + 3] = 0.1; // (30 · 0.1)/30 ≠ 0.1 in floating point: must still count as constant
  }
  const p = lassoPath(Xc, y, { nLambda: 20, earlyStop: false });
  for (let k = 0; k < 20; k++) assert.equal(p.beta[k * 4 + 3], 0);
  assert.equal(p.scale[3], 1);
});

test("bad input throws InputError, bad options throw OptionError", () => {
  const { X, y } = randomProblem(1, 10, 2);
  assert.throws(() => lassoPath(X.subarray(1), y), InputError);
  assert.throws(() => lassoPath(X, y.subarray(0, 1), {}), InputError);
  const bad = Float64Array.from(X);
  bad[3] = NaN;
  assert.throws(() => lassoPath(bad, y), InputError);
  assert.throws(() => lassoPath(X, new Float64Array(10).fill(2)), InputError); // λ_max = 0
  assert.throws(() => lassoPath(X, y, { nLambda: 0 }), OptionError);
  assert.throws(() => lassoPath(X, y, { lambdaMinRatio: 1 }), OptionError);
  assert.throws(() => lassoPath(X, y, { tol: 0 }), OptionError);
  assert.throws(() => lassoPath(X, y, { lambdas: [0.1, 0.2] }), OptionError);
  assert.throws(() => lassoPath(X, y, { lambdas: [] }), OptionError);
  assert.throws(() => lassoPath(X, y, { lambdas: [-1] }), OptionError);
  const p = lassoPath(X, y, { nLambda: 3 });
  assert.throws(() => lassoPredict(p, 3, X), InputError);
  assert.throws(() => lassoPredict(p, 0, X.subarray(1)), InputError);
});

test("the input arrays are not modified", () => {
  const { X, y } = randomProblem(2, 20, 3);
  const X0 = Float64Array.from(X);
  const y0 = Float64Array.from(y);
  lassoPath(X, y);
  assert.deepEqual(X, X0);
  assert.deepEqual(y, y0);
});
