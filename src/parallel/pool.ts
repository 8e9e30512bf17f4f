/**
 * The data-parallel batch statistic of mini-batch ISMM (issue 12): Σ_{i<m} S̄(θ; z_i) over a batch
 * held in shared memory, computed by T worker threads (`worker_threads`). `start` hands a batch to
 * the workers and returns at once, so the calling thread can read and score the next batch
 * meanwhile; `wait` blocks on `Atomics.wait` until the sum is ready, so `learnOne` stays a plain
 * synchronous call. The decomposition (parallel/chunks.ts) is fixed: the sum is bit-identical for
 * every T, and to the single-thread `SerialBatchStats`.
 *
 * Per job: every worker computes its chunks' partial statistics; barrier; every worker adds its
 * range of entries over the chunks in chunk order. The M-step then runs once, on the caller's
 * thread (mm/minibatch.ts).
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
import { moeStatLayout } from "../surrogate/moe-stats.js";
import { registerThreadPool, type BatchStats } from "./batch-stats.js";
import { chunkCount } from "./chunks.js";
import { ARRIVE, BEAT, DONE, ERR, ERR_BYTES, GEN, ROWS, STOP, type WorkerInit } from "./protocol.js";

export interface StatPoolOptions {
  /** Worker threads T ≥ 1. */
  readonly threads: number;
  /** Rows a batch may hold. */
  readonly capacity: number;
  /** A worker with no heartbeat for this long is reported as stalled. Default 60 000 ms. */
  readonly stallMs?: number;
  /** Tests only: the first worker throws on this job (fault injection). */
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
  readonly statSize: number;
  /** θ the batch is scored at: write it before `start` (not while a job runs). */
  readonly theta: Float64Array;
  /** Batch design rows (capacity × p, intercept first) and targets (capacity × q). */
  readonly X: Float64Array;
  readonly Y: Float64Array;
  private readonly ctrl: Int32Array;
  private readonly out: Float64Array;
  private readonly errBuf: SharedArrayBuffer;
  private readonly workers: Worker[] = [];
  private readonly stallMs: number;
  private running = false;
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
    this.statSize = moeStatLayout(L).size;
    const f64 = (n: number): SharedArrayBuffer => new SharedArrayBuffer(8 * Math.max(n, 1));
    const buffers = {
      ctrl: new SharedArrayBuffer(4 * (BEAT + threads)),
      theta: f64(L.size),
      X: f64(capacity * L.p),
      Y: f64(capacity * L.q),
      parts: f64(chunkCount(capacity) * this.statSize),
      sum: f64(this.statSize),
      err: new SharedArrayBuffer(ERR_BYTES),
    };
    this.errBuf = buffers.err;
    this.ctrl = new Int32Array(buffers.ctrl);
    this.theta = new Float64Array(buffers.theta, 0, L.size);
    this.X = new Float64Array(buffers.X, 0, capacity * L.p);
    this.Y = new Float64Array(buffers.Y, 0, capacity * L.q);
    this.out = new Float64Array(buffers.sum, 0, this.statSize);
    for (let id = 0; id < threads; id++) {
      const init: WorkerInit = {
        id, threads, dims: { K: L.K, d: L.d, q: L.q }, ...buffers,
        ...(options.faultAtJob !== undefined && id === 0 ? { faultAtJob: options.faultAtJob } : {}),
      };
      const w = startWorker(init);
      w.unref(); // an idle pool never keeps the process alive
      w.on("error", () => {}); // failures are reported through shared memory
      this.workers.push(w);
    }
  }

  /** Hands the first m rows of X, Y at this.theta to the workers; returns at once. */
  start(m: number): void {
    if (this.broken !== null) throw new WorkerError(this.broken);
    if (this.running) throw new RangeError("StatPool.start: a batch is already running (call wait first)");
    if (!Number.isInteger(m) || m < 1 || m > this.capacity) throw new RangeError(`StatPool.start requires 1 ≤ m ≤ ${this.capacity}, got ${m}`);
    const ctrl = this.ctrl;
    Atomics.store(ctrl, ROWS, m);
    Atomics.store(ctrl, ARRIVE, 0);
    Atomics.store(ctrl, DONE, 0);
    this.running = true;
    Atomics.add(ctrl, GEN, 1);
    Atomics.notify(ctrl, GEN);
  }

  /** Waits for the running batch: Σ S̄ into `out`. Throws WorkerError if a worker failed or stalled. */
  wait(out: Float64Array): void {
    if (this.broken !== null) throw new WorkerError(this.broken);
    if (!this.running) throw new RangeError("StatPool.wait: no batch is running");
    const ctrl = this.ctrl;
    const T = this.threads;
    let lastBeat = this.beats();
    let lastChange = Date.now();
    for (;;) {
      const done = Atomics.load(ctrl, DONE);
      if (Atomics.load(ctrl, ERR) !== 0) this.fail(this.errorMessage());
      if (done >= T) break;
      Atomics.wait(ctrl, DONE, done, 1000);
      const beat = this.beats();
      const now = Date.now();
      if (beat !== lastBeat) {
        lastBeat = beat;
        lastChange = now;
      } else if (now - lastChange > this.stallMs && Atomics.load(ctrl, DONE) < T) {
        this.fail(`a worker thread made no progress for ${Math.round((now - lastChange) / 1000)} s (${Atomics.load(ctrl, DONE)} of ${T} finished)`);
      }
    }
    this.running = false;
    out.set(this.out);
  }

  /** `start` then `wait`. */
  sum(m: number, out: Float64Array): void {
    this.start(m);
    this.wait(out);
  }

  private beats(): number {
    let b = 0;
    for (let w = 0; w < this.threads; w++) b += Atomics.load(this.ctrl, BEAT + w);
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
    this.running = false;
    if (this.workers.length === 0) return;
    Atomics.store(this.ctrl, STOP, 1);
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
    Atomics.notify(this.ctrl, ARRIVE);
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }
}

registerThreadPool((dims, threads, capacity) => new StatPool(dims, { threads, capacity }), availableParallelism());
