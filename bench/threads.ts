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
 *
 * Batch EM (`batchEM` with `threads`, what `--method em` runs): 3 iterations from the same start
 * (each an E-step, the expert statistic and up to 25 Newton steps of the gate over all rows, every
 * row sum split over the threads), median seconds per iteration over the rounds, the ratio to one
 * thread, and whether θ is bit-identical to one thread's.
 */
import { availableParallelism } from "node:os";
import { batchEM, createRng, moeLayout, MoeRegressor, parametersNll, randomMoeSpec, sampleSynthetic } from "../src/index.js";

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

const EM_CASES = [
  { d: 10, K: 4, rows: QUICK ? 60000 : 100000 },
  { d: 100, K: 3, rows: QUICK ? 5000 : 10000 },
];
const EM_ITERS = 3;
console.log(`## Batch EM: ${EM_ITERS} iterations on T threads (\`batchEM\` with \`threads\`, as \`--method em\`)\n`);
console.log("| d | K | rows | threads T | s per iteration (median) | × T = 1 time | θ as on 1 thread |");
console.log("|---:|---:|---:|---:|---:|---:|:---|");
for (const c of EM_CASES) {
  const L = moeLayout({ K: c.K, d: c.d, q: 1 });
  const data = sampleSynthetic(randomMoeSpec(c.K, c.d, 1, createRng(51)), c.rows, createRng(52));
  const X = new Float64Array(c.rows * L.p);
  for (let i = 0; i < c.rows; i++) {
    X[i * L.p] = 1;
    X.set(data.X.subarray(i * c.d, (i + 1) * c.d), i * L.p + 1);
  }
  const Y = Float64Array.from(data.Y);
  const theta0 = new Float64Array(L.size);
  const rng = createRng(53);
  for (let i = 0; i < theta0.length; i++) theta0[i] = 0.1 * rng.normal();
  const secs = new Map<number, number[]>();
  const thetas = new Map<number, Float64Array>();
  for (let r = 0; r < ROUNDS; r++) {
    for (const T of threadCounts) {
      const theta = theta0.slice();
      const t0 = performance.now();
      batchEM(L, theta, X, Y, c.rows, { maxIter: EM_ITERS, tol: 0, threads: T });
      secs.set(T, [...(secs.get(T) ?? []), (performance.now() - t0) / 1000 / EM_ITERS]);
      thetas.set(T, theta);
    }
  }
  const one = thetas.get(1) as Float64Array;
  for (const T of threadCounts) {
    const s = median(secs.get(T) as number[]);
    const same = (thetas.get(T) as Float64Array).every((v, i) => Object.is(v, one[i]));
    console.log(`| ${c.d} | ${c.K} | ${c.rows.toLocaleString("en-US")} | ${T} | ${s.toFixed(3)} | ${(s / median(secs.get(1) as number[])).toFixed(2)} | ${T === 1 ? "—" : same ? "bit-identical" : "DIFFERS"} |`);
  }
}
console.log("");
