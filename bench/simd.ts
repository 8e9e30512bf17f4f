/**
 * WebAssembly SIMD against the scalar kernels, and the initialization's cost (issue 13), printed by
 * `npm run bench:speed` (or alone: `npx tsx bench/speed.ts --simd-only [--quick]`).
 *
 * Every comparison runs in one process with interleaved rounds: round r times a chunk of each
 * variant in turn (SIMD, scalar, …), so load changes on a shared machine hit all variants alike,
 * and the median over rounds of the per-call process CPU time is reported.
 *
 *   kernels   the fused Sherman–Morrison pass (M update + blend of S + h = Mx) and the blend,
 *             WebAssembly SIMD vs asm.js (the scalar kernel, bit-identical to the TypeScript one),
 *             for a range of p; the crossover is the smallest p from which SIMD wins at every
 *             larger p measured. The EM Gram (Σ τ x xᵀ over a 1515-row buffer): SIMD vs the
 *             symRank1Blend loop.
 *   update    the fast ISMM per-row update (learner.learn) with SIMD on and off, against a plain
 *             scalar loop y[i] += a·x[i] timed in the same rounds: "÷ scalar loop" is the update's
 *             time over the loop's time for the update's flop count (surrogate/moe-fast.ts §6),
 *             i.e. 1 / "vs FMA loop" of the main table; "÷ (K+1)p(p+1) madds" uses that smaller count.
 *   init      the default initialization (buffer → scaler → multi-start EM → learner) at d = 100,
 *             K = 3, against one ISMM pass over the same number of rows after it.
 */
import {
  createGramEngine, createKernelHeap, createRng, gramReference, learnerFactory, moeLayout, MoeRegressor, randomMoeSpec, resolveOptions,
  sampleSynthetic, setSimdEnabled, simdAvailable, syntheticStream, thetaFromParameters, type Learner,
} from "../src/index.js";

const cpuUs = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

/** Interleaved rounds: µs per call of each variant (median). `run(i, n)` makes n calls of variant i. */
function interleaved(nv: number, run: (i: number, n: number) => void, rounds: number, targetUs: number): number[] {
  const reps: number[] = [];
  for (let i = 0; i < nv; i++) {
    let n = 1;
    for (;;) {
      const t0 = cpuUs();
      run(i, n);
      const dt = cpuUs() - t0;
      if (dt > targetUs / 4 || n > 1e7) {
        reps.push(Math.max(1, Math.round((n * targetUs) / Math.max(dt, 1))));
        break;
      }
      n *= 4;
    }
  }
  const t: number[][] = reps.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < nv; i++) {
      const t0 = cpuUs();
      run(i, reps[i]);
      t[i].push((cpuUs() - t0) / reps[i]);
    }
  }
  return t.map(median);
}

/** A heap with one p×p factor (packed M, S, x, g, h, scalars) and its kernels, SIMD or not. */
function factorHeap(p: number, simd: boolean) {
  const prev = setSimdEnabled(simd);
  const P = (p * (p + 1)) / 2;
  const co = 0, mo = 8, so = mo + P, xo = so + p * p, go = xo + p, ho = go + p;
  const kh = createKernelHeap(8 * (ho + p), p, 1);
  setSimdEnabled(prev);
  const H = new Float64Array(kh.heap);
  const rng = createRng(p);
  for (let i = mo; i < ho; i++) H[i] = rng.normal();
  H[co] = 1; // sa = 1, sb = 0, α = 1, κ = 0: repeated passes leave M and S unchanged
  H[co + 2] = 1;
  const k = kh.kernels;
  if (k === null) throw new Error("no heap kernels");
  if (kh.simd !== simd) throw new Error(`SIMD kernels ${simd ? "unavailable" : "not switched off"}`);
  return {
    pass: (n: number) => {
      for (let r = 0; r < n; r++) k.pass(p, 8 * mo, 8 * so, 8 * xo, 8 * go, 8 * ho, 8 * co);
    },
    blend: (n: number) => {
      for (let r = 0; r < n; r++) k.blend(p, 8 * so, 8 * xo, 8 * co);
    },
  };
}

export interface KernelRow { kernel: string; p: number; scalarUs: number; simdUs: number }

export function kernelBench(quick: boolean): { rows: KernelRow[]; crossover: number | null } {
  const ps = quick ? [2, 3, 4, 6, 8, 16, 32, 101] : [2, 3, 4, 5, 6, 8, 12, 16, 24, 32, 51, 101, 201];
  const rounds = quick ? 5 : 9;
  const target = quick ? 5000 : 20000;
  const rows: KernelRow[] = [];
  for (const p of ps) {
    const a = factorHeap(p, false);
    const b = factorHeap(p, true);
    const [s, v] = interleaved(2, (i, n) => (i === 0 ? a.pass(n) : b.pass(n)), rounds, target);
    rows.push({ kernel: "pass", p, scalarUs: s, simdUs: v });
  }
  let crossover: number | null = null;
  for (let i = rows.length - 1; i >= 0 && rows[i].simdUs < rows[i].scalarUs; i--) crossover = rows[i].p;
  {
    const p = 101;
    const a = factorHeap(p, false);
    const b = factorHeap(p, true);
    const [s, v] = interleaved(2, (i, n) => (i === 0 ? a.blend(n) : b.blend(n)), rounds, target);
    rows.push({ kernel: "blend", p, scalarUs: s, simdUs: v });
  }
  {
    const p = 101, K = 3, n = 1515;
    const rng = createRng(5);
    const X = new Float64Array(n * p).map(() => rng.normal());
    const W = new Float64Array(n * K).map(() => rng.next());
    const s = new Float64Array(K * p * p);
    const eng = createGramEngine(p, K, n);
    const [a, v] = interleaved(2, (i, m) => {
      for (let r = 0; r < m; r++) {
        if (i === 0) gramReference(p, K, X, n, W, n, s, 0, p * p);
        else eng.accumulate(X, n, W, n, s, 0, p * p);
      }
    }, rounds, 4 * target);
    rows.push({ kernel: `EM Gram, K = ${K}, ${n} rows`, p, scalarUs: a, simdUs: eng.simd ? v : NaN });
  }
  return { rows, crossover };
}

export interface UpdateRow { d: number; K: number; simdUs: number; scalarUs: number; loopMaddNs: number; flops: number }

/** Fast ISMM per-row update, SIMD vs scalar, and a plain multiply-add loop, interleaved. */
export function updateBench(quick: boolean, flopsOf: (L: ReturnType<typeof moeLayout>) => number): UpdateRow[] {
  const out: UpdateRow[] = [];
  const configs = quick ? [{ d: 100, K: 3 }] : [{ d: 100, K: 3 }, { d: 100, K: 8 }, { d: 10, K: 4 }];
  for (const { d, K } of configs) {
    const q = 1;
    const rng = createRng(1000 * d + K);
    const spec = randomMoeSpec(K, d, q, rng);
    const L = moeLayout({ K, d, q });
    const p = L.p;
    const n0 = Math.max(1000, 5 * K * p);
    const POOL = 4096;
    const stream = syntheticStream(spec, rng.fork(1));
    const X = new Float64Array((n0 + POOL) * p);
    const Y = new Float64Array(n0 + POOL);
    const x = new Float64Array(d);
    const y = new Float64Array(1);
    for (let i = 0; i < n0 + POOL; i++) {
      stream.next(x, y);
      X[i * p] = 1;
      X.set(x, i * p + 1);
      Y[i] = y[0];
    }
    const theta0 = thetaFromParameters(L, spec.params);
    const r0 = rng.fork(2);
    for (let i = 0; i < theta0.length; i++) theta0[i] += 0.1 * r0.normal();
    const init = { X: X.subarray(0, n0 * p), Y: Y.subarray(0, n0), n: n0 };
    const make = (simd: boolean): Learner => {
      const prev = setSimdEnabled(simd);
      const options = resolveOptions({ method: "ismm", nExperts: K }) as unknown as Record<string, unknown>;
      const l = learnerFactory("ismm").create({ layout: L, options, rng: rng.fork(3) }, theta0, init);
      setSimdEnabled(prev);
      return l;
    };
    const learners = [make(true), make(false)];
    const next = [0, 0];
    const learn = (j: number, n: number): void => {
      const l = learners[j];
      for (let r = 0; r < n; r++) {
        const i = n0 + next[j];
        l.learn(X, i * p, Y, i);
        next[j] = next[j] + 1 === POOL ? 0 : next[j] + 1;
      }
    };
    learn(0, 2000);
    learn(1, 2000);
    loop(20000); // warm: optimized before the first timed round
    // Short chunks, many rounds: each round sees nearly the same machine load for all three.
    const [simdUs, scalarUs, loopUs] = interleaved(3, (i, n) => (i === 2 ? loop(n) : learn(i, n)), quick ? 9 : 25, quick ? 20_000 : 30_000);
    if (!Number.isFinite(LOOP_Y[7]) || !learners.every((l) => l.params().every(Number.isFinite))) throw new Error("diverged");
    out.push({ d, K, simdUs, scalarUs, loopMaddNs: (1000 * loopUs) / LOOP, flops: flopsOf(L) });
  }
  return out;
}

/** y[i] += a·x[i] over Float64Arrays passed as arguments (as library kernels see them). */
function axpy(n: number, a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < n; i++) y[i] += a * x[i];
}

// One loop (closure and arrays) for every configuration: a fresh closure per configuration ran
// ≈ 3× slower after the first configuration of a run (measured: 0.57 → 1.6 ns per multiply-add).
const LOOP = 2048;
const LOOP_X = new Float64Array(LOOP).map((_, i) => Math.sin(i));
const LOOP_Y = new Float64Array(LOOP);
let loopA = 1e-9;
function loop(n: number): void {
  for (let r = 0; r < n; r++) {
    axpy(LOOP, loopA, LOOP_X, LOOP_Y);
    loopA = -loopA;
  }
}

export interface InitRow { simd: boolean; initMs: number; passMs: number; rows: number; nll: number }

/**
 * Default initialization at d = 100, K = 3 on seeded synthetic rows: the CPU time of feeding the
 * first initRows rows (buffer, scaler, multi-start EM, learner), then of one ISMM pass over as
 * many rows; held-out NLL after 20k rows as the quality check. Median of `reps`.
 */
export function initBench(quick: boolean): InitRow[] {
  const d = 100, K = 3;
  const spec = randomMoeSpec(K, d, 1, createRng(101));
  const train = sampleSynthetic(spec, 20000, createRng(201));
  const test = sampleSynthetic(spec, 5000, createRng(301));
  const out: InitRow[] = [];
  for (const simd of simdAvailable() ? [true, false] : [false]) {
    const inits: number[] = [];
    const passes: number[] = [];
    let nll = NaN;
    let rows = 0;
    for (let rep = 0; rep < (quick ? 1 : 3); rep++) {
      const prev = setSimdEnabled(simd);
      const m = new MoeRegressor({ nExperts: K });
      rows = Math.max(1000, 5 * K * (d + 1));
      let t0 = cpuUs();
      m.learnMany(train.X.subarray(0, rows * d), train.Y.subarray(0, rows), rows); // the last row initializes
      inits.push((cpuUs() - t0) / 1000);
      t0 = cpuUs();
      m.learnMany(train.X.subarray(rows * d, 2 * rows * d), train.Y.subarray(rows, 2 * rows), rows);
      passes.push((cpuUs() - t0) / 1000);
      setSimdEnabled(prev);
      m.learnMany(train.X.subarray(2 * rows * d), train.Y.subarray(2 * rows), train.n - 2 * rows);
      nll = m.score(test.X, test.Y, test.n);
    }
    out.push({ simd, initMs: median(inits), passMs: median(passes), rows, nll });
  }
  return out;
}

/** The three tables as markdown lines. */
export function simdReport(quick: boolean, flopsOf: (L: ReturnType<typeof moeLayout>) => number): string[] {
  const lines: string[] = [];
  const f = (v: number, dg = 3) => (Number.isFinite(v) ? v.toPrecision(dg) : "—");
  lines.push(`WebAssembly SIMD vs scalar (${simdAvailable() ? "SIMD available" : "NO SIMD on this engine"}; interleaved rounds, median CPU µs per call)`);
  const k = kernelBench(quick);
  lines.push("| kernel | p | scalar (asm.js) µs | SIMD µs | SIMD ÷ scalar |", "|---|---|---|---|---|");
  for (const r of k.rows) lines.push(`| ${r.kernel} | ${r.p} | ${f(r.scalarUs)} | ${f(r.simdUs)} | ${f(r.simdUs / r.scalarUs, 2)} |`);
  lines.push(`Crossover: the SIMD pass wins from p = ${k.crossover ?? "— (never)"} on (the library uses it from SIMD_MIN_P).`, "");
  lines.push("Fast ISMM per-row update (learner.learn), SIMD vs scalar, with a plain scalar multiply-add loop in the same rounds");
  lines.push("| d | K | SIMD µs/row | scalar µs/row | SIMD ÷ scalar | loop ns/madd | SIMD ÷ scalar loop (update flops) | scalar ÷ scalar loop | SIMD ÷ (K+1)p(p+1) madds |");
  lines.push("|---|---|---|---|---|---|---|---|---|");
  for (const r of updateBench(quick, flopsOf)) {
    const p = r.d + 1;
    const loopUs = (r.flops / 2) * r.loopMaddNs / 1000;
    const minUs = ((r.K + 1) * p * (p + 1) * r.loopMaddNs) / 1000;
    lines.push(`| ${r.d} | ${r.K} | ${f(r.simdUs)} | ${f(r.scalarUs)} | ${f(r.simdUs / r.scalarUs, 2)} | ${f(r.loopMaddNs)} | ${f(r.simdUs / loopUs, 2)} | ${f(r.scalarUs / loopUs, 2)} | ${f(r.simdUs / minUs, 2)} |`);
  }
  lines.push("");
  lines.push("Default initialization at d = 100, K = 3 (CPU ms) against one ISMM pass over as many rows; held-out NLL after 20k rows");
  lines.push("| kernels | rows | init ms | one pass ms | init ÷ pass | test NLL |", "|---|---|---|---|---|---|");
  for (const r of initBench(quick)) lines.push(`| ${r.simd ? "SIMD" : "scalar"} | ${r.rows} | ${r.initMs.toFixed(0)} | ${r.passMs.toFixed(0)} | ${(r.initMs / r.passMs).toFixed(1)} | ${r.nll.toFixed(4)} |`);
  return lines;
}
