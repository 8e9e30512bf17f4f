/**
 * A worker thread of the batch-statistic pool (pool.ts): waits for a job, computes the partial
 * statistics of its chunks (c ≡ id mod T), meets the other workers at a barrier, adds its range of
 * entries over all chunks in chunk order, reports, and waits again. Any exception is written to
 * the shared error bytes and the job still completes its barrier and report, so the main thread
 * raises one WorkerError instead of waiting forever.
 */
import { workerData } from "node:worker_threads";
import { moeLayout } from "../model/dims.js";
import { moeSurrogate } from "../surrogate/moe.js";
import { chunkCount, computeChunk, reduceChunks, reduceRange } from "./chunks.js";
import { ARRIVE, BEAT, DONE, ERR, ERR_BYTES, GEN, ROWS, STOP, type WorkerInit } from "./protocol.js";

const init = workerData as WorkerInit;
const ctrl = new Int32Array(init.ctrl);
const beat = BEAT + init.id;

function fail(e: unknown): void {
  const msg = `worker ${init.id + 1}: ${e instanceof Error ? e.message : String(e)}`;
  const bytes = new TextEncoder().encode(msg).subarray(0, ERR_BYTES - 4);
  if (Atomics.compareExchange(ctrl, ERR, 0, 1) === 0) {
    new Uint8Array(init.err).set(bytes, 4);
    new DataView(init.err).setInt32(0, bytes.length, true);
  }
}

/** Waits until every worker has arrived (ARRIVE = T). */
function barrier(T: number): void {
  Atomics.add(ctrl, ARRIVE, 1);
  Atomics.notify(ctrl, ARRIVE);
  for (;;) {
    const a = Atomics.load(ctrl, ARRIVE);
    if (a >= T || Atomics.load(ctrl, STOP) !== 0) return;
    Atomics.wait(ctrl, ARRIVE, a, 1000);
  }
}

function run(): void {
  const L = moeLayout(init.dims);
  const sur = moeSurrogate(L);
  const ws = sur.createWorkspace();
  const theta = new Float64Array(init.theta);
  const X = new Float64Array(init.X);
  const Y = new Float64Array(init.Y);
  const parts = new Float64Array(init.parts);
  const sum = new Float64Array(init.sum);
  const T = init.threads;
  let seen = 0;
  let jobs = 0;
  for (;;) {
    Atomics.wait(ctrl, GEN, seen);
    if (Atomics.load(ctrl, STOP) !== 0) return;
    seen = Atomics.load(ctrl, GEN);
    jobs++;
    const m = Atomics.load(ctrl, ROWS);
    const nChunks = chunkCount(m);
    try {
      if (init.faultAtJob !== undefined && jobs === init.faultAtJob) throw new Error("injected fault (test)");
      for (let c = init.id; c < nChunks; c += T) computeChunk(sur, theta, X, L.p, Y, L.q, m, c, parts, ws, ctrl, beat);
    } catch (e) {
      fail(e);
    }
    barrier(T);
    if (Atomics.load(ctrl, ERR) === 0) {
      try {
        const [lo, hi] = reduceRange(sur.statSize, T, init.id);
        reduceChunks(parts, sur.statSize, nChunks, sum, lo, hi);
      } catch (e) {
        fail(e);
      }
    }
    Atomics.add(ctrl, beat, 1);
    Atomics.add(ctrl, DONE, 1);
    Atomics.notify(ctrl, DONE);
  }
}

try {
  run();
} catch (e) {
  // Setting up failed (e.g. a module did not load): flag it and wake the main thread, which
  // checks the flag whenever it wakes and raises it.
  fail(e);
  Atomics.notify(ctrl, DONE);
}
