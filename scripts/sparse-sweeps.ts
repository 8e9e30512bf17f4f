/**
 * How many coordinate sweeps per row does the streaming elastic-net M-step need (docs/SPARSE.md)?
 * Runs ISMM (fast solver) on one seeded sparse stream (d = 60, K = 3, 4 inputs per expert, as
 * scripts/sparse-study.ts) from the true parameters, with the β-block solved by 1 sweep and 1 σ² update
 * per row (the default, `STREAMING_SOLVER`), 3 sweeps, or to convergence (tolerance 1e-10, up to 50
 * β/σ² rounds), and prints µs per row, sweeps per solve, and at the end of the stream the gap between the
 * iterate and the converged minimizer of the final statistic: max |Δβ| and the penalized-surrogate gap.
 *
 *   npx tsx scripts/sparse-sweeps.ts [--rows 20000] [--l1 0.03]
 */
import { parseArgs } from "node:util";
import { type MoeSurrogateOptions, batchStats, createRng, ismmInit, ismmStep, moeFastSurrogate, moeLayout, moeSurrogate, randomMoeSpec, sampleSynthetic, thetaFromParameters } from "../src/index.js";

const { values } = parseArgs({ options: { rows: { type: "string", default: "20000" }, l1: { type: "string", default: "0.03" } } });
const rows = Number(values.rows);
const l1 = Number(values.l1);
const d = 60;
const K = 3;
const spec = randomMoeSpec(K, d, 1, createRng(1).fork(1), { noise: 0.5 });
const rng = createRng(1).fork(7);
const beta = spec.params.beta.map((bk) =>
  bk.map((row) => {
    const out = row.map(() => 0);
    out[0] = row[0];
    const picked = new Set<number>();
    while (picked.size < 4) picked.add(rng.int(d));
    for (const a of picked) out[1 + a] = (rng.next() < 0.5 ? -1 : 1) * (0.5 + rng.next());
    return out;
  }),
);
const params = { ...spec.params, beta };
const data = sampleSynthetic({ ...spec, params }, rows, createRng(2));
const L = moeLayout({ K, d, q: 1 });
const X = new Float64Array(rows * L.p);
for (let i = 0; i < rows; i++) {
  X[i * L.p] = 1;
  for (let a = 0; a < d; a++) X[i * L.p + 1 + a] = data.X[i * d + a];
}
const theta0 = thetaFromParameters(L, params);
const n0 = 1000;
console.log(`sparse-sweeps: d = ${d}, K = ${K}, λ1 = ${l1}, ${rows - n0} ISMM rows (γ0 = 0.3, α = 0.6) after a ${n0}-row statistic`);
console.log("solver                      µs/row  sweeps/solve  max|β − β*|  surrogate gap");
for (const [label, o] of [
  ["unpenalized (λ1 = 0)", { l1: 0 }],
  ["1 sweep, 1 round (default)", { lassoSweeps: 1, lassoRounds: 1 }],
  ["3 sweeps, 1 round", { lassoSweeps: 3, lassoRounds: 1 }],
  ["converged", {}],
] as const) {
  const opts: MoeSurrogateOptions = { variancePrior: 0.05, ...{ l1 }, ...o };
  const sur = moeFastSurrogate(L, opts);
  const ws = sur.createWorkspace(true);
  const s = ws.statistic as Float64Array;
  batchStats(sur, theta0, X, L.p, data.Y, 1, n0, s, ws);
  const st = ismmInit(sur, theta0, s, n0);
  const cfg = { schedule: { gamma0: 0.3, alpha: 0.6 }, burnIn: 0, averageFrom: null };
  const t0 = performance.now();
  for (let i = n0; i < rows; i++) ismmStep(sur, cfg, st, X, i * L.p, data.Y, i, ws);
  const us = ((performance.now() - t0) * 1000) / (rows - n0);
  const lz = ws.lasso;
  if (lz === null) {
    console.log(`${label.padEnd(26)}  ${us.toFixed(1).padStart(6)}             -            -              -`);
    continue;
  }
  // The converged minimizer of the final statistic, from the iterate (exact surrogate, default tolerances).
  const ex = moeSurrogate(L, { l1, variancePrior: 0.05 });
  const ews = ex.createWorkspace();
  ews.rowWeight[0] = ws.rowWeight[0];
  const star = st.theta.slice();
  ex.mstepExperts(st.s, star, ews);
  let dmax = 0;
  for (let i = L.beta; i < L.logSigma2; i++) dmax = Math.max(dmax, Math.abs(star[i] - st.theta[i]));
  const gap = ex.objective(st.theta, st.s, ews) - ex.objective(star, st.s, ews);
  console.log(`${label.padEnd(26)}  ${us.toFixed(1).padStart(6)}  ${(lz.sweeps / lz.solves).toFixed(2).padStart(12)}  ${dmax.toExponential(2).padStart(11)}  ${gap.toExponential(2).padStart(13)}`);
}
