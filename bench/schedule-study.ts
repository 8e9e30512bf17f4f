/**
 * Step-size schedule study for ISMM defaults (issue 2: "defaults are chosen by measurement").
 *
 * For each problem × (γ0, α, averaging) × seed: one pass of ISMM from the default buffered
 * initialization over N rows, then the held-out excess NLL over the true parameters' NLL.
 * Prints a Markdown table (mean and max excess over seeds per problem) and writes every run as CSV.
 *
 *   npx tsx bench/schedule-study.ts [--quick] [--out bench/results/schedule-study.csv]
 */
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import {
  MoeRegressor, createRng, randomMoeSpec, sampleSynthetic, parametersNll,
  type SyntheticSpec, type SyntheticData,
} from "../src/index.js";

interface Problem { name: string; spec: SyntheticSpec; n: number }

function unstandardized(d: number): { kind: "gaussian"; mean: number[]; scale: number[] } {
  return {
    kind: "gaussian",
    mean: Array.from({ length: d }, (_, a) => [5, -3, 100, 0.2, 40][a % 5]),
    scale: Array.from({ length: d }, (_, a) => [2, 0.5, 20, 0.1, 7][a % 5]),
  };
}

function problems(quick: boolean, seed: number): Problem[] {
  const r = (s: number) => createRng(1000 * s + seed);
  const s1: SyntheticSpec = {
    K: 2, d: 1, q: 1, inputs: { kind: "uniform", low: -1, high: 1 },
    params: { gate: [[0, 8]], beta: [[[0, -2.5]], [[0, 2.5]]], sigma2: [[1], [1]] },
  };
  const list: Problem[] = [
    { name: "K3-d3-q1-unstd", spec: randomMoeSpec(3, 3, 1, r(1), { inputs: unstandardized(3) }), n: 20000 },
    { name: "K3-d3-q2-unstd", spec: randomMoeSpec(3, 3, 2, r(2), { inputs: unstandardized(3) }), n: 20000 },
    { name: "K4-d10-q1", spec: randomMoeSpec(4, 10, 1, r(3)), n: 50000 },
    { name: "S1-steep-gate", spec: s1, n: 20000 },
  ];
  if (!quick) list.push({ name: "K2-d20-q1-corr", spec: randomMoeSpec(2, 20, 1, r(5), { inputs: { kind: "gaussian", mean: 1, scale: 3, correlation: 0.5 } }), n: 50000 });
  return list;
}

function truthNll(spec: SyntheticSpec, test: SyntheticData): number {
  return parametersNll(spec.params, test.X, test.Y, test.n);
}

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const outIdx = argv.indexOf("--out");
const out = outIdx >= 0 ? argv[outIdx + 1] : "bench/results/schedule-study.csv";
const seeds = quick ? [1, 2] : [1, 2, 3];
const gammas = [0.1, 0.25, 0.5, 1];
const alphas = [0.6, 0.75];
const avgs: (number | null)[] = [null, 1]; // 1 ⇒ average from the end of the init buffer
const rows: string[] = ["problem,seed,gamma0,alpha,averaging,excess_nll,seconds"];
const agg = new Map<string, Map<string, number[]>>();
for (const seed of seeds) {
  for (const pb of problems(quick, seed)) {
    const train = sampleSynthetic(pb.spec, pb.n, createRng(seed).fork(10));
    const test = sampleSynthetic(pb.spec, 20000, createRng(seed).fork(11));
    const truth = truthNll(pb.spec, test);
    for (const g of gammas) for (const a of alphas) for (const av of avgs) {
      const t0 = performance.now();
      const opts = { nExperts: pb.spec.K, seed, stepScale: g, stepExponent: a, averageFrom: av === null ? null : 0 };
      const m = new MoeRegressor(opts);
      m.learnMany(train.X, train.Y, pb.n);
      m.finish();
      const ex = m.score(test.X, test.Y, test.n) - truth;
      const sec = (performance.now() - t0) / 1000;
      const cfg = `γ0=${g} α=${a} avg=${av === null ? "off" : "on"}`;
      rows.push(`${pb.name},${seed},${g},${a},${av === null ? "off" : "on"},${ex},${sec.toFixed(3)}`);
      if (!agg.has(cfg)) agg.set(cfg, new Map());
      const m2 = agg.get(cfg) as Map<string, number[]>;
      if (!m2.has(pb.name)) m2.set(pb.name, []);
      (m2.get(pb.name) as number[]).push(ex);
    }
    process.stderr.write(`done ${pb.name} seed ${seed}\n`);
  }
}
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, rows.join("\n") + "\n");
const names = [...(agg.values().next().value as Map<string, number[]>).keys()];
console.log(`| config | ${names.map((n) => `${n} mean (max)`).join(" | ")} | worst mean |`);
console.log(`|---|${names.map(() => "---").join("|")}|---|`);
const lines: [number, string][] = [];
for (const [cfg, m2] of agg) {
  let worst = -Infinity;
  const cells = names.map((n) => {
    const v = m2.get(n) as number[];
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    worst = Math.max(worst, mean);
    return `${mean.toFixed(4)} (${Math.max(...v).toFixed(4)})`;
  });
  lines.push([worst, `| ${cfg} | ${cells.join(" | ")} | ${worst.toFixed(4)} |`]);
}
lines.sort((a, b) => a[0] - b[0]);
for (const [, l] of lines) console.log(l);
