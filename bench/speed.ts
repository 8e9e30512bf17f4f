/**
 * Per-row speed of the streaming learners: `npx tsx bench/speed.ts [--quick] [--json] [--simd-only]`.
 * The SIMD-vs-scalar and initialization tables are in bench/simd.ts (`--simd-only`: only those).
 *
 * For every (d, K) in CONFIGS and every method in METHODS, a learner is built through the learner
 * registry (the code path of `MoeRegressor`) from the same θ0 and initialization buffer, then fed
 * rows of a seeded synthetic stream (q = 1) that are already in model units, so the timing is the
 * update alone: `learner.learn(x, y)` — E-step, statistics, M-step (ISMM) or gradient and
 * optimizer step (baselines). After a warm-up, REPS repetitions of R rows each are timed (R is
 * calibrated so that a repetition lasts ≈ TARGET seconds) and the median rate is reported, by
 * wall clock and by process CPU time (the CPU figure is the robust one on a shared machine).
 *
 * Flop count of one fast ISMM row (surrogate/moe-fast.ts §6; p = d + 1, q responses):
 *
 *   (K+1)(5p² + 5p)            one fused pass per factor — per packed upper entry: pending
 *                              rank-one 3, blend of S 3, symmetric matvec 2 (diag) / 4 (off-diag)
 *                              → 5p² + 3p — plus ρ = xᵀh (2p) per factor
 *   + 11Kqp + 9(K−1)p          E-step 2(Kq + K−1)p, sxy/G1 blends 3Kqp + 3(K−1)p, carried β/W:
 *                              xᵀβ, xᵀw and an axpy each (4Kqp + 4(K−1)p), σ² dot in the M-step 2Kqp
 *   + (K+1)(p³ + 2p²(q+K))/R   exact refactorization every R = refactorEvery rows, amortized
 *                              (Cholesky p³/3, R⁻¹ p³/3, R⁻¹R⁻ᵀ p³/3, solves)
 *
 * The exact path (surrogate/moe.ts) per row: blends (K+1)·3·p(p+1)/2 + the same O(Kqp) terms, and
 * an M-step of (K+1) Cholesky factorizations (p³/3 each) plus (Kq + K−1) solves (2p² each).
 *
 * GFLOP/s = flops/row × rows/s. The reference is a plain multiply-add loop y[i] += a·x[i] over two
 * Float64Arrays (2 flops per element, n = 2048, so both fit in L1), timed in the same process.
 * JavaScript has no fused multiply-add, so "FMA loop" means that scalar loop.
 *
 * Hooks: add a method to METHODS (anything the learner registry builds), or a column to
 * EXTRA_COLUMNS (e.g. end-to-end rows/s from a CSV file through `MoeRegressor`); both tables are
 * printed generically.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createRng, resolveOptions, learnerFactory, moeLayout, thetaFromParameters, randomMoeSpec, syntheticStream, sampleSynthetic,
  openTable, MoeRegressor, DEFAULT_REFACTOR_EVERY, minInitRows, type Learner, type MethodName, type MoeLayout,
} from "../src/index.js";
import { accuracyRace, accuracyReport } from "./accuracy.js";
import { simdReport } from "./simd.js";

const QUICK = process.argv.includes("--quick");
const JSON_OUT = process.argv.includes("--json");
const SIMD_ONLY = process.argv.includes("--simd-only");

const CONFIGS: readonly { d: number; K: number }[] = [
  { d: 3, K: 3 },
  { d: 10, K: 4 },
  { d: 100, K: 3 },
  { d: 100, K: 8 },
];
const REPS = QUICK ? 5 : 7;
const TARGET_S = QUICK ? 0.08 : 0.3;
const WARMUP_S = QUICK ? 0.15 : 0.6;
const POOL = QUICK ? 2048 : 4096;

/** Analytic flops per row (see the module comment). */
function fastFlops(L: MoeLayout, refactorEvery = DEFAULT_REFACTOR_EVERY): number {
  const { K, q, p } = L;
  return (K + 1) * (5 * p * p + 5 * p) + 11 * K * q * p + 9 * (K - 1) * p + ((K + 1) * (p ** 3 + 2 * p * p * (q + K))) / refactorEvery;
}
function exactFlops(L: MoeLayout): number {
  const { K, q, p } = L;
  return (K + 1) * 3 * (p * (p + 1)) / 2 + 7 * K * q * p + 5 * (K - 1) * p + (K + 1) * (p ** 3) / 3 + (K * q + K - 1) * 2 * p * p;
}

/** A method of the table: registry name, option overrides, optional analytic flop count. */
interface MethodEntry {
  readonly label: string;
  readonly method: MethodName;
  readonly options: Readonly<Record<string, unknown>>;
  readonly flops?: (L: MoeLayout) => number;
}

const METHODS: MethodEntry[] = [
  { label: "ismm-fast", method: "ismm", options: { solver: "fast" }, flops: (L) => fastFlops(L) },
  { label: "ismm-exact", method: "ismm", options: { solver: "exact" }, flops: exactFlops },
  // The gradient baselines, through the same learner registry.
  ...(["sgd", "rmsprop", "adam", "sophia"] as const).map((method): MethodEntry => ({ label: method, method, options: {} })),
];

/** Extra per-(config, method) columns; return null when not applicable. */
interface ExtraColumn {
  readonly header: string;
  value(cfg: { d: number; K: number }, m: MethodEntry): string | null;
}
const EXTRA_COLUMNS: ExtraColumn[] = [
  // e.g. { header: "e2e CSV rows/s", value: (cfg, m) => … time MoeRegressor over a CSV file … }
];

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

interface Rate {
  wall: number; // rows/s, median over repetitions
  cpu: number; // rows/s by process CPU time, median
}

/** Times `run(n)` (which processes n rows): warm-up, calibration, REPS timed repetitions. */
function timeRows(run: (n: number) => void): Rate {
  let n = 1;
  let t0 = performance.now();
  const warmEnd = t0 + 1000 * WARMUP_S;
  while (performance.now() < warmEnd) {
    const a = performance.now();
    run(n);
    if (performance.now() - a < 20) n *= 2;
  }
  // calibrate
  t0 = performance.now();
  run(n);
  const per = Math.max((performance.now() - t0) / n, 1e-6);
  const R = Math.max(1, Math.round((1000 * TARGET_S) / per));
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const c0 = cpuMs();
    const w0 = performance.now();
    run(R);
    const w1 = performance.now();
    const c1 = cpuMs();
    wall.push((1000 * R) / (w1 - w0));
    cpu.push((1000 * R) / Math.max(c1 - c0, 1e-3));
  }
  return { wall: median(wall), cpu: median(cpu) };
}

/** GFLOP/s of y[i] += a·x[i] over Float64Arrays passed as arguments (as library kernels see them). */
function axpy(n: number, a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < n; i++) y[i] += a * x[i];
}
function fmaGflops(): number {
  const n = 2048;
  const x = new Float64Array(n).map((_, i) => Math.sin(i));
  const y = new Float64Array(n);
  let a = 1e-9;
  const rate = timeRows((reps) => {
    for (let r = 0; r < reps; r++) {
      axpy(n, a, x, y);
      a = -a;
    }
  });
  if (!Number.isFinite(y[7])) throw new Error("unreachable");
  return (rate.cpu * 2 * n) / 1e9;
}

interface Row {
  d: number;
  K: number;
  p: number;
  method: string;
  rowsPerSecWall: number;
  rowsPerSecCpu: number;
  usPerRow: number;
  flopsPerRow: number | null;
  gflops: number | null;
  vsFma: number | null;
  vsAdam: number | null;
  extra: (string | null)[];
}

function benchConfig(d: number, K: number, fma: number): Row[] {
  const q = 1;
  const rng = createRng(1000 * d + K);
  const spec = randomMoeSpec(K, d, q, rng);
  const L = moeLayout({ K, d, q });
  const p = L.p;
  const n0 = Math.max(1000, 5 * K * p);
  const stream = syntheticStream(spec, rng.fork(1));
  const X = new Float64Array((n0 + POOL) * p);
  const Y = new Float64Array((n0 + POOL) * q);
  const x = new Float64Array(d);
  const y = new Float64Array(q);
  for (let i = 0; i < n0 + POOL; i++) {
    stream.next(x, y);
    X[i * p] = 1;
    X.set(x, i * p + 1);
    Y.set(y, i * q);
  }
  // A start near the truth (what a good initialization gives), the same for every method.
  const theta0 = thetaFromParameters(L, spec.params);
  const r0 = rng.fork(2);
  for (let i = 0; i < theta0.length; i++) theta0[i] += 0.1 * r0.normal();
  const init = { X: X.subarray(0, n0 * p), Y: Y.subarray(0, n0 * q), n: n0 };

  const rows: Row[] = [];
  for (const m of METHODS) {
    const options = { ...resolveOptions({ method: m.method, nExperts: K }), ...m.options };
    const learner: Learner = learnerFactory(m.method).create({ layout: L, options, rng: rng.fork(3) }, theta0, init);
    let next = 0;
    const run = (n: number): void => {
      for (let r = 0; r < n; r++) {
        const i = n0 + next;
        learner.learn(X, i * p, Y, i * q);
        next = next + 1 === POOL ? 0 : next + 1;
      }
    };
    const rate = timeRows(run);
    if (!learner.params().every(Number.isFinite)) throw new Error(`${m.label} diverged at d=${d}, K=${K}`);
    const flops = m.flops ? m.flops(L) : null;
    const gflops = flops !== null ? (flops * rate.cpu) / 1e9 : null;
    rows.push({
      d, K, p, method: m.label,
      rowsPerSecWall: rate.wall, rowsPerSecCpu: rate.cpu, usPerRow: 1e6 / rate.cpu,
      flopsPerRow: flops, gflops, vsFma: gflops !== null ? gflops / fma : null, vsAdam: null,
      extra: EXTRA_COLUMNS.map((c) => c.value({ d, K }, m)),
    });
  }
  const adam = rows.find((r) => r.method === "adam");
  if (adam) for (const r of rows) r.vsAdam = r.usPerRow / adam.usPerRow;
  return rows;
}

function fmt(v: number | null, digits = 3): string {
  if (v === null) return "—";
  if (v >= 1e5) return v.toExponential(2);
  return v.toPrecision(digits);
}

/**
 * End to end from CSV, the CLI's code path (`openTable` batches → `MoeRegressor.learnMany`): the
 * marginal CPU cost per row is (T(2M) − T(M))/M, which cancels start-up and the shared
 * initialization; parsing alone is measured the same way. Median of E2E_REPS.
 */
const E2E_REPS = QUICK ? 3 : 5;
async function e2eMarginal(d: number, K: number, methods: readonly string[]): Promise<{ method: string; usPerRow: number }[]> {
  const M = d >= 100 ? (QUICK ? 4000 : 10000) : QUICK ? 20000 : 50000;
  const spec = randomMoeSpec(K, d, 1, createRng(7 * d + K));
  const dir = mkdtempSync(join(tmpdir(), "ismm-speed-"));
  const header = [...Array.from({ length: d }, (_, a) => `x${a + 1}`), "y"].join(",");
  const write = (n: number, path: string) => {
    const data = sampleSynthetic(spec, n, createRng(11));
    const lines = [header];
    for (let i = 0; i < n; i++) {
      const cells: string[] = [];
      for (let a = 0; a < d; a++) cells.push(data.X[i * d + a].toFixed(6));
      cells.push(data.Y[i].toFixed(6));
      lines.push(cells.join(","));
    }
    writeFileSync(path, lines.join("\n") + "\n");
  };
  const small = join(dir, "m.csv");
  const big = join(dir, "2m.csv");
  write(M, small);
  write(2 * M, big);
  const fitCpu = async (path: string, method: string | null): Promise<number> => {
    const c0 = cpuMs();
    const reader = await openTable({ source: path, targets: ["y"] });
    // A cheap initialization: its cost cancels in T(2M) − T(M), only the per-row cost remains.
    const model = method === null ? null : new MoeRegressor({ nExperts: K, method: method as MethodName, initRows: Math.max(1000, minInitRows(moeLayout({ K, d, q: 1 }))), initStarts: 1, initIters: 3, refineIters: 3 });
    for await (const b of reader.batches()) {
      if (model) model.learnMany(b.X.subarray(0, b.n * d), b.Y.subarray(0, b.n), b.n);
    }
    if (model) model.finish();
    reader.close();
    return cpuMs() - c0;
  };
  const out: { method: string; usPerRow: number }[] = [];
  try {
    for (const method of [null, ...methods]) {
      const marg: number[] = [];
      await fitCpu(small, method); // warm-up
      for (let r = 0; r < E2E_REPS; r++) marg.push(((await fitCpu(big, method)) - (await fitCpu(small, method))) / M);
      out.push({ method: method ?? "parse only", usPerRow: 1000 * median(marg) });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

if (SIMD_ONLY) {
  console.log(simdReport(QUICK, (L) => fastFlops(L)).join("\n"));
  process.exit(0);
}
const fma = fmaGflops();
const all: Row[] = [];
for (const { d, K } of CONFIGS) all.push(...benchConfig(d, K, fma));

if (JSON_OUT) {
  console.log(JSON.stringify({ quick: QUICK, fmaGflops: fma, rows: all }, null, 2));
} else {
  const load = (await import("node:os")).loadavg()[0];
  console.log(`Per-row update speed (${QUICK ? "quick" : "full"}; median of ${REPS} reps; node ${process.version}; load avg ${load.toFixed(1)})`);
  console.log(`Plain multiply-add loop (y += a·x, Float64Array): ${fma.toFixed(2)} GFLOP/s`);
  const headers = ["d", "K", "method", "rows/s (cpu)", "rows/s (wall)", "µs/row", "flops/row", "GFLOP/s", "vs FMA loop", "× Adam", ...EXTRA_COLUMNS.map((c) => c.header)];
  const table = all.map((r) => [
    String(r.d), String(r.K), r.method, fmt(r.rowsPerSecCpu), fmt(r.rowsPerSecWall), fmt(r.usPerRow), fmt(r.flopsPerRow),
    fmt(r.gflops), r.vsFma === null ? "—" : r.vsFma.toFixed(2), r.vsAdam === null ? "—" : r.vsAdam.toFixed(2),
    ...r.extra.map((e) => e ?? "—"),
  ]);
  const w = headers.map((h, j) => Math.max(h.length, ...table.map((row) => row[j].length)));
  const line = (cells: string[]) => `| ${cells.map((c, j) => c.padStart(w[j])).join(" | ")} |`;
  console.log(line(headers));
  console.log(`|${w.map((n) => "-".repeat(n + 2)).join("|")}|`);
  for (const row of table) console.log(line(row));

  const e2eConfigs = QUICK ? [{ d: 100, K: 3 }] : CONFIGS;
  console.log("");
  console.log(`End to end from CSV (openTable → MoeRegressor.learnMany, the CLI path): marginal CPU µs per row, median of ${E2E_REPS}`);
  console.log("| d | K | parse only | ismm | adam | sgd | ismm ÷ adam |");
  console.log("|---|---|---|---|---|---|---|");
  for (const { d, K } of e2eConfigs) {
    const r = await e2eMarginal(d, K, ["ismm", "adam", "sgd"]);
    const us = (m: string) => (r.find((e) => e.method === m) as { usPerRow: number }).usPerRow;
    console.log(`| ${d} | ${K} | ${us("parse only").toFixed(2)} | ${us("ismm").toFixed(2)} | ${us("adam").toFixed(2)} | ${us("sgd").toFixed(2)} | ${(us("ismm") / us("adam")).toFixed(2)} |`);
  }

  console.log("");
  console.log(simdReport(QUICK, (L) => fastFlops(L)).join("\n"));

  const nTrain = QUICK ? 20000 : 50000;
  const seeds = QUICK ? [1] : [1, 2, 3];
  console.log("");
  console.log("Accuracy per row and time to target (bench/accuracy.ts):");
  console.log(accuracyReport(seeds.map((seed) => accuracyRace(seed, nTrain)), nTrain, 5));
}
