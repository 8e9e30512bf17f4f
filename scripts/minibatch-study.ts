/**
 * Mini-batch ISMM study (issue 12, docs/MINIBATCH.md): held-out excess NLL over the truth against
 * rows learned and against wall time, for batch sizes B ∈ {1, 16, 64, 256} (and T threads), on
 * seeded synthetic streams. Prints a markdown report (bench/results/minibatch-study.md).
 *
 *   npx tsx scripts/minibatch-study.ts                 # d = 10, K = 4, 100k rows, 3 seeds; d = 100, K = 3, 40k rows, 1 seed
 *   STUDY_QUICK=1 npx tsx scripts/minibatch-study.ts   # a smaller run (d = 10 only, 30k rows, 1 seed)
 *
 * Every configuration sees the same rows in the same order from the same initialization; the
 * clock runs only while rows are learned after the initialization (scoring the held-out set is
 * outside it). Wall times on
 * a shared machine are noisy: compare within one run.
 */
import { createRng, MoeRegressor, parametersNll, randomMoeSpec, sampleSynthetic } from "../src/index.js";

interface Case {
  readonly K: number;
  readonly d: number;
  readonly rows: number;
  readonly seeds: number[];
  readonly configs: readonly (readonly [number, number])[]; // [B, T]
  readonly every: number;
}

const quick = process.env.STUDY_QUICK === "1";
const CASES: Case[] = quick
  ? [{ K: 4, d: 10, rows: 30000, seeds: [1], configs: [[1, 1], [16, 1], [64, 1], [256, 1], [64, 2]], every: 5000 }]
  : [
    { K: 4, d: 10, rows: 100000, seeds: [1, 2, 3], configs: [[1, 1], [16, 1], [64, 1], [256, 1], [64, 2]], every: 10000 },
    { K: 3, d: 100, rows: 40000, seeds: [1], configs: [[1, 1], [16, 1], [64, 1], [256, 1], [64, 2], [256, 2]], every: 5000 },
  ];

interface Trace {
  readonly rows: number[];
  readonly ms: number[];
  readonly excess: number[];
}

function run(c: Case, seed: number, B: number, T: number): Trace {
  const spec = randomMoeSpec(c.K, c.d, 1, createRng(100 + seed));
  const train = sampleSynthetic(spec, c.rows, createRng(200 + seed));
  const test = sampleSynthetic(spec, 10000, createRng(300 + seed));
  const truth = parametersNll(spec.params, test.X, test.Y, test.n);
  const m = new MoeRegressor({ nExperts: c.K, batchSize: B, threads: T, seed });
  const tr: Trace = { rows: [], ms: [], excess: [] };
  let ms = 0;
  const d = c.d;
  // The initialization (the same for every configuration) is outside the clock.
  let start = 0;
  while (!m.isInitialized) {
    m.learnOne(train.X.subarray(start * d, start * d + d), train.Y[start]);
    start++;
  }
  for (let i = 0; i < c.rows; i += c.every) {
    const t0 = performance.now();
    for (let r = Math.max(i, start); r < Math.min(c.rows, i + c.every); r++) m.learnOne(train.X.subarray(r * d, r * d + d), train.Y[r]);
    if (i + c.every >= c.rows) m.finish();
    ms += performance.now() - t0;
    tr.rows.push(Math.min(c.rows, i + c.every));
    tr.ms.push(ms);
    tr.excess.push(m.score(test.X, test.Y, test.n) - truth);
  }
  m.close();
  return tr;
}

/** y at x by linear interpolation in the trace (xs increasing; clamped at the ends). */
function interpolate(xs: number[], ys: number[], x: number): number {
  if (x <= xs[0]) return ys[0];
  for (let j = 1; j < xs.length; j++) {
    if (x <= xs[j]) return ys[j - 1] + ((ys[j] - ys[j - 1]) * (x - xs[j - 1])) / (xs[j] - xs[j - 1]);
  }
  return ys[ys.length - 1];
}

const fmt = (v: number): string => (Number.isFinite(v) ? v.toFixed(4) : "–");

console.log("# Mini-batch ISMM: accuracy at equal rows and at equal wall time\n");
console.log(`Command: \`npx tsx scripts/minibatch-study.ts\`${quick ? " (STUDY_QUICK=1)" : ""}. Held-out excess NLL over the true parameters (nats/row, 10,000 held-out rows), default options but \`batchSize\`/\`threads\`; the clock counts the learning passes only (the initialization, the same for every configuration, is outside it).\n`);
for (const c of CASES) {
  const traces = new Map<string, Trace[]>();
  for (const seed of c.seeds) {
    for (const [B, T] of c.configs) {
      const key = `B=${B} T=${T}`;
      const list = traces.get(key) ?? [];
      list.push(run(c, seed, B, T));
      traces.set(key, list);
      process.stderr.write(`K=${c.K} d=${c.d} seed ${seed} ${key} done\n`);
    }
  }
  const first = [...traces.values()][0][0];
  console.log(`## K = ${c.K}, d = ${c.d}, ${c.rows.toLocaleString("en-US")} rows, seeds ${c.seeds.join(", ")}\n`);
  console.log("### Excess NLL at equal rows (mean over seeds)\n");
  console.log(`| config | ${first.rows.map((r) => `${(r / 1000).toFixed(0)}k`).join(" | ")} | µs/row |`);
  console.log(`|---|${first.rows.map(() => "---:").join("|")}|---:|`);
  for (const [key, list] of traces) {
    const cols = first.rows.map((_, j) => list.reduce((a, t) => a + t.excess[j], 0) / list.length);
    const usRow = list.reduce((a, t) => a + (1000 * t.ms[t.ms.length - 1]) / c.rows, 0) / list.length;
    console.log(`| ${key} | ${cols.map(fmt).join(" | ")} | ${usRow.toFixed(1)} |`);
  }
  // Equal wall time: the rows each configuration learns in the time B = 1 needs for half the stream,
  // at its mean rate over the whole run (less noisy than a checkpoint's clock), and its excess there,
  // interpolated linearly between checkpoints of its own trace (mean over seeds).
  const base = traces.get("B=1 T=1") as Trace[];
  const half = Math.floor(first.rows.length / 2) - 1;
  console.log(`\n### Excess NLL at equal wall time (the time B = 1 needs for ${first.rows[half].toLocaleString("en-US")} rows)\n`);
  console.log("| config | rows learned in that time | excess there |");
  console.log("|---|---:|---:|");
  for (const [key, list] of traces) {
    let rows = 0;
    let ex = 0;
    list.forEach((t, s) => {
      const b = base[s];
      const budget = (b.ms[b.ms.length - 1] / c.rows) * first.rows[half];
      const r = Math.min(c.rows, budget / (t.ms[t.ms.length - 1] / c.rows));
      rows += r / list.length;
      ex += interpolate(t.rows, t.excess, r) / list.length;
    });
    console.log(`| ${key} | ${Math.round(rows).toLocaleString("en-US")} | ${fmt(ex)} |`);
  }
  console.log("");
}
