/**
 * Convergence of one pass of ISMM, default initialization and options, on seeded synthetic MoE
 * data not drawn from the spec's setups: unstandardized inputs, 20k rows, q = 1 and q = 2.
 * Criterion (issue 2): held-out mean NLL within 0.01 nats of the true parameters' NLL.
 * The 20k-row test set makes the comparison's own noise small: both NLLs are evaluated on the
 * same rows, so what remains is estimation error (≈ #params/(2N) ≈ 1e-3 for the MLE) plus the
 * algorithm's excess.
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

for (const [K, q, seed] of [[3, 1, 101], [3, 2, 102], [4, 1, 103], [2, 2, 104]] as const) {
  test(`one pass of ISMM at defaults reaches the truth's held-out NLL within 0.01 (K=${K}, d=4, q=${q})`, () => {
    const spec = randomMoeSpec(K, 4, q, createRng(seed), { inputs });
    const train = sampleSynthetic(spec, 20000, createRng(seed).fork(1));
    const test = sampleSynthetic(spec, 20000, createRng(seed).fork(2));
    const m = new MoeRegressor({ nExperts: K, seed });
    m.learnMany(train.X, train.Y, train.n);
    m.finish();
    const excess = m.score(test.X, test.Y, test.n) - truthNll(spec, test);
    assert.ok(excess < 0.01, `excess held-out NLL ${excess}`);
  });
}
