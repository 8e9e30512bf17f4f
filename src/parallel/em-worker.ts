/**
 * A worker thread of batch EM's pass pool (em-pool.ts): waits for a pass, claims and computes
 * chunks until none is left, and waits for the next. An exception is written to the shared error
 * bytes while its chunk still counts as done, so the calling thread raises one WorkerError instead
 * of waiting forever.
 */
import { workerData } from "node:worker_threads";
import { moeLayout } from "../model/dims.js";
import { createPassWorkspace, type PassOp } from "../mm/em-passes.js";
import { BEAT, DONE, emArrays, ERR, GEN, OP, STOP, workOnPass, type EmWorkerInit } from "./em-pool.js";
import { writeWorkerError } from "./protocol.js";

const init = workerData as EmWorkerInit;
const ctrl = new Int32Array(init.buffers.ctrl);

function fail(e: unknown): void {
  writeWorkerError(ctrl, ERR, init.buffers.err, init.id, e);
}

function run(): void {
  const L = moeLayout(init.dims);
  const ws = createPassWorkspace(L, init.n);
  const arrays = emArrays(init.buffers, L);
  let seen = 0;
  let passes = 0;
  for (;;) {
    Atomics.wait(ctrl, GEN, seen);
    if (Atomics.load(ctrl, STOP) !== 0) return;
    seen = Atomics.load(ctrl, GEN);
    passes++;
    const fault = init.faultAtPass === passes ? (): void => { throw new Error("injected fault (test)"); } : undefined;
    workOnPass(ws, arrays, init.n, Atomics.load(ctrl, OP) as PassOp, seen & 0x7fff, BEAT + init.id, fail, fault);
  }
}

try {
  run();
} catch (e) {
  // Setting up failed (e.g. a module did not load): flag it; the calling thread does the chunks
  // and raises the flag when the pass ends.
  fail(e);
  Atomics.notify(ctrl, DONE);
}
