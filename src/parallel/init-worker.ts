/**
 * A worker thread of a parallel initialization (init-threads.ts): for every phase message, claims
 * and runs starts or refinements until none is left. A task's exception is recorded in shared
 * memory (the task still counts as done), so the main thread raises one WorkerError.
 */
import { parentPort, workerData } from "node:worker_threads";
import { claimTask, threadState, workOnPhase, type InitPhase, type InitShared } from "./init-tasks.js";

const shared = workerData as InitShared & { readonly id: number; readonly stall?: boolean };
const t = threadState(shared);
parentPort?.on("message", (msg: { gen: number; phase: InitPhase; count: number }) => {
  if (shared.stall === true) {
    // Tests only: claim a task and never finish it (the caller must redo it, not hang).
    claimTask(t.ctrl, msg.gen, msg.count);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    return;
  }
  workOnPhase(t, msg.gen, msg.phase, msg.count, `initialization worker ${shared.id + 1}`);
});
