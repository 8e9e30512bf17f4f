/**
 * `tuneLearningRate`: one `MoeRegressor` fit per learning rate through the public estimator path;
 * the best finite validation NLL wins; diverged rates stay in the table as +Infinity.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { OptionError } from "../../src/core/errors.js";
import { createRng } from "../../src/core/rng.js";
import { MoeRegressor } from "../../src/estimators/moe-regressor.js";
import { DEFAULT_LR_GRID, tuneLearningRate } from "../../src/estimators/lr-grid.js";
import { randomMoeSpec, sampleSynthetic } from "../../src/stream/synthetic.js";

const root = createRng(41);
const spec = randomMoeSpec(2, 2, 1, root.fork(0));
const train = sampleSynthetic(spec, 800, root.fork(1));
const validation = sampleSynthetic(spec, 1000, root.fork(2));
const options = { nExperts: 2, initRows: 200, seed: 3 };

describe("tuneLearningRate", () => {
  it("the default grid is ALGORITHM.md §4.1's", () => {
    assert.deepEqual(DEFAULT_LR_GRID, [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]);
  });

  it("picks the best finite rate and reports a diverged rate as +Infinity with its error", () => {
    const grid = [1e-4, 1e-3, 1e-2, 1e6];
    const r = tuneLearningRate({ method: "adam", grid, train, validation, options, epochs: 2 });
    assert.equal(r.method, "adam");
    assert.deepEqual(r.table.map((row) => row.learningRate), grid, "one row per rate, in grid order");
    const last = r.table[3];
    assert.equal(last.validationNll, Infinity);
    assert.equal(last.diverged, true);
    assert.match(last.error ?? "", /^adam diverged/);
    for (const row of r.table.slice(0, 3)) {
      assert.ok(Number.isFinite(row.validationNll) && !row.diverged, `η = ${row.learningRate}: ${row.validationNll}`);
    }
    const finite = r.table.filter((row) => !row.diverged).map((row) => row.validationNll);
    assert.equal(r.bestValidationNll, Math.min(...finite));
    assert.ok(r.bestLearningRate !== null && grid.slice(0, 3).includes(r.bestLearningRate));
    assert.equal(r.table.find((row) => row.learningRate === r.bestLearningRate)?.validationNll, r.bestValidationNll);
  });

  it("each row is exactly the public estimator fit with that rate (same seed, same init)", () => {
    const r = tuneLearningRate({ method: "sgd", grid: [3e-3], train, validation, options, epochs: 2 });
    const m = new MoeRegressor({ ...options, method: "sgd", learningRate: 3e-3 }).fit(train.X, train.Y, train.n, { epochs: 2 });
    assert.equal(r.table[0].validationNll, m.score(validation.X, validation.Y, validation.n));
  });

  it("all rates diverged ⇒ bestLearningRate null and bestValidationNll +Infinity", () => {
    const r = tuneLearningRate({ method: "sophia", grid: [1e6], train, validation, options });
    assert.equal(r.bestLearningRate, null);
    assert.equal(r.bestValidationNll, Infinity);
    assert.equal(r.table[0].diverged, true);
  });

  it("rejects methods without a learning rate, bad grids, and options that set method or learningRate", () => {
    assert.throws(() => tuneLearningRate({ method: "ismm" as "sgd", train, validation }), OptionError);
    assert.throws(() => tuneLearningRate({ method: "adam", grid: [], train, validation }), OptionError);
    assert.throws(() => tuneLearningRate({ method: "adam", grid: [0.1, -1], train, validation }), OptionError);
    assert.throws(() => tuneLearningRate({ method: "adam", grid: [NaN], train, validation }), OptionError);
    const bad = { ...options, learningRate: 0.1 } as unknown as typeof options;
    assert.throws(() => tuneLearningRate({ method: "adam", train, validation, options: bad }), /sets 'learningRate' itself/);
  });
});
