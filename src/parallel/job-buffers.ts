/**
 * The arrays of a mini-batch job (parallel/claim.ts), allocated once per engine: shared
 * (SharedArrayBuffer) for the worker pool, plain for the single-thread engine. Every view is built
 * by `jobArrays` from the same buffers, in the pool, in its workers and in the serial engine alike.
 */
import type { MoeLayout } from "../model/dims.js";
import { chunkCount } from "./chunks.js";
import type { JobArrays } from "./claim.js";
import { CTRL_WORDS } from "./protocol.js";

export interface JobBuffers {
  readonly ctrl: ArrayBufferLike;
  readonly theta: ArrayBufferLike;
  readonly X: ArrayBufferLike;
  readonly Y: ArrayBufferLike;
  readonly parts: ArrayBufferLike;
  readonly sum: ArrayBufferLike;
  readonly s: ArrayBufferLike;
  readonly params: ArrayBufferLike;
  readonly factorR: ArrayBufferLike;
  readonly factorInfo: ArrayBufferLike;
}

/** Buffers for batches of up to `capacity` rows; `workers` heartbeat words after the control words. */
export function allocJob(L: MoeLayout, statSize: number, capacity: number, workers: number, shared: boolean): JobBuffers {
  const bytes = (n: number): ArrayBufferLike => (shared ? new SharedArrayBuffer(Math.max(n, 8)) : new ArrayBuffer(Math.max(n, 8)));
  return {
    ctrl: bytes(4 * (CTRL_WORDS + workers)),
    theta: bytes(8 * L.size),
    X: bytes(8 * capacity * L.p),
    Y: bytes(8 * capacity * L.q),
    parts: bytes(8 * chunkCount(capacity) * statSize),
    sum: bytes(8 * statSize),
    s: bytes(8 * statSize),
    params: bytes(16),
    factorR: bytes(8 * (L.K + 1) * L.p * L.p),
    factorInfo: bytes(8 * (L.K + 1)),
  };
}

export function jobArrays(b: JobBuffers, L: MoeLayout, statSize: number, capacity: number): JobArrays {
  return {
    ctrl: new Int32Array(b.ctrl),
    theta: new Float64Array(b.theta, 0, L.size),
    X: new Float64Array(b.X, 0, capacity * L.p),
    Y: new Float64Array(b.Y, 0, capacity * L.q),
    parts: new Float64Array(b.parts, 0, chunkCount(capacity) * statSize),
    sum: new Float64Array(b.sum, 0, statSize),
    s: new Float64Array(b.s, 0, statSize),
    params: new Float64Array(b.params, 0, 2),
    factors: { R: new Float64Array(b.factorR, 0, (L.K + 1) * L.p * L.p), info: new Float64Array(b.factorInfo, 0, L.K + 1) },
  };
}
