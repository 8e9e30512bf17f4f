/**
 * Sparse experts (issue 14, docs/SPARSE.md): does the elastic net recover sparse experts and beat the
 * unpenalized fit on held-out NLL? The judged setup on seeded synthetic data:
 *
 *   d = 60 inputs x ~ N(0, I), K = 3 experts, each using 4 inputs (slopes ±U(0.5, 1.5), the other 56
 *   exactly 0), gate slopes N(0, 3²/d) on every input, noise sd 0.5; 3000 training rows × 20 epochs,
 *   λ1 chosen from {0.001, 0.003, 0.01, 0.03, 0.1} by the mean NLL of a 3000-row validation set;
 *   scored on 20000 test rows by the excess NLL over the true parameters.
 *
 * Prints, per seed: the unpenalized fit's excess, the chosen λ1 and its excess and ratio, and the share
 * of truly-zero slopes (after matching experts to the truth) that are exactly 0 in the model.
 *
 *   npx tsx scripts/sparse-study.ts [--seeds 3] [--rows 3000] [--epochs 20] [--lambdas 0.001,0.003,0.01,0.03,0.1] [--method ismm|em]
 *
 * Penalized fits predict with ISMM's last iterate (docs/SPARSE.md); the unpenalized fit uses the defaults
 * (Polyak averaging). Its last iterate (`averageFrom: null`) is printed too, to show what the penalty
 * adds beyond dropping the average.
 */
import { parseArgs } from "node:util";
import { createRng, MoeRegressor, parametersNll, sampleSynthetic } from "../src/index.js";
import { ACTIVE, K, sparseSpec, zeroShare } from "./sparse-spec.js";

const { values } = parseArgs({
  options: {
    seeds: { type: "string", default: "3" },
    rows: { type: "string", default: "3000" },
    epochs: { type: "string", default: "20" },
    lambdas: { type: "string", default: "0.001,0.003,0.01,0.03,0.1" },
    d: { type: "string", default: "60" },
    method: { type: "string", default: "ismm" },
  },
});
const seeds = Number(values.seeds);
const rows = Number(values.rows);
const epochs = Number(values.epochs);
const lambdas = values.lambdas.split(",").map(Number);
const d = Number(values.d);
const method = values.method as "ismm" | "em";
const TEST_ROWS = 20000;

const fmt = (v: number, n = 4) => v.toFixed(n);
console.log(`sparse-study: d = ${d}, K = ${K}, ${ACTIVE} inputs per expert, ${rows} rows × ${epochs} epochs, test ${TEST_ROWS} rows, λ1 ∈ {${lambdas.join(", ")}}`);
console.log("seed  excess(λ=0)  (last iterate)  λ1*    excess(λ1*)  ratio   zeros   true slopes kept   validation NLL per λ1");
const ratios: number[] = [];
const shares: number[] = [];
for (let seed = 1; seed <= seeds; seed++) {
  const spec = sparseSpec(seed, d);
  const root = createRng(1000 + seed);
  const train = sampleSynthetic(spec, rows, root.fork(1));
  const valid = sampleSynthetic(spec, rows, root.fork(2));
  const test = sampleSynthetic(spec, TEST_ROWS, root.fork(3));
  const truth = parametersNll(spec.params, test.X, test.Y, test.n);
  // --method em: batch EM to convergence (one "epoch": EM stores the rows and iterates over them itself).
  const fit = (l1: number) => new MoeRegressor({ nExperts: K, seed, l1, method }).fit(train.X, train.Y, train.n, { epochs: method === "em" ? 1 : epochs });
  const base = fit(0);
  const excess0 = base.score(test.X, test.Y, test.n) - truth;
  const last0 = new MoeRegressor({ nExperts: K, seed, averageFrom: null }).fit(train.X, train.Y, train.n, { epochs }).score(test.X, test.Y, test.n) - truth;
  let best: { l1: number; v: number; m: MoeRegressor } | null = null;
  const vs: string[] = [];
  for (const l1 of lambdas) {
    const m = fit(l1);
    const v = m.score(valid.X, valid.Y, valid.n);
    vs.push(fmt(v));
    if (best === null || v < best.v) best = { l1, v, m };
  }
  const b = best as NonNullable<typeof best>;
  const excess = b.m.score(test.X, test.Y, test.n) - truth;
  const z = zeroShare(b.m.parameters(), spec.params, d);
  ratios.push(excess / excess0);
  shares.push(z.share);
  console.log(
    `${String(seed).padStart(4)}  ${fmt(excess0).padStart(11)}  ${fmt(last0).padStart(14)}  ${String(b.l1).padEnd(5)}  ${fmt(excess).padStart(11)}  ${fmt(excess / excess0, 3).padStart(5)}  ${(100 * z.share).toFixed(1).padStart(5)}%  ${String(z.truePositives).padStart(6)} of ${K * ACTIVE}          ${vs.join(" ")}`,
  );
}
const mean = (v: number[]) => v.reduce((a, c) => a + c, 0) / v.length;
console.log(`mean ratio ${fmt(mean(ratios), 3)} (worst ${fmt(Math.max(...ratios), 3)}; target ≤ 0.6), mean zero share ${(100 * mean(shares)).toFixed(1)}% (worst ${(100 * Math.min(...shares)).toFixed(1)}%; target ≥ 80%)`);
