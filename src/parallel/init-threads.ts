/**
 * The initialization's independent EM runs — its screening starts, then its refinements — on T
 * threads (T − 1 `worker_threads` and the caller), registered with mm/init.ts when this module loads
 * (Node only). Tasks are claimed one at a time (parallel/init-tasks.ts); every task is a function of
 * the buffer, the settings and its index alone, so the results are the serial loop's bits for any
 * T. The call stays synchronous: the caller runs tasks itself, then waits on `Atomics.wait`.
 *
 * Failures never hang: a task's exception in a worker is raised as one WorkerError; a worker that
 * has not finished its task well after the caller's longest task took (4×, at least 10 s) is not
 * waited for — the caller runs that task itself, with the same result.
 */
import { WorkerError } from "../core/errors.js";
import type { MoeLayout } from "../model/dims.js";
import { registerInitThreads } from "../mm/init.js";
import type { InitPlan, Refined } from "../mm/init-start.js";
import { claimTask, CLAIM, DONE, ERR, ERR_BYTES, FLAGS, runTask, slotSize, threadState, type InitPhase, type InitShared } from "./init-tasks.js";
import { startWorker } from "./spawn.js";
import type { Worker } from "node:worker_threads";

/** Test hooks of `runInitPhase`. */
export interface InitPhaseTestOptions {
  /** The workers' task with this index throws. */
  readonly faultAtTask?: number;
  /** The caller only waits (so that the workers run every task). */
  readonly callerIdle?: boolean;
  /** Workers claim a task and never finish it. */
  readonly workersStall?: boolean;
  /** Replaces the grace period after which the caller redoes a worker's unfinished task. */
  readonly graceMs?: number;
}

export interface PhaseResult extends Refined {
  readonly theta: Float64Array;
}

const sharedCopy = (a: Float64Array): SharedArrayBuffer => {
  const b = new SharedArrayBuffer(Math.max(8, a.byteLength));
  new Float64Array(b).set(a);
  return b;
};

/**
 * Runs `count` tasks of one phase on `threads` threads: starts 0..count−1 ("screen", from the root
 * generator state) or the refinement of each θ in `inputs` ("refine"). Results in task order.
 */
export function runInitPhase(
  L: MoeLayout, X: Float64Array, Y: Float64Array, n: number, plan: InitPlan, rootState: readonly number[],
  phase: InitPhase, count: number, threads: number, inputs: readonly Float64Array[] | null, test: InitPhaseTestOptions = {},
): PhaseResult[] {
  if (count >= 1 << 15) throw new RangeError(`runInitPhase: at most ${(1 << 15) - 1} tasks, got ${count}`);
  const S = slotSize(L);
  const packed = new Float64Array(Math.max(1, count) * L.size);
  if (inputs !== null) inputs.forEach((theta, i) => packed.set(theta, i * L.size));
  const shared: InitShared = {
    dims: { K: L.K, d: L.d, q: L.q, covariance: L.covariance }, n, plan, rootState,
    X: sharedCopy(X.subarray(0, n * L.p)), Y: sharedCopy(Y.subarray(0, n * L.q)),
    ctrl: new SharedArrayBuffer(4 * (FLAGS + count)), inputs: sharedCopy(packed),
    results: new SharedArrayBuffer(8 * Math.max(1, count) * S), err: new SharedArrayBuffer(ERR_BYTES),
  };
  const mine = threadState(shared);
  const { ctrl, results } = mine;
  const gen = 1;
  Atomics.store(ctrl, CLAIM, gen << 16);
  const workers: Worker[] = [];
  const redone: (Float64Array | null)[] = new Array<Float64Array | null>(count).fill(null);
  try {
    for (let id = 0; id < threads - 1; id++) {
      let w: Worker;
      try {
        w = startWorker("init-worker", { ...shared, id, faultAtTask: test.faultAtTask, stall: test.workersStall === true });
      } catch {
        break; // no thread to be had (resource limits): the caller runs what is left, with the same result
      }
      w.unref(); // never keeps the process alive
      w.on("error", () => {}); // failures are reported through shared memory, stalls by the grace period
      w.postMessage({ gen, phase, count });
      workers.push(w);
    }
    let longest = 0;
    while (test.callerIdle !== true) {
      const i = claimTask(ctrl, gen, count);
      if (i < 0) break;
      const t0 = performance.now();
      runTask(mine, phase, i, results, i * S); // the caller's own exception propagates as in the serial loop
      longest = Math.max(longest, performance.now() - t0);
      Atomics.store(ctrl, FLAGS + i, 1);
      Atomics.add(ctrl, DONE, 1);
    }
    const deadline = performance.now() + (test.graceMs ?? Math.max(10_000, 4 * longest));
    for (;;) {
      const done = Atomics.load(ctrl, DONE);
      if (done >= count || Atomics.load(ctrl, ERR) !== 0) break;
      if (performance.now() > deadline) {
        // A worker is far behind (or gone): run its unfinished tasks here (same bits).
        for (let i = 0; i < count; i++) {
          if (Atomics.load(ctrl, FLAGS + i) !== 0) continue;
          const slot = new Float64Array(S);
          runTask(mine, phase, i, slot, 0);
          redone[i] = slot;
        }
        break;
      }
      Atomics.wait(ctrl, DONE, done, 100);
    }
    if (Atomics.load(ctrl, ERR) !== 0) {
      const len = new DataView(shared.err).getInt32(0, true);
      throw new WorkerError(`initialization: ${new TextDecoder().decode(new Uint8Array(shared.err, 4, len).slice())}`);
    }
  } finally {
    for (const w of workers) void w.terminate();
  }
  return Array.from({ length: count }, (_, i) => {
    const slot = redone[i] ?? results.subarray(i * S, (i + 1) * S);
    return { theta: slot.slice(0, L.size), nll: slot[L.size], converged: slot[L.size + 1] === 1, iterations: slot[L.size + 2] };
  });
}

registerInitThreads({
  screen: (L, X, Y, n, rootState, plan, threads) => runInitPhase(L, X, Y, n, plan, rootState, "screen", plan.starts, threads, null),
  refine: (L, X, Y, n, plan, thetas, threads) =>
    runInitPhase(L, X, Y, n, plan, [0, 0, 0, 1], "refine", thetas.length, threads, thetas).map((r, i) => {
      thetas[i].set(r.theta);
      return { nll: r.nll, converged: r.converged, iterations: r.iterations };
    }),
});
