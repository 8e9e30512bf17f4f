/**
 * A worker thread of the batch-statistic pool (pool.ts): waits for a phase, does its share
 * (chunks c ≡ id mod T, or its range of entries in the reduction), reports, and waits again.
 * Any exception is written to the shared error bytes and reported, so the main thread raises it
 * as one WorkerError instead of waiting forever.
 */
import { workerData } from "node:worker_threads";
import { moeLayout } from "../model/dims.js";
import { moeSurrogate } from "../surrogate/moe.js";
import { chunkCount, computeChunk, reduceChunks, reduceRange } from "./chunks.js";
import { BEAT, DONE, ERR, ERR_BYTES, GEN, PHASE, PHASE_CHUNKS, PHASE_STOP, ROWS, type WorkerInit } from "./protocol.js";

const init = workerData as WorkerInit;
const ctrl = new Int32Array(init.ctrl);

function report(): void {
  Atomics.add(ctrl, DONE, 1);
  Atomics.notify(ctrl, DONE);
}

function fail(e: unknown): void {
  const msg = `worker ${init.id}: ${e instanceof Error ? e.message : String(e)}`;
  const bytes = new TextEncoder().encode(msg).subarray(0, ERR_BYTES - 4);
  const view = new Uint8Array(init.err);
  if (Atomics.compareExchange(ctrl, ERR, 0, 1) === 0) {
    view.set(bytes, 4);
    new DataView(init.err).setInt32(0, bytes.length, true);
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
    seen = Atomics.load(ctrl, GEN);
    const phase = Atomics.load(ctrl, PHASE);
    if (phase === PHASE_STOP) return;
    try {
      jobs++;
      if (init.faultAtJob !== undefined && jobs === init.faultAtJob) throw new Error("injected fault (test)");
      const m = Atomics.load(ctrl, ROWS);
      const nChunks = chunkCount(m);
      if (phase === PHASE_CHUNKS) {
        for (let c = init.id; c < nChunks; c += T) computeChunk(sur, theta, X, L.p, Y, L.q, m, c, parts, ws, ctrl, BEAT + init.id);
      } else {
        const [lo, hi] = reduceRange(sur.statSize, T, init.id);
        reduceChunks(parts, sur.statSize, nChunks, sum, lo, hi);
        Atomics.add(ctrl, BEAT + init.id, 1);
      }
    } catch (e) {
      fail(e);
    }
    report();
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
