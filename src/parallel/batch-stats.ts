/**
 * Where mini-batch ISMM gets its step: a `BatchStats` holds a batch's rows, θ and the statistic s,
 * and runs the job of parallel/claim.ts — the batch statistic Σ S̄(θ; z_i) in fixed chunks, blended
 * into s (s ← keep·s + each·Σ S̄), and the M-step's K + 1 Cholesky factorizations.
 * `SerialBatchStats` runs it on the calling thread (any runtime, browsers included); the
 * worker-thread pool (parallel/pool.ts, Node only) registers itself here when loaded, so that this
 * module and the learners that use it import nothing from Node. Both give the same bits.
 */
import { OptionError } from "../core/errors.js";
import { moeLayout, type MoeDims, type MoeLayout } from "../model/dims.js";
import { moeSurrogate, type MoeSurrogate, type MoeWorkspace, type MstepFactors } from "../surrogate/moe.js";
import { workOnJob, type JobArrays } from "./claim.js";
import { allocJob, jobArrays } from "./job-buffers.js";
import { blockCount, BLOCKS_DONE, CHUNKS_DONE, FACTORIZE, FACTORS_DONE, NEXT_BLOCK, NEXT_CHUNK, NEXT_FACTOR, ROWS } from "./protocol.js";

export interface BatchStats {
  readonly threads: number;
  /** Rows a batch may hold. */
  readonly capacity: number;
  readonly layout: MoeLayout;
  /** θ to score the batch at, and the statistic to blend it into: write both before `start`. */
  readonly theta: Float64Array;
  readonly s: Float64Array;
  /** capacity × p design rows (intercept first) and capacity × q targets: the batch's rows go here. */
  readonly X: Float64Array;
  readonly Y: Float64Array;
  /** The M-step's factorizations of the blended s (after a job started with `factorize`). */
  readonly factors: MstepFactors;
  /**
   * Starts the job over the first m rows: s ← keep·s + each·Σ_{i<m} S̄(θ; z_i), then (with
   * `factorize`) the factorizations. Rows, θ and s must not change until `wait` returns. With worker
   * threads the caller runs meanwhile; on one thread `start` does the work.
   */
  start(m: number, keep: number, each: number, factorize: boolean): void;
  wait(): void;
  /** Σ_{i<m} S̄(θ; z_i) into out (a job with keep = 0, each = 1; overwrites s). */
  sum(m: number, out: Float64Array): void;
  /** Releases threads (idempotent). */
  close(): void;
}

/** Resets the job counters and parameters for a job over m rows whose claim words carry `tag`. */
export function prepareJob(a: JobArrays, m: number, keep: number, each: number, factorize: boolean, tag: number): void {
  const ctrl = a.ctrl;
  a.params[0] = keep;
  a.params[1] = each;
  Atomics.store(ctrl, ROWS, m);
  Atomics.store(ctrl, CHUNKS_DONE, 0);
  Atomics.store(ctrl, BLOCKS_DONE, 0);
  Atomics.store(ctrl, FACTORS_DONE, 0);
  Atomics.store(ctrl, FACTORIZE, factorize ? 1 : 0);
  Atomics.store(ctrl, NEXT_CHUNK, tag << 16);
  Atomics.store(ctrl, NEXT_BLOCK, tag << 16);
  Atomics.store(ctrl, NEXT_FACTOR, tag << 16);
}

/** The batch job on the calling thread. */
export class SerialBatchStats implements BatchStats {
  readonly threads = 1;
  readonly layout: MoeLayout;
  readonly theta: Float64Array;
  readonly s: Float64Array;
  readonly X: Float64Array;
  readonly Y: Float64Array;
  readonly factors: MstepFactors;
  private readonly sur: MoeSurrogate;
  private readonly ws: MoeWorkspace;
  private readonly arrays: JobArrays;
  private started = false;

  constructor(dims: MoeDims, readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`batch capacity must be an int ≥ 1, got ${capacity}`);
    const L = moeLayout(dims);
    this.layout = L;
    this.sur = moeSurrogate(L);
    this.ws = this.sur.createWorkspace();
    this.arrays = jobArrays(allocJob(L, this.sur.statSize, capacity, 0, false), L, this.sur.statSize, capacity);
    ({ theta: this.theta, s: this.s, X: this.X, Y: this.Y, factors: this.factors } = this.arrays);
  }

  start(m: number, keep: number, each: number, factorize: boolean): void {
    if (!Number.isInteger(m) || m < 1 || m > this.capacity) throw new RangeError(`batch start requires 1 ≤ m ≤ ${this.capacity}, got ${m}`);
    prepareJob(this.arrays, m, keep, each, factorize, 0);
    workOnJob(this.sur, this.ws, this.arrays, m, blockCount(1), -1, (e) => {
      throw e;
    }, 0);
    this.started = true;
  }

  wait(): void {
    if (!this.started) throw new RangeError("batch wait: no batch was started");
    this.started = false;
  }

  sum(m: number, out: Float64Array): void {
    this.start(m, 0, 1, false);
    this.wait();
    out.set(this.s);
  }

  close(): void {}
}

type PoolFactory = (dims: MoeDims, threads: number, capacity: number) => BatchStats;
let poolFactory: PoolFactory | null = null;
let cores = 1;

/** Called by parallel/pool.ts when it loads (Node): enables `threads` > 1 and tells the core count. */
export function registerThreadPool(factory: PoolFactory, coreCount: number): void {
  poolFactory = factory;
  cores = Math.max(1, coreCount);
}

/** Threads for `threads: null` ("auto"): the machine's cores where threads are available, else 1. */
export function availableThreads(): number {
  return poolFactory === null ? 1 : cores;
}

/**
 * Multiply-adds of a batch's Gram updates, m·(K+1)·p(p+1)/2, below which a batch runs on the calling
 * thread whatever `threads` says: handing a job to worker threads costs thread wake-ups, which such
 * a batch does not repay. The result is the same bits.
 */
export const MIN_PARALLEL_WORK = 200_000;

/** The threads a batch of m rows actually uses: `threads`, or 1 when the batch is too small to split. */
export function threadsFor(L: MoeLayout, m: number, threads: number): number {
  return (m * (L.K + 1) * L.p * (L.p + 1)) / 2 < MIN_PARALLEL_WORK ? 1 : threads;
}

/**
 * A batch engine with `threads` threads (1: on the calling thread). Where no thread pool is
 * registered (a browser build), every thread count runs on the calling thread: the result is the
 * same bits, only slower.
 */
export function createBatchStats(dims: MoeDims, threads: number, capacity: number): BatchStats {
  if (!Number.isInteger(threads) || threads < 1) throw new OptionError(`The 'threads' option must be an int in the range [1, inf). Got ${threads} instead`);
  if (threads === 1 || poolFactory === null) return new SerialBatchStats(dims, capacity);
  return poolFactory(dims, threads, capacity);
}
