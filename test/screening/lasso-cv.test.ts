import { test } from "node:test";
import assert from "node:assert/strict";
import { assignFolds, lassoCv, selectFeatures } from "../../src/screening/lasso-cv.js";
import { InputError, OptionError } from "../../src/core/errors.js";
import { createRng } from "../../src/core/rng.js";

function problem(seed: number, n: number, d: number): { X: Float64Array; y: Float64Array } {
  const rng = createRng(seed);
  const X = Float64Array.from({ length: n * d }, () => rng.normal());
  const y = Float64Array.from({ length: n }, (_, i) => 2 * X[i * d + 1] - X[i * d + 3] + 0.5 * X[i * d] + 0.5 * rng.normal());
  return { X, y };
}

test("assignFolds: balanced, seeded, a permutation of fold labels", () => {
  const f = assignFolds(23, 5, createRng(1));
  const sizes = [0, 0, 0, 0, 0];
  for (const v of f) sizes[v]++;
  assert.deepEqual(sizes, [5, 5, 5, 4, 4]);
  assert.deepEqual(assignFolds(23, 5, createRng(1)), f);
  assert.notDeepEqual(assignFolds(23, 5, createRng(2)), f);
  assert.throws(() => assignFolds(5, 1, createRng(1)), OptionError);
  assert.throws(() => assignFolds(5, 6, createRng(1)), OptionError);
});

test("lassoCv is deterministic for a seed and changes with it", () => {
  const { X, y } = problem(4, 80, 10);
  const a = lassoCv(X, y, { folds: 5, seed: 7, nLambda: 30 });
  const b = lassoCv(X, y, { folds: 5, seed: 7, nLambda: 30 });
  assert.deepEqual(a.foldId, b.foldId);
  assert.deepEqual(a.cvm, b.cvm);
  assert.deepEqual(a.cvsd, b.cvsd);
  assert.equal(a.lambdaMin, b.lambdaMin);
  assert.equal(a.lambda1se, b.lambda1se);
  const c = lassoCv(X, y, { folds: 5, seed: 8, nLambda: 30 });
  assert.notDeepEqual(c.foldId, a.foldId);
  assert.notDeepEqual(c.cvm, a.cvm);
});

test("lassoCv: λ_1se ≥ λ_min and the 1-se rule as defined", () => {
  const { X, y } = problem(5, 100, 12);
  const cv = lassoCv(X, y, { folds: 10, seed: 1 });
  assert.ok(cv.lambda1se >= cv.lambdaMin);
  const min = Math.min(...cv.cvm);
  assert.equal(cv.cvm[cv.indexMin], min);
  for (let k = 0; k < cv.indexMin; k++) assert.ok(cv.cvm[k] > min);
  const bound = cv.cvm[cv.indexMin] + cv.cvsd[cv.indexMin];
  assert.ok(cv.cvm[cv.index1se] <= bound);
  for (let k = 0; k < cv.index1se; k++) assert.ok(cv.cvm[k] > bound);
});

test("lassoCv with explicit foldId equals the seeded run with the same folds", () => {
  const { X, y } = problem(6, 50, 6);
  const a = lassoCv(X, y, { folds: 5, seed: 3, nLambda: 20 });
  const b = lassoCv(X, y, { foldId: a.foldId, nLambda: 20 });
  assert.deepEqual(b.cvm, a.cvm);
  assert.throws(() => lassoCv(X, y, { foldId: [0, 1] }), InputError);
  assert.throws(() => lassoCv(X, y, { foldId: new Array(50).fill(0) }), InputError);
  assert.throws(() => lassoCv(X, y, { foldId: Array.from({ length: 50 }, (_, i) => (i % 2) * 2) }), InputError);
});

test("selectFeatures finds the true support, ordered by |coef|", () => {
  const { X, y } = problem(9, 200, 15);
  const s = selectFeatures(X, y, { rule: "1se", folds: 10, seed: 1 });
  assert.deepEqual(s.indices.slice(0, 3), [1, 3, 0]);
  for (let i = 1; i < s.indices.length; i++) {
    assert.ok(Math.abs(s.coefScaled[s.indices[i - 1]]) >= Math.abs(s.coefScaled[s.indices[i]]));
  }
  for (const j of s.indices) assert.notEqual(s.coefScaled[j], 0);
  const capped = selectFeatures(X, y, { rule: "1se", folds: 10, seed: 1, maxFeatures: 2 });
  assert.deepEqual(capped.indices, [1, 3]);
  const m = selectFeatures(X, y, { rule: "min", folds: 10, seed: 1 });
  assert.ok(m.indices.length >= s.indices.length);
  assert.equal(m.lambda, m.cv.lambdaMin);
});

test("selectFeatures breaks |coef| ties by the lower column index", () => {
  // Orthogonal ±1 Hadamard columns (n = 16); y = −h_a + h_b + 0.5 h_c exactly, so on the full-data
  // path |b_a| = |b_b| bit for bit (x̃ᵀy = ∓n in exact integer arithmetic).
  let H = [[1]];
  for (let s = 0; s < 4; s++) H = [...H.map((r) => [...r, ...r]), ...H.map((r) => [...r, ...r.map((v) => -v)])];
  const n = 16;
  const cols = [3, 5, 6, 9];
  const X = Float64Array.from({ length: n * 4 }, (_, t) => H[Math.floor(t / 4)][cols[t % 4]]);
  // column 2 gets −1, column 1 gets +1, column 3 gets 0.5, column 0 nothing
  const y = Float64Array.from({ length: n }, (_, i) => -X[i * 4 + 2] + X[i * 4 + 1] + 0.5 * X[i * 4 + 3]);
  const s = selectFeatures(X, y, { rule: "min", folds: 4, seed: 2 });
  assert.equal(Math.abs(s.coefScaled[1]), Math.abs(s.coefScaled[2]));
  assert.deepEqual(s.indices.slice(0, 3), [1, 2, 3]);
});

test("selectFeatures validates its options", () => {
  const { X, y } = problem(1, 30, 4);
  assert.throws(() => selectFeatures(X, y, { rule: "max" as "min" }), OptionError);
  assert.throws(() => selectFeatures(X, y, { rule: "min", maxFeatures: 0 }), OptionError);
  assert.throws(() => selectFeatures(X, y, { rule: "min", folds: 1 }), OptionError);
  assert.throws(() => selectFeatures(X, y.subarray(1), { rule: "min" }), InputError);
});
