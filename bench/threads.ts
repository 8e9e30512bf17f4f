/**
 * Mini-batch ISMM on several cores (issue 12): `npx tsx bench/threads.ts [--quick]` (also run by
 * `npm run bench:speed`).
 *
 * For (d, K) ∈ {(10, 4), (100, 3)}, one model is initialized on a seeded synthetic stream and saved;
 * every configuration (B = 1 per-row ISMM; B = 64 and 256 on T = 1 … cores threads) restarts from
 * that snapshot (`MoeRegressor.fromJSON`, batch size and threads changed) and learns the same rows
 * through the public `learnOne`. Rounds are interleaved (every configuration once per round) and
 * the median rows/s is reported with the ratio to T = 1 at the same B, all measured in this run.
 * The first max(20·B, 2000) rows of every run are a warm-up (the worker threads start) and are not timed.
 *
 * The accuracy cost of batching: held-out excess NLL over the true parameters after the same rows,
 * per B (it does not depend on T: the model is bit-identical for every thread count).
 */
import { availableParallelism } from "node:os";
import { createRng, MoeRegressor, parametersNll, randomMoeSpec, sampleSynthetic } from "../src/index.js";

const QUICK = process.argv.includes("--quick");
const CORES = availableParallelism();
const ROUNDS = QUICK ? 3 : 5;
const CASES = [
  { d: 10, K: 4, rows: QUICK ? 20000 : 60000 },
  { d: 100, K: 3, rows: QUICK ? 6000 : 20000 },
];

interface Config {
  readonly B: number;
  readonly T: number;
}

const threadCounts = Array.from({ length: Math.max(1, CORES) }, (_, i) => i + 1);
const CONFIGS: Config[] = [{ B: 1, T: 1 }, ...[64, 256].flatMap((B) => threadCounts.map((T) => ({ B, T })))];
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1];

console.log(`# Mini-batch ISMM on ${CORES} core${CORES === 1 ? "" : "s"} (bench/threads.ts${QUICK ? " --quick" : ""})\n`);
console.log(`Median rows/s over ${ROUNDS} interleaved rounds, learning through \`MoeRegressor.learnOne\` after the same initialization; excess = held-out NLL over the truth after the rows (10,000 held-out rows).\n`);
for (const c of CASES) {
  const spec = randomMoeSpec(c.K, c.d, 1, createRng(41));
  const init = 5 * c.K * (c.d + 1);
  const data = sampleSynthetic(spec, init + c.rows, createRng(42));
  const test = sampleSynthetic(spec, 10000, createRng(43));
  const truth = parametersNll(spec.params, test.X, test.Y, test.n);
  const d = c.d;
  // One cheap initialization shared by every configuration.
  const m0 = new MoeRegressor({ nExperts: c.K, initRows: init, initStarts: 1, initIters: 5, refineIters: 5, seed: 1 });
  for (let i = 0; i < init; i++) m0.learnOne(data.X.subarray(i * d, i * d + d), data.Y[i]);
  const snap = m0.toJSON() as unknown as { options: Record<string, unknown> };
  const rates = new Map<string, number[]>();
  const excess = new Map<number, number>();
  for (let r = 0; r < ROUNDS; r++) {
    for (const cfg of CONFIGS) {
      const m = MoeRegressor.fromJSON({ ...snap, options: { ...snap.options, batchSize: cfg.B } }, { threads: cfg.T });
      // Warm-up: the worker threads start and their code warms up (measured: the first ~2,000 rows at
      // d = 100 run at half speed), then the steady state is timed.
      const warm = init + Math.max(20 * cfg.B, 2000);
      for (let i = init; i < warm; i++) m.learnOne(data.X.subarray(i * d, i * d + d), data.Y[i]);
      const t0 = performance.now();
      for (let i = warm; i < init + c.rows; i++) m.learnOne(data.X.subarray(i * d, i * d + d), data.Y[i]);
      m.finish();
      const s = (performance.now() - t0) / 1000;
      m.close();
      const key = `${cfg.B}:${cfg.T}`;
      rates.set(key, [...(rates.get(key) ?? []), (init + c.rows - warm) / s]);
      if (r === 0 && cfg.T === 1) excess.set(cfg.B, m.score(test.X, test.Y, test.n) - truth);
    }
  }
  console.log(`## d = ${c.d}, K = ${c.K}: ${c.rows.toLocaleString("en-US")} rows after a ${init}-row initialization\n`);
  console.log("| batch size B | threads T | rows/s (median) | × T = 1 at this B | excess NLL after the rows |");
  console.log("|---:|---:|---:|---:|---:|");
  for (const cfg of CONFIGS) {
    const rate = median(rates.get(`${cfg.B}:${cfg.T}`) as number[]);
    const base = median(rates.get(`${cfg.B}:1`) as number[]);
    const ex = cfg.T === 1 ? (excess.get(cfg.B) as number).toFixed(4) : "same as T = 1";
    console.log(`| ${cfg.B} | ${cfg.T} | ${Math.round(rate).toLocaleString("en-US")} | ${(rate / base).toFixed(2)} | ${ex} |`);
  }
  console.log("");
}
