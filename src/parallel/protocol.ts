/**
 * The shared-memory protocol between the batch-statistic pool (pool.ts) and its T workers
 * (stat-worker.ts). One SharedArrayBuffer per array; the control words:
 *
 *   GEN     job generation: the main thread increments it (and notifies) to start a job
 *   ROWS    rows m of the job's batch
 *   STOP    1: workers exit
 *   ARRIVE  workers done with their chunks (a barrier between the two phases of a job)
 *   DONE    workers done with the whole job (the main thread waits for T)
 *   ERR     1 once a worker failed; its message is in the shared error bytes
 *   BEAT+w  worker w's heartbeat (a tick per row and per phase): the main thread's watchdog
 *
 * A job: every worker w computes the partial statistics of chunks c ≡ w (mod T); barrier; every
 * worker adds its range of entries over the chunks in chunk order into the shared sum. The main
 * thread is free meanwhile (it reads and scores the next batch), then waits for DONE = T.
 */
export const GEN = 0;
export const ROWS = 1;
export const STOP = 2;
export const ARRIVE = 3;
export const DONE = 4;
export const ERR = 5;
export const BEAT = 8;

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
  /** Tests only: the worker throws on this job (fault injection). */
  readonly faultAtJob?: number;
}
