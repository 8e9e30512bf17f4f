/**
 * Child process of the no-allocation tests in moe-fast.test.ts and covariance.test.ts (run with
 * --expose-gc). Prints one JSON line: per attempt, the GCs observed during 2e5 fast ISMM steps and
 * the heapUsed growth, for the fast step and for a deliberately allocating control.
 *
 * Arguments: [λ1] [full]. λ1 > 0 runs the elastic net's streaming solver (one sweep per row) after
 * every step too; "full" uses covariance "full" with q = 3 and correlated noise.
 */
import { PerformanceObserver, performance } from "node:perf_hooks";
import { createRng } from "../../src/core/rng.js";
import { batchStats } from "../../src/mm/batch-mm.js";
import { ismmInit, ismmStep, type IsmmConfig } from "../../src/mm/ismm.js";
import { thetaFromParameters } from "../../src/model/parameters.js";
import { randomMoeSpec, syntheticStream } from "../../src/stream/synthetic.js";
import { moeFastSurrogate } from "../../src/surrogate/moe-fast.js";
import { streamingPenalty } from "../../src/surrogate/moe-lasso.js";

const gc = (globalThis as { gc?: () => void }).gc;
if (typeof gc !== "function") throw new Error("run with --expose-gc");

const l1 = Number(process.argv[2] ?? 0);
const full = process.argv[3] === "full";
const K = 3, d = 5, q = full ? 3 : 1, POOL = 4000, N0 = 1000;
const STEPS_PER_CALL = 1000, WARMUP_CALLS = 300, MEASURED_CALLS = 200, ATTEMPTS = 3;
const rng = createRng(1);
const spec0 = randomMoeSpec(K, d, q, rng);
const R = [[1, 0.8, -0.5], [0.8, 1, -0.3], [-0.5, -0.3, 1]];
const covariance = Array.from({ length: K }, () => R.map((row) => row.map((v) => 0.25 * v)));
const spec = full ? { ...spec0, params: { ...spec0.params, sigma2: covariance.map((S) => S.map((r, j) => r[j])), covariance } } : spec0;
const st = syntheticStream(spec, rng.fork(1));
const L = st.layout;
if (L.full !== full) throw new Error(`expected a ${full ? "full" : "diagonal"}-covariance layout`);
const { p } = L;
const X = new Float64Array((N0 + POOL) * p);
const Y = new Float64Array((N0 + POOL) * q);
const x = new Float64Array(d);
const y = new Float64Array(q);
for (let i = 0; i < N0 + POOL; i++) {
  st.next(x, y);
  X[i * p] = 1;
  X.set(x, i * p + 1);
  Y.set(y, i * q);
}
const theta0 = thetaFromParameters(L, spec.params);
const fa = moeFastSurrogate(L, { refactorEvery: 500, ...(l1 > 0 ? streamingPenalty({ l1 }) : {}) }); // refactorizations inside the measured loop too
const ws = fa.createWorkspace(true);
const s = ws.statistic as Float64Array;
batchStats(fa, theta0, X, p, Y, q, N0, s, ws);
const base = ismmInit(fa, theta0, s, N0);
const state = { ...base, s };
const cfg: IsmmConfig = { schedule: { gamma0: 0.25, alpha: 0.6 }, burnIn: 0, averageFrom: 1 };

const sinkBox = new Float64Array(1); // a module-level number would be boxed on every write
function drive(steps: number): void {
  let acc = 0;
  for (let r = 0; r < steps; r++) {
    const i = N0 + (state.n % POOL);
    acc += ismmStep(fa, cfg, state, X, i * p, Y, i * q, ws);
  }
  sinkBox[0] += acc;
}
const junk: number[][] = [];
function control(steps: number): void {
  let acc = 0;
  for (let r = 0; r < steps; r++) {
    const a = [r, r + 0.5]; // allocates every row
    acc += a[1];
    if (r % 100_000 === 0) junk.length = 0;
  }
  sinkBox[0] += acc;
}

const gcStarts: number[] = [];
const obs = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcStarts.push(e.startTime);
});
obs.observe({ entryTypes: ["gc"] });

async function measure(f: (n: number) => void): Promise<{ gcs: number; growth: number }[]> {
  for (let c = 0; c < WARMUP_CALLS; c++) f(STEPS_PER_CALL);
  const out: { gcs: number; growth: number }[] = [];
  for (let a = 0; a < ATTEMPTS; a++) {
    gc!();
    const t0 = performance.now();
    const before = process.memoryUsage().heapUsed;
    for (let c = 0; c < MEASURED_CALLS; c++) f(STEPS_PER_CALL);
    const after = process.memoryUsage().heapUsed;
    const t1 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const m = { gcs: gcStarts.filter((t) => t >= t0 && t <= t1).length, growth: after - before };
    out.push(m);
    if (m.gcs === 0 && m.growth < 64 * 1024) break;
  }
  return out;
}

const fast = await measure(drive);
const ctl = await measure(control);
obs.disconnect();
if (!state.theta.every(Number.isFinite) || !Number.isFinite(sinkBox[0])) throw new Error("non-finite state");
console.log(JSON.stringify({ fast, control: ctl, refactors: ws.fast.refactors, rows: state.n }));
