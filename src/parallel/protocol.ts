/**
 * The shared-memory protocol between the batch-statistic pool (pool.ts) and its worker threads
 * (stat-worker.ts). One SharedArrayBuffer per array; the control words:
 *
 *   GEN          job generation: the main thread increments it (and notifies) to start a job
 *   ROWS         rows m of the job's batch
 *   STOP         1: workers exit
 *   NEXT_CHUNK   the next chunk to claim (Atomics.add): work goes to whichever thread is free
 *   CHUNKS_DONE  chunks whose partial statistic is written
 *   NEXT_BLOCK   the next block of statistic entries to reduce (after every chunk is done)
 *   BLOCKS_DONE  blocks reduced: the job's sum is ready when it reaches the block count
 *   IDLE         workers that finished the job (the next job starts when all T are idle)
 *   ERR          1 once a thread failed; the message is in the shared error bytes
 *   BEAT+w       worker w's heartbeat (a tick per row and per block): the main thread's watchdog
 *
 * Who computes a chunk or a block never matters: a chunk is always summed in row order and a
 * block always adds the chunks in chunk order, so the sum has the same bits for any thread count.
 */
export const GEN = 0;
export const ROWS = 1;
export const STOP = 2;
export const NEXT_CHUNK = 3;
export const CHUNKS_DONE = 4;
export const NEXT_BLOCK = 5;
export const BLOCKS_DONE = 6;
export const IDLE = 7;
export const ERR = 8;
export const BEAT = 12;

/** Bytes of the error message buffer. */
export const ERR_BYTES = 2048;

/** Blocks the statistic's entries are reduced in (more blocks than threads: load balance). */
export function blockCount(threads: number): number {
  return 4 * (threads + 1);
}

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
  /** Tests only: the worker fails at the start of this job (fault injection). */
  readonly faultAtJob?: number;
}
