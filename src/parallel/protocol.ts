/**
 * The shared-memory protocol between the batch-statistic pool (pool.ts) and its workers
 * (stat-worker.ts). One SharedArrayBuffer per array; the control word array:
 *
 *   GEN    job generation: the main thread increments it (and notifies) to start a phase
 *   DONE   workers that finished the current phase (each adds 1 and notifies)
 *   ROWS   rows m of the current batch
 *   PHASE  PHASE_CHUNKS (partial statistics) or PHASE_REDUCE (add the partials), or PHASE_STOP
 *   ERR    1 once a worker failed; its message is in the shared error bytes
 *   BEAT+w worker w's heartbeat (one tick per row or reduced range): the main thread's watchdog
 *
 * Thread 0 is the main thread, which takes its share too; workers are 1 … T−1.
 */
export const GEN = 0;
export const DONE = 1;
export const ROWS = 2;
export const PHASE = 3;
export const ERR = 4;
export const BEAT = 8;

export const PHASE_CHUNKS = 1;
export const PHASE_REDUCE = 2;
export const PHASE_STOP = 3;

/** Bytes of the error message buffer. */
export const ERR_BYTES = 2048;

/** What a worker receives at start (workerData): the shared arrays and the model's shape. */
export interface WorkerInit {
  readonly id: number;
  readonly threads: number;
  readonly dims: { readonly K: number; readonly d: number; readonly q: number };
  readonly ctrl: SharedArrayBuffer;
  readonly theta: SharedArrayBuffer;
  readonly X: SharedArrayBuffer;
  readonly Y: SharedArrayBuffer;
  readonly parts: SharedArrayBuffer;
  readonly sum: SharedArrayBuffer;
  readonly err: SharedArrayBuffer;
  /** Tests only: the worker throws on this job generation (fault injection). */
  readonly faultAtJob?: number;
}
