/**
 * Batch EM's row passes on several threads (mm/em-passes.ts, parallel/em-pool.ts): each pass equals
 * the serial chunked sum bit for bit, the chunked sum equals the plain loop over rows up to rounding,
 * EM on 2 or 3 threads is the serial EM bit for bit, and a worker's exception is one WorkerError.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { batchEM, createRng, EmPool, MoeRegressor, randomMoeSpec, sampleSynthetic, WorkerError } from "../../src/index.js";
import { moeLayout, type MoeLayout } from "../../src/model/dims.js";
import { createPassWorkspace, E_STEP, GATE_Q, maxPassSize, MIN_CHUNK_ROWS, MM_G1, NEWTON, passChunks, passPoolFor, passRange, passSize, serialPass, STATS, type PassOp } from "../../src/mm/em-passes.js";
import { thetaFromParameters } from "../../src/model/parameters.js";
import { rowNll, createRowWorkspace } from "../../src/model/moe.js";

/** Design rows (intercept first), targets and the true θ of a random K-expert MoE with q responses. */
function data(K: number, d: number, q: number, n: number, seed: number, covariance: "diagonal" | "full" = "diagonal"): { L: MoeLayout; X: Float64Array; Y: Float64Array; theta: Float64Array } {
  const L = moeLayout({ K, d, q, covariance });
  const spec = randomMoeSpec(K, d, q, createRng(seed).fork(1));
  const s = sampleSynthetic(spec, n, createRng(seed).fork(2));
  const X = new Float64Array(n * L.p);
  for (let i = 0; i < n; i++) {
    X[i * L.p] = 1;
    X.set(s.X.subarray(i * d, (i + 1) * d), i * L.p + 1);
  }
  return { L, X, Y: Float64Array.from(s.Y), theta: thetaFromParameters(L, spec.params) };
}

const OPS: readonly PassOp[] = [E_STEP, STATS, NEWTON, GATE_Q, MM_G1];

test("passChunks: one chunk up to MIN_CHUNK_ROWS rows, at most 64, fixed by n and the shape only", () => {
  const L = moeLayout({ K: 3, d: 4, q: 1 });
  assert.deepEqual(passChunks(L, MIN_CHUNK_ROWS), { rows: MIN_CHUNK_ROWS, count: 1 });
  assert.deepEqual(passChunks(L, MIN_CHUNK_ROWS + 1), { rows: MIN_CHUNK_ROWS, count: 2 });
  assert.equal(passChunks(L, 10_000_000).count, 64);
  // A wide model: the partials of all chunks stay within 2^25 doubles.
  const W = moeLayout({ K: 5, d: 499, q: 1 });
  const c = passChunks(W, 10_000_000);
  assert.ok(c.count * maxPassSize(W) <= 1 << 25 && c.count >= 1, JSON.stringify(c));
});

test("each pass: the pool's sum (2 and 3 threads, and the caller alone) is serialPass's bit for bit; chunked sums match the plain loop", () => {
  const n = 5000; // 20 chunks of 256 rows
  const { L, X, Y, theta } = data(3, 5, 2, n, 4, "full");
  const w = createPassWorkspace(L, n);
  const tauS = new Float64Array(n * L.K);
  const scratch = new Float64Array(maxPassSize(L));
  const serial = new Map<PassOp, Float64Array>();
  for (const op of OPS) {
    const out = new Float64Array(passSize(L, op));
    serialPass(op, w, theta, X, Y, tauS, n, out, scratch);
    serial.set(op, out);
  }
  assert.ok(serial.get(E_STEP)![0] > 0 && Number.isFinite(serial.get(E_STEP)![0]), "a real NLL sum");
  // The chunked sum against one loop over all rows (passRange over [0, n)): rounding only.
  for (const op of OPS) {
    const whole = new Float64Array(passSize(L, op));
    passRange(op, createPassWorkspace(L, n), theta, X, Y, tauS.slice(), n, 0, n, whole);
    const a = serial.get(op)!;
    let scale = 0;
    for (const v of whole) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < whole.length; i++) {
      // Summation order of 5000 terms: |error| ≤ n·ε·max|partial| ≈ 1e-12 of the largest entry.
      assert.ok(Math.abs(a[i] - whole[i]) <= 1e-11 * scale, `op ${op} entry ${i}: ${a[i]} vs ${whole[i]}`);
    }
  }
  // The E-step's τ: rows of the true model, each row's responsibilities sum to 1.
  const rw = createRowWorkspace(L);
  rowNll(L, theta, X, 4321 * L.p, Y, 4321 * L.q, rw);
  assert.deepEqual(Array.from(tauS.subarray(4321 * L.K, 4322 * L.K)), Array.from(rw.a.subarray(0, L.K)));
  for (const [threads, noWorkers] of [[2, false], [3, false], [2, true]] as const) {
    const pool = new EmPool(L, X, Y, n, threads, { noWorkers });
    try {
      for (const op of OPS) {
        const out = new Float64Array(passSize(L, op));
        pool.run(op, theta, out);
        assert.deepEqual(Array.from(out), Array.from(serial.get(op)!), `op ${op}, ${threads} threads${noWorkers ? " (no workers)" : ""}`);
      }
      assert.deepEqual(Array.from(pool.tau), Array.from(tauS), "τ written by the E-step pass");
    } finally {
      pool.close();
    }
  }
});

test("batchEM on 2 and 3 threads is the serial batchEM bit for bit (Newton and MM gate, diagonal and full Σ, elastic net)", () => {
  const cases = [
    { K: 3, d: 6, q: 1, covariance: "diagonal" as const, opts: {} },
    { K: 2, d: 3, q: 2, covariance: "full" as const, opts: { gateStep: { kind: "mm" as const, iters: 2 } } },
    { K: 3, d: 8, q: 1, covariance: "diagonal" as const, opts: { l1: 0.02, gateRidge: 1 } },
  ];
  for (const c of cases) {
    const n = 4500;
    const { X, Y } = data(c.K, c.d, c.q, n, 11);
    const Lc = moeLayout({ K: c.K, d: c.d, q: c.q, covariance: c.covariance });
    const theta0 = new Float64Array(Lc.size);
    const rng = createRng(5);
    for (let i = 0; i < theta0.length; i++) theta0[i] = 0.3 * rng.normal();
    const run = (threads: number): { theta: number[]; history: number[] } => {
      const theta = theta0.slice();
      const r = batchEM(Lc, theta, X, Y, n, { maxIter: 25, ...c.opts, threads, minThreadedWork: 0 });
      return { theta: Array.from(theta), history: r.history };
    };
    const pool = passPoolFor(Lc, X, Y, n, 2, 0);
    assert.ok(pool !== null, "these runs do use the thread pool");
    pool.close();
    const one = run(1);
    assert.ok(one.history.length > 5 && one.history[one.history.length - 1] < one.history[0], `EM made progress (${c.covariance}, ${JSON.stringify(c.opts)})`);
    for (const threads of [2, 3]) {
      const t = run(threads);
      assert.deepEqual(t.history, one.history, `history, ${threads} threads`);
      assert.deepEqual(t.theta, one.theta, `θ, ${threads} threads`);
    }
  }
});

test("a worker's exception in a pass is one WorkerError naming the worker; the pool stays failed, never hangs", () => {
  const n = 4500;
  const { L, X, Y, theta } = data(2, 3, 1, n, 2);
  // callerIdle: the worker computes every chunk, so its fault on pass 2 is certain to fire.
  const pool = new EmPool(L, X, Y, n, 2, { faultAtPass: 2, callerIdle: true });
  try {
    const out = new Float64Array(1);
    pool.run(E_STEP, theta, out);
    assert.ok(Number.isFinite(out[0]) && out[0] > 0, "pass 1 ran on the worker");
    assert.throws(() => pool.run(GATE_Q, theta, out), (e: unknown) => e instanceof WorkerError && /parallel EM pass failed: worker 1: injected fault/.test(e.message));
    assert.throws(() => pool.run(E_STEP, theta, out), WorkerError, "a failed pool stays failed");
  } finally {
    pool.close();
  }
});

test("a worker stuck in a pass is reported after stallMs as one WorkerError", () => {
  const n = 4500;
  const { L, X, Y, theta } = data(2, 3, 1, n, 2);
  // The worker never starts work (noWorkers) but the caller is idle too: nothing progresses.
  const pool = new EmPool(L, X, Y, n, 2, { callerIdle: true, stallMs: 300 });
  pool.close(); // workers stopped: no heartbeat, chunks outstanding
  assert.throws(() => pool.run(E_STEP, theta, new Float64Array(1)), (e: unknown) => e instanceof WorkerError && /no progress/.test(e.message));
});

test("MoeRegressor method 'em' on 2 threads writes the 1-thread model (default work bound: 60k rows, d = 10, K = 3 use the pool)", () => {
  const n = 60_000;
  const spec = randomMoeSpec(3, 10, 1, createRng(31).fork(1));
  const s = sampleSynthetic(spec, n, createRng(31).fork(2));
  const L = moeLayout({ K: 3, d: 10, q: 1 });
  const probe = passPoolFor(L, new Float64Array(n * L.p), new Float64Array(n), n, 2);
  assert.ok(probe !== null, "above MIN_THREADED_PASS_WORK: the fit's EM runs on the pool");
  probe.close();
  const fit = (threads: number) => new MoeRegressor({ nExperts: 3, method: "em", seed: 2, emMaxIter: 4, threads }).fit(s.X, s.Y, n);
  const a = fit(1);
  const b = fit(2);
  assert.deepEqual(b.toJSON(), a.toJSON());
  assert.ok(Number.isFinite(a.score(s.X, s.Y, n)));
});
