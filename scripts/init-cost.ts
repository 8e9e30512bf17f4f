/**
 * Cost of the default initialization (buffered multi-start EM, mm/init.ts) as p grows.
 *   npx tsx scripts/init-cost.ts
 * Prints wall milliseconds and the buffer NLL for a 1000-row buffer of seeded synthetic data.
 */
import { createRng, initializeMoe, moeLayout, randomMoeSpec, sampleSynthetic } from "../src/index.js";

for (const [d, K] of [[10, 4], [100, 3], [100, 8]] as const) {
  const n = 1000;
  const data = sampleSynthetic(randomMoeSpec(K, d, 1, createRng(1)), n, createRng(2));
  const L = moeLayout({ K, d, q: 1 });
  const X = new Float64Array(n * L.p);
  for (let i = 0; i < n; i++) {
    X[i * L.p] = 1;
    for (let a = 0; a < d; a++) X[i * L.p + 1 + a] = data.X[i * d + a];
  }
  const t0 = performance.now();
  const r = initializeMoe(L, X, data.Y, n, createRng(3));
  console.log(`d=${d} K=${K}: ${(performance.now() - t0).toFixed(0)} ms, buffer NLL ${r.nll.toFixed(4)}`);
}
