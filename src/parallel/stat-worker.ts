/**
 * A worker thread of the batch-statistic pool (pool.ts): waits for a job, claims chunks, blocks and
 * factorizations (parallel/claim.ts) until none is left, and waits for the next job. Any
 * exception is written to the shared error bytes while the claimed work still counts as done, so
 * the main thread raises one WorkerError instead of waiting forever.
 */
import { workerData } from "node:worker_threads";
import { moeLayout } from "../model/dims.js";
import { moeSurrogate } from "../surrogate/moe.js";
import { workOnJob } from "./claim.js";
import { jobArrays } from "./job-buffers.js";
import { BEAT, blockCount, BLOCKS_DONE, ERR, FACTORS_DONE, GEN, jobTag, ROWS, STOP, writeWorkerError, type WorkerInit } from "./protocol.js";

const init = workerData as WorkerInit;
const ctrl = new Int32Array(init.buffers.ctrl);

function fail(e: unknown): void {
  writeWorkerError(ctrl, ERR, init.err, init.id, e);
}

function run(): void {
  const L = moeLayout(init.dims);
  const sur = moeSurrogate(L);
  const ws = sur.createWorkspace();
  const arrays = jobArrays(init.buffers, L, sur.statSize, init.capacity);
  const nBlocks = blockCount(init.threads);
  let seen = 0;
  let jobs = 0;
  for (;;) {
    Atomics.wait(ctrl, GEN, seen);
    if (Atomics.load(ctrl, STOP) !== 0) return;
    seen = Atomics.load(ctrl, GEN);
    jobs++;
    if (init.faultAtJob === jobs) fail(new Error("injected fault (test)"));
    workOnJob(sur, ws, arrays, Atomics.load(ctrl, ROWS), nBlocks, BEAT + init.id, fail, jobTag(seen));
  }
}

try {
  run();
} catch (e) {
  // Setting up failed (e.g. a module did not load): flag it and wake the main thread, which
  // checks the flag whenever it wakes and raises it.
  fail(e);
  Atomics.notify(ctrl, BLOCKS_DONE);
  Atomics.notify(ctrl, FACTORS_DONE);
}
