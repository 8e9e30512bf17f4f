/** API contracts of MoeRegressor (River check_estimator / sklearn estimator checks). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MoeRegressor } from "../../src/estimators/moe-regressor.js";
import { OPTION_TABLE } from "../../src/estimators/options.js";
import { InputError, ModelFormatError, NotFittedError, OptionError } from "../../src/core/errors.js";
import { randomMoeSpec, sampleSynthetic } from "../../src/stream/synthetic.js";
import { createRng } from "../../src/core/rng.js";

const spec = randomMoeSpec(3, 2, 1, createRng(1), { inputs: { kind: "gaussian", mean: [10, -4], scale: [3, 0.5] } });
const data = sampleSynthetic(spec, 3000, createRng(2));
const small = { nExperts: 3, seed: 5, initRows: 400 };

function snapshotString(m: MoeRegressor): string {
  return JSON.stringify(m.toJSON());
}

test("same seed ⇒ bit-identical state; different seed ⇒ different initialization", () => {
  const a = new MoeRegressor(small);
  const b = new MoeRegressor(small);
  a.learnMany(data.X, data.Y, data.n);
  b.learnMany(data.X, data.Y, data.n);
  assert.equal(snapshotString(a), snapshotString(b));
  const c = new MoeRegressor({ ...small, seed: 6 });
  c.learnMany(data.X, data.Y, data.n);
  assert.notEqual(snapshotString(a), snapshotString(c));
});

test("learnMany equals a loop of learnOne, and inputs are never mutated", () => {
  const X = data.X.slice();
  const Y = data.Y.slice();
  const a = new MoeRegressor(small);
  a.learnMany(X, Y, data.n);
  const b = new MoeRegressor(small);
  for (let i = 0; i < data.n; i++) {
    const x = Array.from(X.subarray(i * 2, i * 2 + 2));
    const xCopy = x.slice();
    b.learnOne(x, Y[i]);
    assert.deepEqual(x, xCopy);
  }
  assert.deepEqual(X, data.X);
  assert.deepEqual(Y, data.Y);
  assert.equal(snapshotString(a), snapshotString(b));
});

test("predictOne, score and parameters do not change the model", () => {
  const m = new MoeRegressor(small);
  m.learnMany(data.X, data.Y, data.n);
  const before = snapshotString(m);
  m.predictOne([10, -4]);
  m.score(data.X, data.Y, data.n);
  m.parameters();
  assert.equal(snapshotString(m), before);
});

for (const method of ["ismm", "em"] as const) {
  test(`save → load → continue is bit-identical to never stopping (${method}; during buffering and after)`, () => {
    for (const cut of [150, 1700]) {
      const full = new MoeRegressor({ ...small, method });
      full.learnMany(data.X, data.Y, data.n);
      full.finish();
      const first = new MoeRegressor({ ...small, method });
      first.learnMany(data.X.subarray(0, cut * 2), data.Y.subarray(0, cut), cut);
      const restored = MoeRegressor.fromJSON(JSON.parse(JSON.stringify(first.toJSON())));
      restored.learnMany(data.X.subarray(cut * 2), data.Y.subarray(cut), data.n - cut);
      restored.finish();
      assert.equal(snapshotString(restored), snapshotString(full));
      assert.deepEqual(restored.predictOne([9, -4.2]), full.predictOne([9, -4.2]));
    }
  });
}

test("predicting before initialization throws NotFittedError naming what to do", () => {
  const m = new MoeRegressor(small);
  m.learnOne([1, 2], 3);
  assert.throws(() => m.predictOne([1, 2]), (e: unknown) => e instanceof NotFittedError && /flush\(\)/.test((e as Error).message));
});

test("too few rows for the model: finish() throws InputError with the count needed", () => {
  const m = new MoeRegressor({ nExperts: 3 });
  for (let i = 0; i < 5; i++) m.learnOne([i, 2 * i], i);
  assert.throws(() => m.finish(), (e: unknown) => e instanceof InputError && /5 rows are too few for 3 experts/.test((e as Error).message));
});

test("bad rows: wrong length and non-finite values throw InputError", () => {
  const m = new MoeRegressor(small);
  m.learnOne([1, 2], 3);
  assert.throws(() => m.learnOne([1, 2, 3], 3), /learnOne requires x of length 2, got 3/);
  assert.throws(() => m.learnOne([1, NaN], 3), /x\[1\] is NaN/);
  assert.throws(() => m.learnOne([1, 2], Infinity), /y\[0\] is Infinity/);
  assert.throws(() => m.learnOne([1, 2], [1, 2]), /requires y of length 1, got 2/);
});

test("every option rejects an invalid value with the sklearn-style message; unknown keys are rejected", () => {
  for (const [name, spec] of Object.entries(OPTION_TABLE)) {
    const bad = spec.kind === "bool" ? "yes" : spec.kind === "enum" ? "nope" : spec.kind === "int" ? 1.5 : -1;
    assert.throws(
      () => new MoeRegressor({ [name]: bad } as never),
      (e: unknown) => e instanceof OptionError && (e as Error).message.startsWith(`The '${name}' option of MoeRegressor must be`),
      name,
    );
  }
  assert.throws(() => new MoeRegressor({ nExpert: 3 } as never), /Unknown option 'nExpert'/);
  assert.throws(() => new MoeRegressor({ nExperts: 0 }), /must be an int in the range \[1, inf\)\. Got 0 instead/);
});

test("fromJSON rejects other formats, versions and corrupt fields", () => {
  const m = new MoeRegressor(small);
  m.learnMany(data.X, data.Y, data.n);
  const good = m.toJSON();
  assert.throws(() => MoeRegressor.fromJSON({ ...good, format: "other" }), ModelFormatError);
  assert.throws(() => MoeRegressor.fromJSON({ ...good, version: 99 }), /unsupported model file version 99/);
  assert.throws(() => MoeRegressor.fromJSON([1, 2]), ModelFormatError);
  const broken = JSON.parse(JSON.stringify(good));
  broken.learner.theta[0] = "x";
  assert.throws(() => MoeRegressor.fromJSON(broken), ModelFormatError);
});

test("K = 1 fits ordinary least squares (predictions in original units)", () => {
  const m = new MoeRegressor({ nExperts: 1, initRows: 3000 });
  m.learnMany(data.X, data.Y, data.n);
  m.finish();
  const P = m.parameters();
  // OLS slope signs/values via the normal equations on centered data (2 inputs).
  let sxx = 0, sxz = 0, szz = 0, sxy = 0, szy = 0, mx = 0, mz = 0, my = 0;
  const n = data.n;
  for (let i = 0; i < n; i++) { mx += data.X[2 * i]; mz += data.X[2 * i + 1]; my += data.Y[i]; }
  mx /= n; mz /= n; my /= n;
  for (let i = 0; i < n; i++) {
    const x = data.X[2 * i] - mx, z = data.X[2 * i + 1] - mz, y = data.Y[i] - my;
    sxx += x * x; sxz += x * z; szz += z * z; sxy += x * y; szy += z * y;
  }
  const det = sxx * szz - sxz * sxz;
  const b1 = (szz * sxy - sxz * szy) / det;
  const b2 = (sxx * szy - sxz * sxy) / det;
  // The init EM on a single expert is one exact weighted-LS M-step: agreement to rounding (cond ≈ 40).
  assert.ok(Math.abs(P.beta[0][0][1] - b1) < 1e-9 && Math.abs(P.beta[0][0][2] - b2) < 1e-9, `${P.beta[0][0]} vs ${b1}, ${b2}`);
});

test("predictions: gate sums to 1, the mean is the gate-weighted expert means, parameters agree", () => {
  const m = new MoeRegressor(small);
  m.learnMany(data.X, data.Y, data.n);
  const x = [9.5, -4.1];
  const p = m.predictOne(x);
  assert.equal(p.expertMeans.length, 3);
  // Σπ = 1 and mean = Σ π_k μ_k up to rounding of three terms (1e-12 relative is generous).
  assert.ok(Math.abs(p.gate[0] + p.gate[1] + p.gate[2] - 1) < 1e-12);
  const mix = p.gate[0] * p.expertMeans[0] + p.gate[1] * p.expertMeans[1] + p.gate[2] * p.expertMeans[2];
  assert.ok(Math.abs(mix - p.mean[0]) < 1e-10 * (1 + Math.abs(mix)));
  // The per-expert means equal β_kᵀ(1, x) from the original-units parameters.
  const P = m.parameters();
  for (let k = 0; k < 3; k++) {
    const b = P.beta[k][0];
    const mu = b[0] + b[1] * x[0] + b[2] * x[1];
    assert.ok(Math.abs(mu - p.expertMeans[k]) < 1e-9 * (1 + Math.abs(mu)), `expert ${k}: ${mu} vs ${p.expertMeans[k]}`);
  }
});
