/**
 * How good are the gradient baselines at their default learning rates, on standardized MoE data at
 * batch size 1 (the online setting)? Prints a Markdown table for docs/BASELINES.md.
 *
 *     node --import tsx scripts/baseline-defaults.ts [nStream] [seeds] [init]
 *
 *   nStream  rows streamed after the 1000-row initialization buffer (default 20000)
 *   seeds    problems per shape (default 3)
 *   init     "default" (the shared multi-start EM on the buffer), "weak" (one start, no EM
 *            iterations: θ0 is the M-step of a k-means partition, so the optimizer must do the
 *            work), or "both" (default: both, then a robustness summary)
 *
 * For each shape (K, d) and seed: a random MoE (`randomMoeSpec`, q = 1), a stream of
 * 1000 + nStream rows in sequential order (one pass), a 20000-row held-out set. Reported: the
 * held-out excess NLL over the true parameters θ* (mean over seeds; lower is better) for
 *   - θ0 (the initialization every method starts from),
 *   - ISMM at its defaults,
 *   - each gradient method at its default η and over the grid 1e-4 … 1e-1 (best η per problem),
 * with "div" when a run diverged (NumericalError).
 * Robustness summary (init "both"): for each method and fixed η, the geometric mean over the four
 * settings (2 inits × 2 shapes) of (mean excess at η) / (mean excess at the setting's best grid η):
 * 1 means "as good as tuning in every setting".
 */
import { NumericalError } from "../src/core/errors.js";
import { createRng } from "../src/core/rng.js";
import { MoeRegressor, type MoeRegressorOptions } from "../src/index.js";
import { moeLayout } from "../src/model/dims.js";
import { createRowWorkspace, meanNll } from "../src/model/moe.js";
import { thetaFromParameters } from "../src/model/parameters.js";
import { OPTIMIZER_DEFAULTS } from "../src/optim/index.js";
import { randomMoeSpec, sampleSynthetic } from "../src/stream/synthetic.js";
import { DEFAULT_LR_GRID } from "../src/estimators/lr-grid.js";

const nStream = Number(process.argv[2] ?? 20000);
const nSeeds = Number(process.argv[3] ?? 3);
const initArg = process.argv[4] ?? "both";
const INIT_MODES = initArg === "both" ? ["default", "weak"] : [initArg];
const INIT_ROWS = 1000;
const N_TEST = 20000;
const SHAPES = [
  { K: 2, d: 2 },
  { K: 3, d: 5 },
];
const METHODS = ["sgd", "rmsprop", "adam", "sophia"] as const;

function trueNll(spec: ReturnType<typeof randomMoeSpec>, X: Float64Array, Y: Float64Array, n: number): number {
  const L = moeLayout({ K: spec.K, d: spec.d, q: spec.q });
  const theta = thetaFromParameters(L, spec.params);
  const D = new Float64Array(n * L.p);
  for (let i = 0; i < n; i++) {
    D[i * L.p] = 1;
    for (let a = 0; a < L.d; a++) D[i * L.p + 1 + a] = X[i * L.d + a];
  }
  return meanNll(L, theta, D, Y, n, createRowWorkspace(L));
}

function run(initMode: string, opts: MoeRegressorOptions, X: Float64Array, Y: Float64Array, n: number, Xt: Float64Array, Yt: Float64Array): number {
  const base: MoeRegressorOptions = initMode === "weak" ? { initStarts: 1, initIters: 0, refineIters: 0 } : {};
  const m = new MoeRegressor({ ...base, initRows: INIT_ROWS, ...opts });
  try {
    m.fit(X, Y, n, { epochs: 1, order: "sequential" });
  } catch (e) {
    if (e instanceof NumericalError) return Infinity;
    throw e;
  }
  return m.score(Xt, Yt, Xt.length / (X.length / n));
}

const fmt = (v: number): string => (Number.isFinite(v) ? v.toFixed(4) : "div");
const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;

const regret: Record<string, number> = {};
let settings = 0;
for (const initMode of INIT_MODES) {
  console.log(`## init = ${initMode}: nStream = ${nStream}, seeds = ${nSeeds}, batch size 1, one sequential pass, held-out n = ${N_TEST}\n`);
  for (const shape of SHAPES) {
    const cols: Record<string, number[]> = { theta0: [], ismm: [] };
    for (const mth of METHODS) {
      cols[`${mth}@default`] = [];
      cols[`${mth}@best`] = [];
      for (const lr of DEFAULT_LR_GRID) cols[`${mth}@${lr}`] = [];
    }
    for (let s = 0; s < nSeeds; s++) {
      const root = createRng(1000 + s);
      const spec = randomMoeSpec(shape.K, shape.d, 1, root.fork(0));
      const n = INIT_ROWS + nStream;
      const tr = sampleSynthetic(spec, n, root.fork(1));
      const te = sampleSynthetic(spec, N_TEST, root.fork(2));
      const ref = trueNll(spec, te.X, te.Y, N_TEST);
      const common = { nExperts: shape.K, seed: s };
      // θ0 alone: fit on exactly the buffer (the learner is created, then nothing is streamed).
      cols.theta0.push(run(initMode, { ...common, method: "sgd" }, tr.X.subarray(0, INIT_ROWS * shape.d), tr.Y.subarray(0, INIT_ROWS), INIT_ROWS, te.X, te.Y) - ref);
      cols.ismm.push(run(initMode, { ...common, method: "ismm" }, tr.X, tr.Y, n, te.X, te.Y) - ref);
      for (const mth of METHODS) {
        cols[`${mth}@default`].push(run(initMode, { ...common, method: mth }, tr.X, tr.Y, n, te.X, te.Y) - ref);
        let best = Infinity;
        for (const lr of DEFAULT_LR_GRID) {
          const v = run(initMode, { ...common, method: mth, learningRate: lr }, tr.X, tr.Y, n, te.X, te.Y) - ref;
          cols[`${mth}@${lr}`].push(v);
          if (v < best) best = v;
        }
        cols[`${mth}@best`].push(best);
      }
    }
    console.log(`### K = ${shape.K}, d = ${shape.d}, q = 1 (excess held-out NLL, mean over ${nSeeds} seeds)\n`);
    console.log(`θ0 (initialization): ${fmt(mean(cols.theta0))}; ISMM defaults: ${fmt(mean(cols.ismm))}\n`);
    console.log(`| method | default η | at default | ${DEFAULT_LR_GRID.map((v) => `η=${v}`).join(" | ")} | best η per problem |`);
    console.log(`|---|---|---|${DEFAULT_LR_GRID.map(() => "---").join("|")}|---|`);
    for (const mth of METHODS) {
      const cells = DEFAULT_LR_GRID.map((lr) => fmt(mean(cols[`${mth}@${lr}`])));
      console.log(`| ${mth} | ${OPTIMIZER_DEFAULTS[mth].learningRate} | ${fmt(mean(cols[`${mth}@default`]))} | ${cells.join(" | ")} | ${fmt(mean(cols[`${mth}@best`]))} |`);
    }
    console.log("");
    for (const mth of METHODS) {
      const means = DEFAULT_LR_GRID.map((lr) => mean(cols[`${mth}@${lr}`]));
      const best = Math.min(...means);
      DEFAULT_LR_GRID.forEach((lr, i) => {
        const key = `${mth}@${lr}`;
        regret[key] = (regret[key] ?? 0) + Math.log(means[i] / best);
      });
    }
    settings++;
  }
}
if (INIT_MODES.length > 1) {
  console.log(`## Robustness: geometric mean over ${settings} settings of excess(η) / excess(best grid η)\n`);
  console.log(`| method | ${DEFAULT_LR_GRID.map((v) => `η=${v}`).join(" | ")} |`);
  console.log(`|---|${DEFAULT_LR_GRID.map(() => "---").join("|")}|`);
  for (const mth of METHODS) {
    const cells = DEFAULT_LR_GRID.map((lr) => {
      const v = Math.exp(regret[`${mth}@${lr}`] / settings);
      return Number.isFinite(v) ? v.toFixed(2) : "div";
    });
    console.log(`| ${mth} | ${cells.join(" | ")} |`);
  }
}
