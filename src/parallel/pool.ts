/**
 * The data-parallel batch statistic of mini-batch ISMM (issue 12): Σ_{i<m} S̄(θ; z_i) over a batch
 * held in shared memory, computed by T threads: T − 1 workers (`worker_threads`) and the calling
 * thread. `start` hands a batch to the workers and returns at once, so the calling thread can read
 * and score the next batch meanwhile; `wait` has it help with what is left, then block on
 * `Atomics.wait` until the job is done, so `learnOne` stays a plain synchronous call. T threads in
 * all, so `threads: 2` on a 2-core machine runs two threads, not three. The decomposition (parallel/chunks.ts) is fixed: the sum is bit-identical for
 * every T, and to the single-thread `SerialBatchStats`.
 *
 * Per job, threads claim chunks (partial statistics) and then blocks of entries (the chunks added
 * in chunk order) until none is left (parallel/claim.ts); the caller helps with what is left when it
 * reaches `wait`. The M-step then runs once, on the caller's thread (mm/minibatch.ts).
 *
 * Failures never hang: a worker's exception is written to shared memory and raised here as one
 * WorkerError; a worker that stops making progress (no heartbeat for `stallMs`) is reported too.
 */
import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import { WorkerError } from "../core/errors.js";
import { moeLayout, type MoeDims, type MoeLayout } from "../model/dims.js";
import { moeSurrogate, type MoeSurrogate, type MoeWorkspace, type MstepFactors } from "../surrogate/moe.js";
import { prepareJob, registerThreadPool, type BatchStats } from "./batch-stats.js";
import { workOnJob, type JobArrays } from "./claim.js";
import { allocJob, jobArrays } from "./job-buffers.js";
import { startWorker } from "./spawn.js";
import { BEAT, blockCount, BLOCKS_DONE, ERR, ERR_BYTES, FACTORS_DONE, GEN, jobTag, readWorkerError, STOP, workerErrorLength, type WorkerInit } from "./protocol.js";

export interface StatPoolOptions {
  /** Threads T ≥ 2 in all: T − 1 workers and the caller. */
  readonly threads: number;
  /** Rows a batch may hold. */
  readonly capacity: number;
  /** A worker with no heartbeat for this long is reported as stalled. Default 60 000 ms. */
  readonly stallMs?: number;
  /** Tests only: the first worker throws on this job (fault injection). */
  readonly faultAtJob?: number;
}

export class StatPool implements BatchStats {
  readonly threads: number;
  readonly capacity: number;
  readonly layout: MoeLayout;
  readonly statSize: number;
  readonly theta: Float64Array;
  readonly s: Float64Array;
  readonly X: Float64Array;
  readonly Y: Float64Array;
  readonly factors: MstepFactors;
  private readonly ctrl: Int32Array;
  private readonly arrays: JobArrays;
  private readonly errBuf: SharedArrayBuffer;
  private readonly sur: MoeSurrogate;
  private readonly ws: MoeWorkspace;
  private readonly nBlocks: number;
  private readonly workers: Worker[] = [];
  private readonly stallMs: number;
  private rows = 0;
  private tag = 0;
  private factorize = false;
  private running = false;
  private broken: string | null = null;

  constructor(dims: MoeDims, options: StatPoolOptions) {
    const { threads, capacity } = options;
    if (!Number.isInteger(threads) || threads < 2) throw new RangeError(`StatPool threads must be an int ≥ 2 (1 runs on the calling thread: SerialBatchStats), got ${threads}`);
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`StatPool capacity must be an int ≥ 1, got ${capacity}`);
    this.threads = threads;
    this.capacity = capacity;
    this.stallMs = options.stallMs ?? 60_000;
    const L = moeLayout(dims);
    this.layout = L;
    this.sur = moeSurrogate(L);
    this.ws = this.sur.createWorkspace();
    this.statSize = this.sur.statSize;
    this.nBlocks = blockCount(threads);
    const workers = threads - 1;
    const buffers = allocJob(L, this.statSize, capacity, workers, true);
    this.errBuf = new SharedArrayBuffer(ERR_BYTES);
    this.arrays = jobArrays(buffers, L, this.statSize, capacity);
    ({ ctrl: this.ctrl, theta: this.theta, s: this.s, X: this.X, Y: this.Y, factors: this.factors } = this.arrays);
    for (let id = 0; id < workers; id++) {
      const init: WorkerInit = {
        id, threads, capacity, dims: { K: L.K, d: L.d, q: L.q, covariance: L.covariance }, buffers: buffers as WorkerInit["buffers"], err: this.errBuf,
        ...(options.faultAtJob !== undefined && id === 0 ? { faultAtJob: options.faultAtJob } : {}),
      };
      const w = startWorker("stat-worker", init);
      w.unref(); // an idle pool never keeps the process alive
      w.on("error", () => {}); // failures are reported through shared memory
      this.workers.push(w);
    }
  }

  /** Hands the job over the first m rows to the workers (see `BatchStats.start`); returns at once. */
  start(m: number, keep: number, each: number, factorize: boolean): void {
    if (this.broken !== null) throw new WorkerError(this.broken);
    if (this.running) throw new RangeError("StatPool.start: a batch is already running (call wait first)");
    if (!Number.isInteger(m) || m < 1 || m > this.capacity) throw new RangeError(`StatPool.start requires 1 ≤ m ≤ ${this.capacity}, got ${m}`);
    // No need to wait for workers still busy with the previous job: its tasks are all done (wait
    // saw to it), and the new tag keeps a late worker from claiming anything of this one.
    const gen = Atomics.load(this.ctrl, GEN) + 1;
    this.tag = jobTag(gen);
    prepareJob(this.arrays, m, keep, each, factorize, this.tag);
    this.rows = m;
    this.factorize = factorize;
    this.running = true;
    Atomics.store(this.ctrl, GEN, gen);
    Atomics.notify(this.ctrl, GEN);
  }

  /** Helps with what is left of the running job and waits for the rest. Throws WorkerError if a worker failed or stalled. */
  wait(): void {
    if (this.broken !== null) throw new WorkerError(this.broken);
    if (!this.running) throw new RangeError("StatPool.wait: no batch is running");
    let mine: string | null = null;
    workOnJob(this.sur, this.ws, this.arrays, this.rows, this.nBlocks, -1, (e) => {
      mine ??= `main thread: ${e instanceof Error ? e.message : String(e)}`;
      Atomics.store(this.ctrl, ERR, 1);
    }, this.tag);
    if (this.factorize) this.waitFor(FACTORS_DONE, this.layout.K + 1);
    else this.waitFor(BLOCKS_DONE, this.nBlocks);
    this.running = false;
    if (mine !== null) this.fail(mine);
    if (Atomics.load(this.ctrl, ERR) !== 0) this.fail(this.errorMessage());
  }

  sum(m: number, out: Float64Array): void {
    this.start(m, 0, 1, false);
    this.wait();
    out.set(this.s);
  }

  /** Blocks until ctrl[word] ≥ target, raising a worker's error or a stall. */
  private waitFor(word: number, target: number): void {
    const ctrl = this.ctrl;
    let lastBeat = this.beats();
    let lastChange = Date.now();
    for (;;) {
      const v = Atomics.load(ctrl, word);
      if (Atomics.load(ctrl, ERR) !== 0 && this.errorLength() > 0) this.fail(this.errorMessage());
      if (v >= target) return;
      Atomics.wait(ctrl, word, v, 1000);
      const beat = this.beats();
      const now = Date.now();
      if (beat !== lastBeat) {
        lastBeat = beat;
        lastChange = now;
      } else if (now - lastChange > this.stallMs && Atomics.load(ctrl, word) < target) {
        this.fail(`a worker thread made no progress for ${Math.round((now - lastChange) / 1000)} s`);
      }
    }
  }

  private errorLength(): number {
    return workerErrorLength(this.errBuf);
  }

  private beats(): number {
    let b = 0;
    for (let w = 0; w < this.threads - 1; w++) b += Atomics.load(this.ctrl, BEAT + w);
    return b;
  }

  private errorMessage(): string {
    return readWorkerError(this.errBuf);
  }

  private fail(message: string): never {
    this.broken = `parallel batch statistic failed: ${message}`;
    this.close();
    throw new WorkerError(this.broken);
  }

  /** Stops the workers (idempotent). */
  close(): void {
    this.running = false;
    if (this.workers.length === 0) return;
    Atomics.store(this.ctrl, STOP, 1);
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
    for (let w = 0; w < this.ctrl.length; w++) Atomics.notify(this.ctrl, w); // wake workers waiting on any counter
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }
}

registerThreadPool((dims, threads, capacity) => new StatPool(dims, { threads, capacity }), availableParallelism());
