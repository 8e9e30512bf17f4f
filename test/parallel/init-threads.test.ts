/**
 * The initialization's starts and refinements on several threads (parallel/init-threads.ts): the
 * same bits as the serial loop for any thread count, a worker's exception is one WorkerError, and a
 * worker that never finishes its task is not waited for (the caller redoes it, with the same result).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRng, initializeMoe, randomMoeSpec, runInitPhase, sampleSynthetic, WorkerError } from "../../src/index.js";
import { moeLayout, type MoeLayout } from "../../src/model/dims.js";
import { createInitWorkspace, refineStart, screenStart, type InitPlan } from "../../src/mm/init-start.js";

/** Standardized-looking design rows (intercept first) and targets from a random K-expert MoE. */
function buffer(K: number, d: number, n: number, seed: number): { L: MoeLayout; X: Float64Array; Y: Float64Array } {
  const L = moeLayout({ K, d, q: 1 });
  const spec = randomMoeSpec(K, d, 1, createRng(seed).fork(1));
  const s = sampleSynthetic(spec, n, createRng(seed).fork(2));
  const X = new Float64Array(n * L.p);
  for (let i = 0; i < n; i++) {
    X[i * L.p] = 1;
    X.set(s.X.subarray(i * d, (i + 1) * d), i * L.p + 1);
  }
  return { L, X, Y: Float64Array.from(s.Y) };
}

const PLAN: InitPlan = { starts: 5, startIters: 4, refineIters: 6, restarts: 3, tol: 1e-12, gateStep: { kind: "mm", iters: 1 } };

test("initializeMoe on 2 threads gives the serial result bit for bit (starts and refinements both threaded)", () => {
  // minThreadedWork 0: both phases go to the threads whatever their size; each takes a few hundred
  // ms, so the worker (started at once) claims some of the runs.
  const { L, X, Y } = buffer(3, 40, 1500, 3);
  const options = { starts: 8, startIters: 12, refineIters: 40, restarts: 4, minThreadedWork: 0 };
  const serial = initializeMoe(L, X, Y, 1500, createRng(9), { ...options, threads: 1 });
  const threaded = initializeMoe(L, X, Y, 1500, createRng(9), { ...options, threads: 2 });
  assert.ok(serial.startNlls.every(Number.isFinite) && Number.isFinite(serial.nll), "a real fit, not NaNs compared with NaNs");
  assert.deepEqual(threaded.startNlls, serial.startNlls);
  assert.deepEqual(threaded.refinedNlls, serial.refinedNlls);
  assert.deepEqual(Array.from(threaded.theta), Array.from(serial.theta));
  assert.equal(threaded.iterations, serial.iterations);
  assert.equal(threaded.converged, serial.converged);
});

test("runInitPhase: screening starts and refinements equal screenStart / refineStart for 2 and 3 threads", () => {
  const { L, X, Y } = buffer(2, 6, 400, 5);
  const root = createRng(21);
  const ws = createInitWorkspace(L, 400, PLAN);
  const starts = Array.from({ length: PLAN.starts }, (_, r) => screenStart(L, X, Y, 400, root, PLAN, ws, r));
  const thetas = starts.slice(0, 3).map((s) => s.theta.slice());
  const refined = thetas.map((t) => {
    const theta = t.slice();
    return { theta, ...refineStart(L, X, Y, 400, PLAN, ws, theta) };
  });
  for (const threads of [2, 3]) {
    assert.ok(starts.every((st) => Number.isFinite(st.nll)));
    const a = runInitPhase(L, X, Y, 400, PLAN, root.getState(), "screen", PLAN.starts, threads, null);
    assert.deepEqual(a.map((r) => Array.from(r.theta)), starts.map((s) => Array.from(s.theta)));
    assert.deepEqual(a.map((r) => r.nll), starts.map((s) => s.nll));
    const b = runInitPhase(L, X, Y, 400, PLAN, root.getState(), "refine", 3, threads, thetas);
    assert.deepEqual(b.map((r) => Array.from(r.theta)), refined.map((r) => Array.from(r.theta)));
    assert.deepEqual(b.map((r) => [r.nll, r.converged, r.iterations]), refined.map((r) => [r.nll, r.converged, r.iterations]));
  }
  // The inputs are not modified.
  assert.deepEqual(thetas.map((t) => Array.from(t)), starts.slice(0, 3).map((s) => Array.from(s.theta)));
});

test("runInitPhase: a worker's exception is one WorkerError naming the task, never a hang", () => {
  const { L, X, Y } = buffer(2, 4, 200, 7);
  assert.throws(
    () => runInitPhase(L, X, Y, 200, PLAN, createRng(1).getState(), "screen", 3, 2, null, { faultAtTask: 1, callerIdle: true, graceMs: 60_000 }),
    (e: unknown) => e instanceof WorkerError && /initialization worker 1: injected fault in task 1/.test(e.message),
  );
});

test("runInitPhase: a worker that never finishes its task is not waited for; the caller's redo gives the same result", () => {
  const { L, X, Y } = buffer(2, 4, 200, 8);
  const root = createRng(2);
  const ws = createInitWorkspace(L, 200, PLAN);
  const want = Array.from({ length: 4 }, (_, r) => screenStart(L, X, Y, 200, root, PLAN, ws, r));
  // The caller runs no task itself and the worker claims one and stalls: after the grace period
  // (200 ms here instead of max(10 s, 4 × the caller's longest task)) the caller runs every
  // unfinished task itself.
  const got = runInitPhase(L, X, Y, 200, PLAN, root.getState(), "screen", 4, 2, null, { workersStall: true, callerIdle: true, graceMs: 200 });
  assert.deepEqual(got.map((r) => Array.from(r.theta)), want.map((s) => Array.from(s.theta)));
  assert.deepEqual(got.map((r) => r.nll), want.map((s) => s.nll));
});
