/**
 * The data-parallel batch statistic of mini-batch ISMM (issue 12): Σ_{i<m} S̄(θ; z_i) over a batch
 * held in shared memory, computed by the calling thread and T − 1 worker threads
 * (`worker_threads`), synchronously: the caller blocks on `Atomics.wait` while the workers run,
 * so `learnOne` stays a plain synchronous call. The decomposition (parallel/chunks.ts) is fixed,
 * so the sum is bit-identical for every T, including T = 1, which runs without workers.
 *
 * Per batch: phase 1, every thread computes its chunks' partial statistics; phase 2, every thread
 * adds its range of entries over the chunks in chunk order. The M-step then runs once, on the
 * caller's thread (mm/minibatch.ts).
 *
 * Failures never hang: a worker's exception is written to shared memory and raised here as one
 * WorkerError; a worker that stops making progress (no heartbeat for `stallMs`) is reported too.
 */
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { WorkerError } from "../core/errors.js";
import { moeLayout, type MoeDims, type MoeLayout } from "../model/dims.js";
import { moeSurrogate, type MoeSurrogate, type MoeWorkspace } from "../surrogate/moe.js";
import { registerThreadPool, type BatchStats } from "./batch-stats.js";
import { chunkCount, computeChunk, reduceChunks, reduceRange } from "./chunks.js";
import { BEAT, DONE, ERR, ERR_BYTES, GEN, PHASE, PHASE_CHUNKS, PHASE_REDUCE, PHASE_STOP, ROWS, type WorkerInit } from "./protocol.js";

export interface StatPoolOptions {
  /** Threads T ≥ 1 (the caller's + T − 1 workers). */
  readonly threads: number;
  /** Rows a batch may hold. */
  readonly capacity: number;
  /** A worker with no heartbeat for this long is reported as stalled. Default 60 000 ms. */
  readonly stallMs?: number;
  /** Tests only: worker 1 throws on this job (fault injection). */
  readonly faultAtJob?: number;
}

/**
 * Starts the worker script next to this module. Compiled (dist/), that is stat-worker.js. Run from
 * source under tsx (tests, scripts), the worker loads stat-worker.ts through tsx's synchronous
 * CommonJS hook instead of inheriting tsx's ESM loader, whose hooks thread cannot serve a worker
 * while the main thread blocks in Atomics.wait (measured: the worker never starts).
 */
function startWorker(workerData: WorkerInit): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./stat-worker.js", import.meta.url), { workerData });
  const req = createRequire(import.meta.url);
  const code = `require(${JSON.stringify(req.resolve("tsx/cjs"))}); require(${JSON.stringify(fileURLToPath(new URL("./stat-worker.ts", import.meta.url)))});`;
  return new Worker(code, { eval: true, workerData, execArgv: [] });
}

export class StatPool implements BatchStats {
  readonly threads: number;
  readonly capacity: number;
  readonly layout: MoeLayout;
  /** θ the batch is scored at: write it before `sum`. */
  readonly theta: Float64Array;
  /** Batch design rows (capacity × p, intercept first) and targets (capacity × q): write rows here. */
  readonly X: Float64Array;
  readonly Y: Float64Array;
  private readonly ctrl: Int32Array;
  private readonly parts: Float64Array;
  private readonly out: Float64Array;
  private readonly errBuf: SharedArrayBuffer;
  private readonly sur: MoeSurrogate;
  private readonly ws: MoeWorkspace;
  private readonly workers: Worker[] = [];
  private readonly stallMs: number;
  private broken: string | null = null;

  constructor(dims: MoeDims, options: StatPoolOptions) {
    const { threads, capacity } = options;
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`StatPool threads must be an int ≥ 1, got ${threads}`);
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`StatPool capacity must be an int ≥ 1, got ${capacity}`);
    this.threads = threads;
    this.capacity = capacity;
    this.stallMs = options.stallMs ?? 60_000;
    const L = moeLayout(dims);
    this.layout = L;
    this.sur = moeSurrogate(L);
    this.ws = this.sur.createWorkspace();
    const f64 = (n: number): SharedArrayBuffer => new SharedArrayBuffer(8 * Math.max(n, 1));
    const buffers = {
      ctrl: new SharedArrayBuffer(4 * (BEAT + threads)),
      theta: f64(L.size),
      X: f64(capacity * L.p),
      Y: f64(capacity * L.q),
      parts: f64(chunkCount(capacity) * this.sur.statSize),
      sum: f64(this.sur.statSize),
      err: new SharedArrayBuffer(ERR_BYTES),
    };
    this.errBuf = buffers.err;
    this.ctrl = new Int32Array(buffers.ctrl);
    this.theta = new Float64Array(buffers.theta, 0, L.size);
    this.X = new Float64Array(buffers.X, 0, capacity * L.p);
    this.Y = new Float64Array(buffers.Y, 0, capacity * L.q);
    this.parts = new Float64Array(buffers.parts);
    this.out = new Float64Array(buffers.sum, 0, this.sur.statSize);
    for (let id = 1; id < threads; id++) {
      const init: WorkerInit = {
        id, threads, dims: { K: L.K, d: L.d, q: L.q }, ...buffers,
        ...(options.faultAtJob !== undefined && id === 1 ? { faultAtJob: options.faultAtJob } : {}),
      };
      const w = startWorker(init);
      w.unref(); // an idle pool never keeps the process alive
      w.on("error", () => {}); // failures are reported through shared memory
      this.workers.push(w);
    }
  }

  /** Statistic length. */
  get statSize(): number {
    return this.sur.statSize;
  }

  /**
   * Σ_{i<m} S̄(θ; z_i) over the first m rows of X, Y at this.theta, into `out` (length statSize).
   * Throws WorkerError if a worker failed (the pool is then unusable).
   */
  sum(m: number, out: Float64Array): void {
    if (this.broken !== null) throw new WorkerError(this.broken);
    if (!Number.isInteger(m) || m < 1 || m > this.capacity) throw new RangeError(`StatPool.sum requires 1 ≤ m ≤ ${this.capacity}, got ${m}`);
    const { p, q } = this.layout;
    const T = this.threads;
    const nChunks = chunkCount(m);
    Atomics.store(this.ctrl, ROWS, m);
    this.phase(PHASE_CHUNKS, () => {
      for (let c = 0; c < nChunks; c += T) computeChunk(this.sur, this.theta, this.X, p, this.Y, q, m, c, this.parts, this.ws);
    });
    this.phase(PHASE_REDUCE, () => {
      const [lo, hi] = reduceRange(this.statSize, T, 0);
      reduceChunks(this.parts, this.statSize, nChunks, this.out, lo, hi);
    });
    out.set(this.out);
  }

  /** Starts a phase on the workers, does the caller's share, and waits for all of them. */
  private phase(phase: number, own: () => void): void {
    const ctrl = this.ctrl;
    const nWorkers = this.threads - 1;
    if (nWorkers > 0) {
      Atomics.store(ctrl, DONE, 0);
      Atomics.store(ctrl, PHASE, phase);
      Atomics.add(ctrl, GEN, 1);
      Atomics.notify(ctrl, GEN);
    }
    own();
    if (nWorkers === 0) return;
    let lastBeat = this.beats();
    let lastChange = Date.now();
    for (;;) {
      const done = Atomics.load(ctrl, DONE);
      if (Atomics.load(ctrl, ERR) !== 0) this.fail(this.errorMessage());
      if (done >= nWorkers) return;
      Atomics.wait(ctrl, DONE, done, 1000);
      const beat = this.beats();
      const now = Date.now();
      if (beat !== lastBeat) {
        lastBeat = beat;
        lastChange = now;
      } else if (now - lastChange > this.stallMs && Atomics.load(ctrl, DONE) < nWorkers) {
        this.fail(`a worker thread made no progress for ${Math.round((now - lastChange) / 1000)} s (${Atomics.load(ctrl, DONE)} of ${nWorkers} finished)`);
      }
    }
  }

  private beats(): number {
    let b = 0;
    for (let w = 1; w < this.threads; w++) b += Atomics.load(this.ctrl, BEAT + w);
    return b;
  }

  private errorMessage(): string {
    const n = new DataView(this.errBuf).getInt32(0, true);
    // Copy out of shared memory: TextDecoder does not read SharedArrayBuffer views.
    const bytes = new Uint8Array(n);
    bytes.set(new Uint8Array(this.errBuf, 4, n));
    return new TextDecoder().decode(bytes) || "a worker thread failed";
  }

  private fail(message: string): never {
    this.broken = `parallel batch statistic failed: ${message}`;
    this.close();
    throw new WorkerError(this.broken);
  }

  /** Stops the workers (idempotent). */
  close(): void {
    if (this.workers.length === 0) return;
    Atomics.store(this.ctrl, PHASE, PHASE_STOP);
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }
}

registerThreadPool((dims, threads, capacity) => new StatPool(dims, { threads, capacity }), availableParallelism());
