/**
 * The shared-memory protocol between the batch-statistic pool (pool.ts) and its worker threads
 * (stat-worker.ts, T − 1 of them beside the calling thread). One SharedArrayBuffer per array; the
 * control words:
 *
 *   GEN          job generation: the main thread increments it (and notifies) to start a job
 *   ROWS         rows m of the job's batch
 *   STOP         1: workers exit
 *   NEXT_CHUNK   the next chunk to claim: work goes to whichever thread is free. A claim word holds
 *                the job's tag (generation mod 2^15) above its 16 low bits (the next index), and a
 *                claim is a compare-and-swap that checks the tag: a worker that wakes after its job
 *                ended can never take work of the next one, so no job waits for a late worker.
 *   CHUNKS_DONE  chunks whose partial statistic is written
 *   NEXT_BLOCK   the next block of statistic entries to reduce (after every chunk is done)
 *   BLOCKS_DONE  blocks reduced: the job's sum is ready when it reaches the block count
 *   FACTORIZE    1: the job ends with the M-step's K + 1 Cholesky factorizations of the blended s
 *   NEXT_FACTOR  the next factorization to claim;  FACTORS_DONE  factorizations written
 *   ERR          1 once a thread failed; the message is in the shared error bytes
 *   BEAT+w       worker w's heartbeat (a tick per row and per block): the main thread's watchdog
 *
 * A job: chunks (partial statistics) → blocks (the chunks added in chunk order, then blended into
 * s: s ← keep·s + each·sum) → factorizations (surrogate `factorTask`). Who computes a chunk, a block
 * or a factor never matters: each is always computed by the same code from the same inputs, so the
 * result has the same bits for any thread count.
 */
import type { JobBuffers } from "./job-buffers.js";

export const GEN = 0;
export const ROWS = 1;
export const STOP = 2;
export const NEXT_CHUNK = 3;
export const CHUNKS_DONE = 4;
export const NEXT_BLOCK = 5;
export const BLOCKS_DONE = 6;
export const ERR = 8;
export const FACTORIZE = 9;
export const NEXT_FACTOR = 10;
export const FACTORS_DONE = 11;
export const BEAT = 12;
/** Control words before the per-worker heartbeats. */
export const CTRL_WORDS = BEAT;

/** The tag of job generation `gen` in the claim words. */
export function jobTag(gen: number): number {
  return gen & 0x7fff;
}

/** Bytes of the error message buffer. */
export const ERR_BYTES = 2048;

/**
 * Claims the next index below `limit` from ctrl[word], which holds a job tag above its 16 low bits
 * (the next index): a compare-and-swap that checks the tag, so a thread that wakes after its job
 * ended never takes work of a later one. Returns −1 when none is left or the job is over. Shared by
 * the mini-batch pool (claim.ts), batch EM's passes (em-pool.ts) and the initialization (init-tasks.ts).
 */
export function claimTagged(ctrl: Int32Array, word: number, tag: number, limit: number): number {
  for (;;) {
    const v = Atomics.load(ctrl, word);
    if (v >>> 16 !== tag) return -1;
    const i = v & 0xffff;
    if (i >= limit) return -1;
    if (Atomics.compareExchange(ctrl, word, v, v + 1) === v) return i;
  }
}

/**
 * Records worker `id`'s exception in the shared error bytes (a length, then UTF-8): the first
 * failure sets ctrl[word] = 1 and writes its message; later ones are dropped. Shared by the
 * workers of the batch-statistic pool and of batch EM's pass pool.
 */
export function writeWorkerError(ctrl: Int32Array, word: number, err: SharedArrayBuffer, id: number, e: unknown): void {
  const msg = `worker ${id + 1}: ${e instanceof Error ? e.message : String(e)}`;
  const bytes = new TextEncoder().encode(msg).subarray(0, ERR_BYTES - 4);
  if (Atomics.compareExchange(ctrl, word, 0, 1) === 0) {
    new Uint8Array(err).set(bytes, 4);
    new DataView(err).setInt32(0, bytes.length, true);
  }
}

/** Bytes of the message `writeWorkerError` wrote so far (0 until it is written). */
export function workerErrorLength(err: SharedArrayBuffer): number {
  return new DataView(err).getInt32(0, true);
}

/** The message `writeWorkerError` wrote, or "a worker thread failed" when there is none yet. */
export function readWorkerError(err: SharedArrayBuffer): string {
  const n = workerErrorLength(err);
  // Copy out of shared memory: TextDecoder does not read SharedArrayBuffer views.
  const bytes = new Uint8Array(n);
  bytes.set(new Uint8Array(err, 4, n));
  return new TextDecoder().decode(bytes) || "a worker thread failed";
}

/** Blocks the statistic's entries are reduced in (more blocks than threads: load balance). */
export function blockCount(threads: number): number {
  return 4 * (threads + 1);
}

/** What a worker receives at start (workerData): the shared job buffers and the model's shape. */
export interface WorkerInit {
  readonly id: number;
  readonly threads: number;
  readonly capacity: number;
  readonly dims: { readonly K: number; readonly d: number; readonly q: number; readonly covariance: "diagonal" | "full" };
  readonly buffers: JobBuffers;
  readonly err: SharedArrayBuffer;
  /** Tests only: the worker fails at the start of this job (fault injection). */
  readonly faultAtJob?: number;
}
