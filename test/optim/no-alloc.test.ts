/**
 * `update` (and Sophia's `updateHessian`) allocate nothing on the JS heap.
 *
 * Method. After a warm-up (so the optimizing compiler has finished with the code under test) we
 * force a full GC, read `heapUsed`, run 1e5 steps, and read `heapUsed` again, while a
 * `PerformanceObserver` records every GC. A step that allocates even one heap number (16 bytes)
 * produces 1.6 MB of garbage over 1e5 steps, which shows up either as heap growth (if no GC ran)
 * or as a GC during the loop (if the young generation filled up). So the check is:
 *   - no GC started during the measured loop, and
 *   - heapUsed grew by less than 64 KiB, i.e. < 0.66 byte per step on average.
 * 64 KiB leaves room for one-off allocations outside `update` (the `process.memoryUsage()` result,
 * a late inline-cache or code-object update) while staying 25× below one heap number per step.
 * A deliberately allocating "optimizer" is run through the same check to show it has teeth.
 *
 * Without allocation V8 has no reason to start a GC inside a synchronous loop (GCs are triggered by
 * allocation, and the forced full GC beforehand finishes any incremental marking). The one source of
 * nondeterminism is the JIT: the *harness* loop (`drive`, shared by all cases) can be deoptimized and
 * re-optimized in the middle of the measured run, and while it runs unoptimized it boxes doubles.
 * Seen with --trace-deopt: "Insufficient type feedback" at its entry, and code discarded by the
 * forced GC because maps of the previous case's objects died. Three measures keep that out:
 *   - a full GC *before* the warm-up, so code depending on dead maps is dropped before warming up;
 *   - warm-up and measurement both call `drive` many times with short runs (60 × 1000 steps, then
 *     100 × 1000), so it is optimized for entry at the top, not only by on-stack replacement;
 *   - an optimizer passes if any of 3 attempts is clean. An allocation inside `update` happens on
 *     every step of every attempt, so retrying cannot hide it; it only absorbs a one-off tier-up.
 *     (With the first two measures, the first attempt was clean in every run we made.)
 * `gc` is obtained with `--expose-gc` set at run time (v8.setFlagsFromString + vm.runInNewContext),
 * so the test needs no special command line.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PerformanceObserver, performance } from "node:perf_hooks";

import {
  adam,
  applyUpdate,
  rmsprop,
  sgd,
  sophia,
  type Optimizer,
  type OptimizerState,
  type SophiaState,
} from "../../src/optim/index.js";
import { isSophia } from "./conformance-table.js";
import { getGc } from "../helpers.js";

const N_PARAMS = 16;
const STEPS_PER_CALL = 1000;
const WARMUP_CALLS = 60;
const MEASURED_CALLS = 100;
const MEASURED_STEPS = MEASURED_CALLS * STEPS_PER_CALL;
const HEAP_BOUND_BYTES = 64 * 1024;
const ATTEMPTS = 3;


/** The hot loop a benchmark would run: gradient of ½Σ a_i θ_i² in place, update, θ += Δ. */
function drive(opt: Optimizer, state: OptimizerState, theta: Float64Array, grad: Float64Array, ghat: Float64Array, steps: number): void {
  const n = theta.length;
  for (let s = 0; s < steps; s++) {
    for (let i = 0; i < n; i++) grad[i] = (1 + i) * theta[i];
    opt.update(grad, state, theta);
    applyUpdate(theta, grad);
    if (isSophia(opt) && opt.hessianDue(state as SophiaState)) {
      for (let i = 0; i < n; i++) ghat[i] = Math.sqrt(1 + i) * (s % 2 === 0 ? 1 : -1);
      opt.updateHessian(state as SophiaState, ghat);
    }
  }
}

interface Measurement {
  heapGrowth: number;
  gcsDuringLoop: number;
}

function allocates(m: Measurement): boolean {
  return m.gcsDuringLoop > 0 || m.heapGrowth >= HEAP_BOUND_BYTES;
}

/** Up to `ATTEMPTS` measurements of MEASURED_STEPS steps; stops at the first clean one. */
async function measure(opt: Optimizer): Promise<Measurement[]> {
  const gc = getGc();
  const theta = Float64Array.from({ length: N_PARAMS }, (_, i) => 1 - i / N_PARAMS);
  const grad = new Float64Array(N_PARAMS);
  const ghat = new Float64Array(N_PARAMS);
  const state = opt.init(N_PARAMS);
  // Collect the previous cases' garbage *before* warming up: when their objects die, optimized
  // code that depended on their maps is thrown away, and that must not happen during the measurement.
  gc();
  for (let r = 0; r < WARMUP_CALLS; r++) drive(opt, state, theta, grad, ghat, STEPS_PER_CALL);

  const gcStarts: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcStarts.push(entry.startTime);
  });
  observer.observe({ entryTypes: ["gc"] });
  const attempts: Measurement[] = [];
  try {
    for (let a = 0; a < ATTEMPTS; a++) {
      gc();
      const t0 = performance.now();
      const before = process.memoryUsage().heapUsed;
      for (let r = 0; r < MEASURED_CALLS; r++) drive(opt, state, theta, grad, ghat, STEPS_PER_CALL);
      const after = process.memoryUsage().heapUsed;
      const t1 = performance.now();
      // GC entries are delivered asynchronously: let the queue drain before reading them.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const m = { heapGrowth: after - before, gcsDuringLoop: gcStarts.filter((s) => s >= t0 && s <= t1).length };
      attempts.push(m);
      if (!allocates(m)) break;
    }
  } finally {
    observer.disconnect();
  }
  assert.ok(theta.every(Number.isFinite), "the driven problem stayed finite");
  return attempts;
}

/** A fake optimizer that allocates one small object per step (it escapes into the state). */
function allocatingOptimizer(): Optimizer {
  return {
    name: "sgd",
    options: Object.freeze({}),
    init: () => ({ t: 0, last: { g: 0 } }),
    update(grad, state) {
      state.last = { g: grad[0] };
      for (let i = 0; i < grad.length; i++) grad[i] = -1e-3 * grad[i];
      state.t += 1;
    },
  };
}

describe("update allocates nothing", () => {
  it("the check detects an optimizer that allocates one object per step (positive control)", async () => {
    const attempts = await measure(allocatingOptimizer());
    assert.ok(attempts.every(allocates), `allocating optimizer not detected: ${JSON.stringify(attempts)}`);
  });

  const cases: Array<[string, () => Optimizer]> = [
    ["sgd (constant)", () => sgd()],
    ["sgd (decay = 0.6)", () => sgd({ decay: 0.6 })],
    ["rmsprop", () => rmsprop()],
    ["adam", () => adam()],
    ["sophia (with updateHessian every 10 steps, weight decay)", () => sophia({ weightDecay: 0.1 })],
  ];
  for (const [label, make] of cases) {
    it(`${label}: ${MEASURED_STEPS} steps, no GC and heap growth < ${HEAP_BOUND_BYTES / 1024} KiB`, async () => {
      const attempts = await measure(make());
      const clean = attempts.some((m) => !allocates(m));
      assert.ok(clean, `every attempt allocated (GCs during the loop or heap growth): ${JSON.stringify(attempts)}`);
    });
  }
});
