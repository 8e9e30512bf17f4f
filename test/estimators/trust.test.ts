/**
 * Trustworthy fits (issue 9): no poisoned state, one outlier cannot ruin the fit, small data sets
 * get the MLE (R flexmix), γ0 = 1 no longer collapses an expert, and every degenerate outcome is
 * reported by `diagnostics()` / `warnings()`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MoeRegressor } from "../../src/estimators/moe-regressor.js";
import { RowError } from "../../src/core/errors.js";
import { createRng } from "../../src/core/rng.js";
import { fitScaler } from "../../src/model/scaling.js";
import { parametersNll } from "../../src/evaluate/parameters-nll.js";
import { randomMoeSpec, sampleSynthetic } from "../../src/stream/synthetic.js";
import { readAll } from "../../src/stream/table-reader.js";
import { assertAllClose } from "../helpers.js";

test("robust scaler: median and IQR/1.349; a 0/1 column with few ones falls back to the trimmed sd", () => {
  // x: 1..9 plus one 1e12 → median 5.5 (unmoved by the outlier), IQR = 7.75 − 3.25 = 4.5.
  const X = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 1e12]);
  const Y = Float64Array.from([0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
  const sc = fitScaler(X, 1, Y, 1, 10);
  assertAllClose([sc.xMean[0], sc.xScale[0]], [5.5, 4.5 / 1.349], 1e-12);
  // y: IQR 0 → sd of the values within [P1, P99] = [0, 1]: eight 0s and two 1s → sd = √(1.6/9).
  assertAllClose([sc.yMean[0], sc.yScale[0]], [0, Math.sqrt(1.6 / 9)], 1e-12);
});

test("a row with y = 1e160 is refused with a RowError before it touches the state", () => {
  const spec = randomMoeSpec(2, 2, 1, createRng(1));
  const data = sampleSynthetic(spec, 600, createRng(2));
  const m = new MoeRegressor({ nExperts: 2, initRows: 300 });
  m.learnMany(data.X.subarray(0, 2 * 500), data.Y.subarray(0, 500), 500);
  const before = JSON.stringify({ ...m.toJSON(), counters: null, diagnostics: null });
  assert.throws(() => m.learnOne([0.1, 0.2], 1e160), (e: unknown) => e instanceof RowError && e.array === "y" && e.column === 0 && /1e\+160, beyond/.test(e.message));
  assert.throws(() => m.learnMany(Float64Array.from([0, 0, 1e155, 0]), Float64Array.from([1, 2]), 2), (e: unknown) => e instanceof RowError && e.row === 1 && e.array === "x");
  // learnMany learned the row before the bad one: the state moved by exactly that row.
  const ref = MoeRegressor.fromJSON(JSON.parse(before));
  ref.learnOne([0, 0], 1);
  const after = m.toJSON();
  assert.deepEqual(after.learner, ref.toJSON().learner);
  assert.equal(after.counters?.rejected, 2);
  assert.equal(m.diagnostics().rejected, 2);
});

test("one y = 1e12 among the initialization rows: set aside and named; the other rows fit within 0.05 nats of the truth", () => {
  const spec = randomMoeSpec(2, 2, 1, createRng(5));
  const train = sampleSynthetic(spec, 8000, createRng(6));
  const test = sampleSynthetic(spec, 5000, createRng(7));
  const Y = train.Y.slice();
  Y[123] = 1e12; // data row 124, inside the 1000-row buffer
  const m = new MoeRegressor({ nExperts: 2, seed: 1 });
  m.learnMany(train.X, Y, train.n);
  m.finish();
  const D = m.diagnostics();
  assert.equal(D.outliers, 1);
  assert.deepEqual(D.outlierRows, [124]);
  assert.ok(m.warnings().some((w) => /1 row was more than the outlier threshold.*row 124/.test(w)), m.warnings().join("\n"));
  const excess = m.score(test.X, test.Y, test.n) - parametersNll(spec.params, test.X, test.Y, test.n);
  // Issue 9 bound. Measured ≈ 0.002 (the clean fit's own excess); with mean/sd scaling it was ~17.
  assert.ok(excess < 0.05, `excess ${excess}`);
});

test("the prequential loss scores each row with the parameters that predict (the Polyak average), before learning it", () => {
  const spec = randomMoeSpec(2, 2, 1, createRng(3));
  const data = sampleSynthetic(spec, 900, createRng(4));
  const m = new MoeRegressor({ nExperts: 2, initRows: 300 });
  m.learnMany(data.X.subarray(0, 600), data.Y.subarray(0, 300), 300);
  let sum = 0;
  for (let i = 300; i < 900; i++) {
    const x = data.X.subarray(2 * i, 2 * i + 2);
    sum += m.nllOne(x, data.Y[i]); // nllOne predicts with the averaged θ̃
    m.learnOne(x, data.Y[i]);
  }
  const t = m.prequentialTotals;
  assert.equal(t.count, 600);
  assert.ok(Math.abs(t.nllSum - sum) <= 1e-9 * Math.abs(sum), `${t.nllSum} vs ${sum}`);
});

test("γ0 = 1 no longer collapses an expert (K = 4, d = 10, 30k rows, the seed that collapsed): excess ≤ 0.02; the MLE M-step still collapses", () => {
  const spec = randomMoeSpec(4, 10, 1, createRng(4), { noise: 0.7 });
  const train = sampleSynthetic(spec, 30000, createRng(4).fork(1));
  const test = sampleSynthetic(spec, 10000, createRng(4).fork(3));
  const truth = parametersNll(spec.params, test.X, test.Y, test.n);
  const fit = (opts: Record<string, unknown>) => {
    const m = new MoeRegressor({ nExperts: 4, seed: 4, stepScale: 1, ...opts });
    m.learnMany(train.X, train.Y, train.n);
    m.finish();
    return m.score(test.X, test.Y, test.n) - truth;
  };
  const map = fit({});
  const mle = fit({ variancePrior: 0 });
  // Measured (scripts/step-study.ts): MAP 0.0090, MLE 0.050 (an expert's s0 fell to 0.02 and σ² to 2e-3).
  assert.ok(map <= 0.02, `MAP excess ${map}`);
  assert.ok(mle > 0.03, `MLE excess ${mle}: the seed no longer shows the collapse this test guards against`);
});

test("an expert fitting its rows exactly sits at the variance floor, and the diagnostics say so", () => {
  const n = 400;
  const X = new Float64Array(n);
  const Y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    X[i] = i / n;
    Y[i] = 3 * X[i] - 1; // K = 1, noise-free
  }
  const m = new MoeRegressor({ nExperts: 1, variancePrior: 0 });
  m.fit(X, Y, n);
  const D = m.diagnostics();
  assert.deepEqual(D.varianceFloorExperts, [0]);
  assert.ok(m.warnings().some((w) => /expert 1 hit the variance floor/.test(w)));
  // With the prior the same fit stays off the floor (c·p = 0.1 rows of σ0² = 0.1 in 400 rows).
  const p = new MoeRegressor({ nExperts: 1 });
  p.fit(X, Y, n);
  assert.deepEqual(p.diagnostics().varianceFloorExperts, []);
});

const tonePath = fileURLToPath(new URL("../../../shared/data/tone_perception.csv", import.meta.url));

test("small data (tone perception, 150 rows): default options reach R flexmix's MLE within 0.005 nats/row for K = 2–4", { skip: existsSync(tonePath) ? false : "../shared/data is not beside the project" }, async () => {
  const data = await readAll({ source: tonePath, targets: ["tuned"] });
  // flexmix 2.3: stepFlexmix(tuned ~ stretchratio, k = K, nrep = 20, concomitant = FLXPmultinom(~stretchratio)),
  // mean log-likelihood per row (logLik/150); scripts/small-data/flexmix.R prints them.
  const flexmix: Record<number, number> = { 2: 0.9522541, 3: 1.596946, 4: 1.686961 };
  for (const K of [2, 3, 4]) {
    const m = new MoeRegressor({ nExperts: K });
    m.fit(data.X, data.Y, data.n);
    const init = m.initialization;
    assert.ok(init !== null && init.wholeData && init.restarts === 10 && init.rows === 150);
    assert.equal(m.nLearned, 150, "one learning pass after the whole-data initialization");
    const ll = -m.score(data.X, data.Y, data.n);
    assert.ok(ll >= flexmix[K] - 0.005, `K=${K}: ${ll} vs flexmix ${flexmix[K]}`);
  }
});

test("K = 10 on 67 rows: a warning, and held-out NLL within 1 nat/row of K = 4's", { skip: existsSync(tonePath) ? false : "../shared/data is not beside the project" }, async () => {
  const data = await readAll({ source: tonePath, targets: ["tuned"] });
  const rng = createRng(11);
  const idx = Array.from({ length: data.n }, (_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  const take = (ids: number[]) => ({ X: Float64Array.from(ids.map((i) => data.X[i])), Y: Float64Array.from(ids.map((i) => data.Y[i])), n: ids.length });
  const train = take(idx.slice(0, 67));
  const held = take(idx.slice(67));
  const nll = (K: number) => {
    const m = new MoeRegressor({ nExperts: K });
    m.fit(train.X, train.Y, train.n);
    return { m, nll: m.score(held.X, held.Y, held.n) };
  };
  const k4 = nll(4);
  const k10 = nll(10);
  assert.ok(k10.m.warnings().some((w) => /K = 10 experts have 48 free parameters for 67 rows/.test(w)), k10.m.warnings().join("\n"));
  assert.ok(k10.nll - k4.nll < 1, `K=10 ${k10.nll} vs K=4 ${k4.nll}`);
});
