/**
 * Batch EM's row passes (mm/em-passes.ts) on T threads: T − 1 workers (em-worker.ts) and the
 * calling thread. The rows, τ, θ and one partial sum per chunk live in shared memory; a pass
 * writes θ and the pass's code, bumps the generation, claims chunks itself like any worker, waits
 * until every chunk is done and adds the partials in chunk order: the bits of `serialPass`, for any T.
 *
 * Control words: GEN (the pass's generation; workers wait on it), OP (the pass), STOP, NEXT (the
 * next chunk, claimed by compare-and-swap under the pass's tag, as parallel/claim.ts does, so a late
 * worker never takes a chunk of a later pass), DONE (chunks written), ERR (a thread failed: the
 * message is in the error bytes) and one heartbeat per worker.
 *
 * Failures never hang: a worker's exception marks its chunk done and raises one WorkerError here; a
 * worker with no heartbeat while chunks are outstanding for `stallMs` is reported too; a worker that
 * cannot be started leaves its chunks to the others and the caller (same result).
 */
import type { Worker } from "node:worker_threads";
import type { MoeLayout } from "../model/dims.js";
import { createPassWorkspace, maxPassSize, passChunks, passFailure, passRange, passSize, registerPassPool, STATS, type PassOp, type PassRunner, type PassWorkspace } from "../mm/em-passes.js";
import { claimTagged, ERR_BYTES, readWorkerError } from "./protocol.js";
import { startWorker } from "./spawn.js";

export const GEN = 0;
export const OP = 1;
export const STOP = 2;
export const NEXT = 3;
export const DONE = 4;
export const ERR = 5;
export const BEAT = 6;

/** What an EM worker receives (workerData). */
export interface EmWorkerInit {
  readonly id: number;
  readonly n: number;
  readonly dims: { readonly K: number; readonly d: number; readonly q: number; readonly covariance: "diagonal" | "full" };
  readonly buffers: EmBuffers;
  /** Tests only: this worker throws in its first chunk of pass number `faultAtPass` (1-based). */
  readonly faultAtPass?: number;
}

export interface EmBuffers {
  readonly ctrl: SharedArrayBuffer;
  readonly theta: SharedArrayBuffer;
  readonly X: SharedArrayBuffer;
  readonly Y: SharedArrayBuffer;
  readonly tau: SharedArrayBuffer;
  readonly slots: SharedArrayBuffer;
  readonly err: SharedArrayBuffer;
}

/** The typed views of the buffers. */
export interface EmArrays {
  readonly ctrl: Int32Array;
  readonly theta: Float64Array;
  readonly X: Float64Array;
  readonly Y: Float64Array;
  readonly tau: Float64Array;
  readonly slots: Float64Array;
  /** Doubles per slot (the largest pass's partial). */
  readonly slotSize: number;
}

export function emArrays(b: EmBuffers, L: MoeLayout): EmArrays {
  return {
    ctrl: new Int32Array(b.ctrl), theta: new Float64Array(b.theta), X: new Float64Array(b.X), Y: new Float64Array(b.Y),
    tau: new Float64Array(b.tau), slots: new Float64Array(b.slots), slotSize: maxPassSize(L),
  };
}

/**
 * Claims and computes chunks of the pass tagged `tag` until none is left: chunk c's partial goes to
 * slot c, then DONE is bumped (also when the chunk threw: `onError` has recorded it). `beat` is the
 * heartbeat word (−1 for the calling thread).
 */
export function workOnPass(
  w: PassWorkspace, a: EmArrays, n: number, op: PassOp, tag: number, beat: number, onError: (e: unknown) => void, fault?: () => void,
): void {
  const { rows, count } = passChunks(w.L, n);
  for (;;) {
    const c = claimTagged(a.ctrl, NEXT, tag, count);
    if (c < 0) return;
    try {
      fault?.();
      passRange(op, w, a.theta, a.X, a.Y, a.tau, n, c * rows, Math.min(n, (c + 1) * rows), a.slots.subarray(c * a.slotSize, (c + 1) * a.slotSize));
    } catch (e) {
      onError(e);
    }
    if (beat >= 0) Atomics.add(a.ctrl, beat, 1);
    Atomics.add(a.ctrl, DONE, 1);
    Atomics.notify(a.ctrl, DONE);
  }
}

export interface EmPoolOptions {
  /** A worker with no heartbeat while chunks are outstanding for this long is reported. Default 60 000 ms. */
  readonly stallMs?: number;
  /** Tests only: the first worker throws in pass number `faultAtPass`. */
  readonly faultAtPass?: number;
  /** Tests only: workers are not started (the caller computes every chunk). */
  readonly noWorkers?: boolean;
  /** Tests only: the caller claims no chunk (the workers compute every chunk). */
  readonly callerIdle?: boolean;
}

export class EmPool implements PassRunner {
  readonly threads: number;
  readonly tau: Float64Array;
  private readonly L: MoeLayout;
  private readonly n: number;
  private readonly arrays: EmArrays;
  private readonly errBuf: SharedArrayBuffer;
  private readonly ws: PassWorkspace;
  private readonly workers: Worker[] = [];
  private readonly stallMs: number;
  private readonly callerIdle: boolean;
  private broken: string | null = null;

  constructor(L: MoeLayout, X: Float64Array, Y: Float64Array, n: number, threads: number, options: EmPoolOptions = {}) {
    if (!Number.isInteger(threads) || threads < 2) throw new RangeError(`EmPool threads must be an int ≥ 2, got ${threads}`);
    if (X.length < n * L.p || Y.length < n * L.q) throw new RangeError(`EmPool needs n·p = ${n * L.p} design and n·q = ${n * L.q} target values`);
    this.L = L;
    this.n = n;
    this.threads = threads;
    this.stallMs = options.stallMs ?? 60_000;
    this.callerIdle = options.callerIdle === true && options.noWorkers !== true;
    const workers = threads - 1;
    const sab = (doubles: number): SharedArrayBuffer => new SharedArrayBuffer(8 * Math.max(1, doubles));
    const buffers: EmBuffers = {
      ctrl: new SharedArrayBuffer(4 * (BEAT + workers)), theta: sab(L.size), X: sab(n * L.p), Y: sab(n * L.q), tau: sab(n * L.K),
      slots: sab(passChunks(L, n).count * maxPassSize(L)), err: new SharedArrayBuffer(ERR_BYTES),
    };
    this.errBuf = buffers.err;
    this.arrays = emArrays(buffers, L);
    this.arrays.X.set(X.subarray(0, n * L.p));
    this.arrays.Y.set(Y.subarray(0, n * L.q));
    this.tau = this.arrays.tau.subarray(0, n * L.K);
    this.ws = createPassWorkspace(L, n);
    if (options.noWorkers === true) return;
    for (let id = 0; id < workers; id++) {
      const init: EmWorkerInit = {
        id, n, dims: { K: L.K, d: L.d, q: L.q, covariance: L.covariance }, buffers,
        ...(options.faultAtPass !== undefined && id === 0 ? { faultAtPass: options.faultAtPass } : {}),
      };
      let w: Worker;
      try {
        w = startWorker("em-worker", init);
      } catch {
        break; // no worker: the caller and the workers already started do its chunks
      }
      w.unref(); // an idle pool never keeps the process alive
      w.on("error", () => {}); // failures are reported through shared memory
      this.workers.push(w);
    }
  }

  /** out ← op's sum over the rows at θ (`serialPass`'s bits). Throws WorkerError if a thread failed or stalled. */
  run(op: PassOp, theta: Float64Array, out: Float64Array): void {
    if (this.broken !== null) throw passFailure(this.broken);
    const { ctrl, slots, slotSize } = this.arrays;
    if (op !== STATS) this.arrays.theta.set(theta); // STATS reads τ, not θ
    const gen = Atomics.load(ctrl, GEN) + 1;
    const tag = gen & 0x7fff;
    Atomics.store(ctrl, OP, op);
    Atomics.store(ctrl, DONE, 0);
    Atomics.store(ctrl, NEXT, tag << 16);
    Atomics.store(ctrl, GEN, gen);
    Atomics.notify(ctrl, GEN);
    let mine: string | null = null;
    if (!this.callerIdle) {
      workOnPass(this.ws, this.arrays, this.n, op, tag, -1, (e) => {
        mine ??= `main thread: ${e instanceof Error ? e.message : String(e)}`;
      });
    }
    const count = passChunks(this.L, this.n).count;
    this.waitDone(count);
    if (mine !== null) this.fail(mine);
    if (Atomics.load(ctrl, ERR) !== 0) this.fail(this.errorMessage());
    const size = passSize(this.L, op);
    for (let i = 0; i < size; i++) out[i] = slots[i];
    for (let c = 1; c < count; c++) {
      const o = c * slotSize;
      for (let i = 0; i < size; i++) out[i] += slots[o + i];
    }
  }

  private waitDone(count: number): void {
    const ctrl = this.arrays.ctrl;
    let lastBeat = this.beats();
    let lastChange = Date.now();
    for (;;) {
      const v = Atomics.load(ctrl, DONE);
      if (v >= count) return;
      Atomics.wait(ctrl, DONE, v, 1000);
      const beat = this.beats();
      const now = Date.now();
      if (beat !== lastBeat || Atomics.load(ctrl, DONE) !== v) {
        lastBeat = beat;
        lastChange = now;
      } else if (now - lastChange > this.stallMs) {
        this.fail(`a worker thread made no progress for ${Math.round((now - lastChange) / 1000)} s`);
      }
    }
  }

  private beats(): number {
    let b = 0;
    for (let w = 0; w < this.threads - 1; w++) b += Atomics.load(this.arrays.ctrl, BEAT + w);
    return b;
  }

  private errorMessage(): string {
    return readWorkerError(this.errBuf);
  }

  private fail(message: string): never {
    this.broken = message;
    this.close();
    throw passFailure(message);
  }

  /** Stops the workers (idempotent). */
  close(): void {
    if (this.workers.length === 0) return;
    const ctrl = this.arrays.ctrl;
    Atomics.store(ctrl, STOP, 1);
    Atomics.add(ctrl, GEN, 1);
    Atomics.notify(ctrl, GEN);
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }
}

registerPassPool((L, X, Y, n, threads) => new EmPool(L, X, Y, n, threads));
