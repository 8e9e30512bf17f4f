/**
 * Quality and cost of the default initialization at width:   npx tsx scripts/init-quality.ts [seeds]
 *
 * For seeds 1..8 (or the count given), a random d = 100, K = 3 problem (randomMoeSpec), 20,000
 * training rows streamed through `MoeRegressor` with default options (buffered initialization, then
 * one ISMM pass), and the held-out NLL on 5,000 fresh rows. Each configuration below changes only
 * the initialization's iteration counts; "init ms" is the CPU time of the row that triggers it.
 */
import { createRng, MoeRegressor, randomMoeSpec, sampleSynthetic, type MoeRegressorOptions } from "../src/index.js";

const d = 100;
const K = 3;
const nSeeds = Number(process.argv[2] ?? 8);
const configs: [string, MoeRegressorOptions][] = [
  ["defaults", {}],
  ["5 starts × 15 + 60 (the narrow defaults)", { initStarts: 5, initIters: 15, refineIters: 60 }],
];
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
for (const [label, options] of configs) {
  const nlls: number[] = [];
  let initMs = 0;
  for (let seed = 1; seed <= nSeeds; seed++) {
    const spec = randomMoeSpec(K, d, 1, createRng(100 + seed));
    const train = sampleSynthetic(spec, 20000, createRng(200 + seed));
    const test = sampleSynthetic(spec, 5000, createRng(300 + seed));
    const m = new MoeRegressor({ nExperts: K, ...options });
    const n0 = 5 * K * (d + 1); // the default initRows at this width
    m.learnMany(train.X.subarray(0, (n0 - 1) * d), train.Y.subarray(0, n0 - 1), n0 - 1);
    const t0 = cpuMs();
    m.learnMany(train.X.subarray((n0 - 1) * d, n0 * d), train.Y.subarray(n0 - 1, n0), 1);
    initMs += cpuMs() - t0;
    m.learnMany(train.X.subarray(n0 * d), train.Y.subarray(n0), train.n - n0);
    nlls.push(m.score(test.X, test.Y, test.n));
  }
  const mean = nlls.reduce((a, b) => a + b, 0) / nlls.length;
  console.log(`${label}: init ${(initMs / nSeeds).toFixed(0)} ms CPU per fit; held-out NLL ${nlls.map((v) => v.toFixed(4)).join(" ")}; mean ${mean.toFixed(4)}`);
}
