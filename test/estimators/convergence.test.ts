/**
 * Convergence of one pass of ISMM, default initialization and options, on seeded synthetic MoE
 * data not drawn from the spec's setups: unstandardized inputs, 20k rows, q = 1 and q = 2.
 * Criterion: held-out mean NLL within 0.005 nats of the true parameters' NLL, and at most half the
 * excess of the initialization ISMM starts from (so the bound is one the initialization fails).
 * The 20k-row test set makes the comparison's own noise small: both NLLs are evaluated on the
 * same rows, so what remains is estimation error (≈ #params/(2N) ≈ 1e-3 for the MLE) plus the
 * algorithm's excess.
 *
 * Measured (scratch run of these four cases, 2026-11-28): the initialization alone (the default
 * multi-start EM on the first 1000 rows) scores 0.0139, 0.0185, 0.0156, 0.0101 nats above the
 * truth; one pass of ISMM 0.0015, 0.0009, 0.0020, 0.0010. The bound 0.005 is half the smallest
 * initialization excess (the old bound 0.01 let the initialization alone pass in three of four
 * cases) and 2.5× the largest ISMM excess, margin for changes of the estimator (with the lead's MAP
 * prior and robust scaler, main 83dfeec and ffcfd3f: initialization 0.0101–0.0184, ISMM 0.0008–0.0020).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MoeRegressor } from "../../src/estimators/moe-regressor.js";
import { randomMoeSpec, sampleSynthetic, type SyntheticSpec, type SyntheticData } from "../../src/stream/synthetic.js";
import { parametersNll } from "../../src/evaluate/parameters-nll.js";
import { createRng } from "../../src/core/rng.js";

function truthNll(spec: SyntheticSpec, data: SyntheticData): number {
  return parametersNll(spec.params, data.X, data.Y, data.n);
}

// Inputs on very different scales and far from zero (means 5, −3, 100, 0.2; sds 2, 0.5, 20, 0.1).
const inputs = { kind: "gaussian" as const, mean: [5, -3, 100, 0.2], scale: [2, 0.5, 20, 0.1] };

/** Rows of the initialization buffer: the default max(1000, 5·K·p) is 1000 for p = 5, K ≤ 4. */
const INIT_ROWS = 1000;

for (const [K, q, seed] of [[3, 1, 101], [3, 2, 102], [4, 1, 103], [2, 2, 104]] as const) {
  test(`one pass of ISMM at defaults reaches the truth's held-out NLL within 0.005 and halves the initialization's excess (K=${K}, d=4, q=${q})`, () => {
    const spec = randomMoeSpec(K, 4, q, createRng(seed), { inputs });
    const train = sampleSynthetic(spec, 20000, createRng(seed).fork(1));
    const test = sampleSynthetic(spec, 20000, createRng(seed).fork(2));
    const m = new MoeRegressor({ nExperts: K, seed });
    m.learnMany(train.X, train.Y, train.n);
    m.finish();
    const ref = truthNll(spec, test);
    const excess = m.score(test.X, test.Y, test.n) - ref;
    // The initialization alone: the same options and seed, fed exactly the buffer (θ0, no ISMM step).
    const m0 = new MoeRegressor({ nExperts: K, seed });
    m0.learnMany(train.X.subarray(0, INIT_ROWS * 4), train.Y.subarray(0, INIT_ROWS * q), INIT_ROWS);
    m0.finish();
    const initExcess = m0.score(test.X, test.Y, test.n) - ref;
    assert.ok(excess < 0.005, `excess held-out NLL ${excess} (initialization alone: ${initExcess})`);
    assert.ok(excess < initExcess / 2, `ISMM ${excess} does not halve the initialization's excess ${initExcess}`);
  });
}
