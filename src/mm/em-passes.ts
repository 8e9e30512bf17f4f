/**
 * The row sums of one batch-EM iteration (mm/batch-em.ts), as passes over fixed chunks of rows:
 *
 *   E_STEP   Σ_i f(θ; z_i), and τ_i ← p(· | x_i, y_i; θ) for every row (written in place)
 *   STATS    the expert statistic of the rows under τ: s0, syy, sxy, Sxx (and Syy's cross terms)
 *   NEWTON   the gate's gradient g = (1/n) Σ (τ_i − π_i) ⊗ x_i and the upper triangle of its
 *            Hessian H = (1/n) Σ (diag π_i − π_i π_iᵀ) ⊗ x_i x_iᵀ (blocks k, l < K)
 *   GATE_Q   Σ_i Σ_k τ_ik log π_k(x_i)
 *   MM_G1    G1_k = (1/n) Σ_i u_ik x_i, u = τ − π + A Wᵀx (the Böhning step's right-hand side)
 *
 * Every pass is a sum over rows at a fixed θ, so it splits over threads: the rows are cut into
 * chunks that depend on n only (`passChunks`), each chunk's partial sum starts from zero, and the
 * partials are added in chunk order. `serialPass` does exactly that on the calling thread, and the
 * worker-thread version (parallel/em-pool.ts, Node only, registered here when it loads) computes the
 * same partials with the same code (`passRange`): the EM result has the same bits for any thread
 * count. With n ≤ the minimum chunk there is one chunk, and the sums are the plain loops over rows.
 */
import { WorkerError } from "../core/errors.js";
import { createGramEngine, type GramEngine } from "../core/wasm/gram.js";
import type { MoeLayout } from "../model/dims.js";
import { createRowWorkspace, logGate, rowNll, type RowWorkspace } from "../model/moe.js";
import { addCross } from "../surrogate/moe-covariance.js";
import { gateResiduals } from "../surrogate/gate-residual.js";
import { moeStatLayout, type MoeStatLayout } from "../surrogate/moe-stats.js";

export const E_STEP = 0;
export const STATS = 1;
export const NEWTON = 2;
export const GATE_Q = 3;
export const MM_G1 = 4;
export type PassOp = typeof E_STEP | typeof STATS | typeof NEWTON | typeof GATE_Q | typeof MM_G1;

/** Rows of the smallest chunk: up to MIN_CHUNK_ROWS rows a pass is one loop, as before passes existed. */
export const MIN_CHUNK_ROWS = 256;
/** At most this many chunks. */
export const MAX_CHUNKS = 64;
/** Doubles all chunks' partial sums may take at once (256 MB): the thread pool keeps one per chunk. */
const MAX_PARTIAL_DOUBLES = 1 << 25;

/**
 * The fixed chunking of n rows: chunk c holds rows [c·rows, min(n, (c+1)·rows)). Depends on n and
 * the model's shape only, never on the thread count.
 */
export function passChunks(L: MoeLayout, n: number): { rows: number; count: number } {
  const most = Math.max(1, Math.min(MAX_CHUNKS, Math.floor(MAX_PARTIAL_DOUBLES / maxPassSize(L))));
  const rows = Math.max(MIN_CHUNK_ROWS, Math.ceil(n / most));
  return { rows, count: Math.max(1, Math.ceil(n / rows)) };
}

/** Doubles of op's partial sum. */
export function passSize(L: MoeLayout, op: PassOp): number {
  const m = (L.K - 1) * L.p;
  switch (op) {
    case E_STEP:
    case GATE_Q:
      return 1;
    case STATS:
      return moeStatLayout(L).size;
    case NEWTON:
      return m + m * m;
    case MM_G1:
      return m;
  }
}

/** The largest partial of any pass. */
export function maxPassSize(L: MoeLayout): number {
  let size = 0;
  for (const op of [E_STEP, STATS, NEWTON, GATE_Q, MM_G1] as const) size = Math.max(size, passSize(L, op));
  return size;
}

/** Scratch of one thread running passes. */
export interface PassWorkspace {
  readonly L: MoeLayout;
  readonly S: MoeStatLayout;
  readonly row: RowWorkspace;
  readonly logPi: Float64Array;
  readonly gram: GramEngine;
}

export function createPassWorkspace(L: MoeLayout, n: number): PassWorkspace {
  return { L, S: moeStatLayout(L), row: createRowWorkspace(L), logPi: new Float64Array(L.K), gram: createGramEngine(L.p, L.K, Math.min(n, passChunks(L, n).rows)) };
}

/**
 * out[0, passSize) ← op's sum over rows [a, b) of the n rows (X: n×p design, Y: n×q, τ: n×K), from
 * zero. The 1/n weights are those of the whole data set. E_STEP also writes τ of rows [a, b).
 */
export function passRange(
  op: PassOp, w: PassWorkspace, theta: Float64Array, X: Float64Array, Y: Float64Array, tau: Float64Array, n: number, a: number, b: number, out: Float64Array,
): void {
  const { L, logPi } = w;
  const { K, p, q } = L;
  const m = (K - 1) * p;
  out.fill(0, 0, passSize(L, op));
  if (op === E_STEP) {
    let f = 0;
    for (let i = a; i < b; i++) {
      f += rowNll(L, theta, X, i * p, Y, i * q, w.row);
      for (let k = 0; k < K; k++) tau[i * K + k] = w.row.a[k];
    }
    out[0] = f;
  } else if (op === STATS) {
    const S = w.S;
    for (let i = a; i < b; i++) {
      const xo = i * p;
      for (let k = 0; k < K; k++) {
        const bt = tau[i * K + k] / n;
        if (bt === 0) continue;
        out[S.s0 + k] += bt;
        for (let j = 0; j < q; j++) {
          const yj = Y[i * q + j];
          out[S.syy + k * q + j] += bt * yj * yj;
          const o = S.sxy + (k * q + j) * p;
          for (let c = 0; c < p; c++) out[o + c] += bt * yj * X[xo + c];
        }
        if (L.full) addCross(L, S, out, k, bt, Y, i * q);
      }
    }
    // Sxx_k += Σ_i (τ_ik/n) x_i x_iᵀ: the same symRank1Blend sums, in SIMD where available (core/wasm/gram.ts).
    w.gram.accumulate(X.subarray(a * p, b * p), b - a, tau.subarray(a * K, b * K), n, out, S.Sxx, p * p);
  } else if (op === NEWTON) {
    for (let i = a; i < b; i++) {
      const xo = i * p;
      logGate(L, theta, X, xo, logPi);
      for (let k = 0; k < K - 1; k++) {
        const pk = Math.exp(logPi[k]);
        const r = (tau[i * K + k] - pk) / n;
        for (let c = 0; c < p; c++) out[k * p + c] += r * X[xo + c];
        for (let l = k; l < K - 1; l++) {
          const cw = ((k === l ? pk : 0) - pk * Math.exp(logPi[l])) / n;
          for (let c = 0; c < p; c++) {
            const ca = cw * X[xo + c];
            const row = m + (k * p + c) * m + l * p;
            // Upper triangle of H: block (k,l) with l ≥ k; inside the diagonal block only d ≥ c.
            for (let d = l === k ? c : 0; d < p; d++) out[row + d] += ca * X[xo + d];
          }
        }
      }
    }
  } else if (op === GATE_Q) {
    let Q = 0;
    for (let i = a; i < b; i++) {
      logGate(L, theta, X, i * p, logPi);
      for (let k = 0; k < K; k++) {
        const t = tau[i * K + k];
        if (t > 0) Q += t * logPi[k];
      }
    }
    out[0] = Q;
  } else {
    const u = w.row.u;
    for (let i = a; i < b; i++) {
      const xo = i * p;
      logGate(L, theta, X, xo, logPi);
      gateResiduals(K, logPi, tau, i * K, u);
      for (let k = 0; k < K - 1; k++) {
        const uk = u[k] / n;
        for (let c = 0; c < p; c++) out[k * p + c] += uk * X[xo + c];
      }
    }
  }
}

/** Passes over rows bound at creation (the worker-thread pool): `run` = `serialPass` on those rows. */
export interface PassRunner {
  readonly threads: number;
  /** The rows' τ (n×K), shared with the threads: EM's responsibilities live here. */
  readonly tau: Float64Array;
  run(op: PassOp, theta: Float64Array, out: Float64Array): void;
  /** Stops the threads (idempotent). */
  close(): void;
}

/** out ← op's sum over all n rows: the chunks' partials (`passRange`) added in chunk order. */
export function serialPass(
  op: PassOp, w: PassWorkspace, theta: Float64Array, X: Float64Array, Y: Float64Array, tau: Float64Array, n: number, out: Float64Array, scratch: Float64Array,
): void {
  const { rows, count } = passChunks(w.L, n);
  const size = passSize(w.L, op);
  passRange(op, w, theta, X, Y, tau, n, 0, Math.min(n, rows), out);
  for (let c = 1; c < count; c++) {
    passRange(op, w, theta, X, Y, tau, n, c * rows, Math.min(n, (c + 1) * rows), scratch);
    for (let i = 0; i < size; i++) out[i] += scratch[i];
  }
}

type PassPoolFactory = (L: MoeLayout, X: Float64Array, Y: Float64Array, n: number, threads: number) => PassRunner;
let passPool: PassPoolFactory | null = null;

/** Called by parallel/em-pool.ts when it loads (Node). */
export function registerPassPool(factory: PassPoolFactory): void {
  passPool = factory;
}

/**
 * Multiply-adds of one EM iteration's row passes (the expert Gram n·K·p(p+1)/2 and one Newton
 * Hessian n·(K−1)K/2·p(p+1)/2) below which EM stays on the calling thread: starting the workers
 * (module loading, WebAssembly) is not free, and each pass costs a few synchronizations. Not tuned
 * by measurement: at d = 10, K = 3 it sends ≥ 50,000 rows to the pool, where bench/threads.ts
 * measures 2 threads at 0.56× the one-thread time per iteration (100k rows, K = 4).
 */
export const MIN_THREADED_PASS_WORK = 2e7;

/**
 * A thread pool for EM's passes over these rows, or null when one thread does (threads ≤ 1, one
 * chunk, too little work, or no worker threads in this runtime). The pool copies X and Y.
 */
export function passPoolFor(L: MoeLayout, X: Float64Array, Y: Float64Array, n: number, threads: number, minWork = MIN_THREADED_PASS_WORK): PassRunner | null {
  const chunks = passChunks(L, n).count;
  if (passPool === null || !(threads > 1) || chunks < 2) return null;
  const half = (L.p * (L.p + 1)) / 2;
  if (n * half * (L.K + ((L.K - 1) * L.K) / 2) < minWork) return null;
  return passPool(L, X, Y, n, Math.min(threads, chunks));
}

/** For the pool's error path: the one error type a failed pass raises. */
export function passFailure(message: string): WorkerError {
  return new WorkerError(`parallel EM pass failed: ${message}`);
}
