/**
 * S2 with a perturbed-truth start (as in the benchmark): held-out excess NLL over 10 seeds for
 * variance floors 1e-6, 1e-4, 1e-3 and step scales γ0 = 1, 0.25 (α = 0.6).
 *   npx tsx scripts/s2-variance-floor.ts
 */
import { S2_SPEC, perturbTruth } from "../bench/scenarios/synthetic.js";
import { MoeRegressor, createRng, sampleSynthetic, moeLayout, thetaFromParameters, createRowWorkspace, rowNll } from "../src/index.js";
const spec = S2_SPEC;
const L = moeLayout({ K: 3, d: 2, q: 1 });
const th = thetaFromParameters(L, spec.params);
for (const floor of [1e-6, 1e-4, 1e-3]) for (const g0 of [1, 0.25]) {
  const out: string[] = [];
  for (let seed = 1; seed <= 10; seed++) {
    const train = sampleSynthetic(spec, 20000, createRng(seed).fork(1));
    const test = sampleSynthetic(spec, 10000, createRng(seed).fork(2));
    const ws = createRowWorkspace(L); const x = new Float64Array(3); let truth = 0;
    for (let i = 0; i < test.n; i++) { x[0] = 1; x[1] = test.X[2 * i]; x[2] = test.X[2 * i + 1]; truth += rowNll(L, th, x, 0, test.Y, i, ws); }
    truth /= test.n;
    const m = new MoeRegressor({ nExperts: 3, seed, initRows: 100, stepScale: g0, stepExponent: 0.6, varianceFloor: floor });
    m.startFrom(perturbTruth(spec.params, createRng(seed).fork(3)), { d: 2, q: 1 });
    m.learnMany(train.X, train.Y, train.n); m.finish();
    out.push((m.score(test.X, test.Y, test.n) - truth).toFixed(3));
  }
  console.log(`floor ${floor} g0 ${g0}: ${out.join(" ")}`);
}
