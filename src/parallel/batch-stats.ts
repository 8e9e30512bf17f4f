/**
 * Where mini-batch ISMM gets its batch statistic Σ S̄(θ; z_i): a `BatchStats` holds the batch's rows
 * and θ and sums them in the fixed chunk order of parallel/chunks.ts. `SerialBatchStats` does it
 * on the calling thread (any runtime, browsers included); the worker-thread pool (parallel/pool.ts,
 * Node only) registers itself here when loaded, so that this module and the learners that use it
 * import nothing from Node. Both give the same bits for the same rows.
 */
import { OptionError } from "../core/errors.js";
import { moeLayout, type MoeDims, type MoeLayout } from "../model/dims.js";
import { moeSurrogate, type MoeSurrogate, type MoeWorkspace } from "../surrogate/moe.js";
import { chunkCount, computeChunk, reduceChunks } from "./chunks.js";

export interface BatchStats {
  readonly threads: number;
  /** Rows a batch may hold. */
  readonly capacity: number;
  readonly layout: MoeLayout;
  /** θ to score the batch at (write before `sum`). */
  readonly theta: Float64Array;
  /** capacity × p design rows (intercept first) and capacity × q targets: the batch's rows go here. */
  readonly X: Float64Array;
  readonly Y: Float64Array;
  /** Σ_{i<m} S̄(θ; z_i) into out (length = the MoE statistic's size). */
  sum(m: number, out: Float64Array): void;
  /**
   * Starts the sum over the first m rows of X, Y at θ; the rows and θ must not change until `wait`
   * writes it into out. With worker threads the caller runs meanwhile; on one thread `start`
   * computes it.
   */
  start(m: number): void;
  wait(out: Float64Array): void;
  /** Releases threads (idempotent). */
  close(): void;
}

/** The batch statistic on the calling thread. */
export class SerialBatchStats implements BatchStats {
  readonly threads = 1;
  readonly layout: MoeLayout;
  readonly theta: Float64Array;
  readonly X: Float64Array;
  readonly Y: Float64Array;
  private readonly sur: MoeSurrogate;
  private readonly ws: MoeWorkspace;
  private readonly parts: Float64Array;
  private readonly result: Float64Array;
  private started = false;

  constructor(dims: MoeDims, readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`batch capacity must be an int ≥ 1, got ${capacity}`);
    const L = moeLayout(dims);
    this.layout = L;
    this.sur = moeSurrogate(L);
    this.ws = this.sur.createWorkspace();
    this.theta = new Float64Array(L.size);
    this.X = new Float64Array(capacity * L.p);
    this.Y = new Float64Array(capacity * L.q);
    this.parts = new Float64Array(chunkCount(capacity) * this.sur.statSize);
    this.result = new Float64Array(this.sur.statSize);
  }

  sum(m: number, out: Float64Array): void {
    if (!Number.isInteger(m) || m < 1 || m > this.capacity) throw new RangeError(`batch sum requires 1 ≤ m ≤ ${this.capacity}, got ${m}`);
    const { p, q } = this.layout;
    const nChunks = chunkCount(m);
    for (let c = 0; c < nChunks; c++) computeChunk(this.sur, this.theta, this.X, p, this.Y, q, m, c, this.parts, this.ws);
    reduceChunks(this.parts, this.sur.statSize, nChunks, out, 0, this.sur.statSize);
  }

  start(m: number): void {
    this.sum(m, this.result);
    this.started = true;
  }

  wait(out: Float64Array): void {
    if (!this.started) throw new RangeError("batch wait: no batch was started");
    this.started = false;
    out.set(this.result);
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
 * A batch statistic engine with `threads` threads (1: on the calling thread). Where no thread pool
 * is registered (a browser build), every thread count runs on the calling thread: the result is
 * the same bits, only slower.
 */
export function createBatchStats(dims: MoeDims, threads: number, capacity: number): BatchStats {
  if (!Number.isInteger(threads) || threads < 1) throw new OptionError(`The 'threads' option must be an int in the range [1, inf). Got ${threads} instead`);
  if (threads === 1 || poolFactory === null) return new SerialBatchStats(dims, capacity);
  return poolFactory(dims, threads, capacity);
}
