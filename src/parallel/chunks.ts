/**
 * The fixed decomposition of a mini-batch statistic that makes it independent of the thread count
 * (issue 12): the m rows of a batch are cut into chunks of CHUNK_ROWS rows; chunk c's partial sum
 * Σ_{i∈c} S̄(θ; z_i) is computed by whichever thread owns it (c mod T), always in row order, and the
 * partials are added in chunk order 0, 1, 2, … entry by entry (a thread owns a contiguous range of
 * entries). Every floating-point operation, and its order, is the same for any T: bit-identical.
 */
import type { Surrogate } from "../surrogate/types.js";

/** Rows per chunk. Part of the definition of the result: changing it changes the last bits. */
export const CHUNK_ROWS = 16;

/** Chunks of a batch of m rows. */
export function chunkCount(m: number): number {
  return Math.ceil(m / CHUNK_ROWS);
}

/**
 * Partial statistic of chunk c of an m-row batch into parts[c·statSize …] (overwritten), rows of the
 * flat design X (stride p) and targets Y (stride q) scored at θ. Returns Σ f(θ; z_i) over the chunk.
 */
export function computeChunk<W>(
  sur: Surrogate<W>, theta: Float64Array, X: Float64Array, p: number, Y: Float64Array, q: number,
  m: number, c: number, parts: Float64Array, ws: W, beat?: Int32Array, beatIndex = 0,
): number {
  const size = sur.statSize;
  const out = parts.subarray(c * size, (c + 1) * size);
  out.fill(0);
  const to = Math.min(m, (c + 1) * CHUNK_ROWS);
  let f = 0;
  for (let i = c * CHUNK_ROWS; i < to; i++) {
    f += sur.accumulate(out, 1, 1, theta, X, i * p, Y, i * q, ws);
    if (beat !== undefined) Atomics.add(beat, beatIndex, 1);
  }
  return f;
}

/** sum[i] = Σ_{c<nChunks} parts[c·size + i] for i ∈ [lo, hi), added in chunk order. */
export function reduceChunks(parts: Float64Array, size: number, nChunks: number, sum: Float64Array, lo: number, hi: number): void {
  for (let i = lo; i < hi; i++) sum[i] = parts[i];
  for (let c = 1; c < nChunks; c++) {
    const o = c * size;
    for (let i = lo; i < hi; i++) sum[i] += parts[o + i];
  }
}

/** Thread t's range [lo, hi) of the statistic's entries when T threads reduce it. */
export function reduceRange(size: number, T: number, t: number): [number, number] {
  const per = Math.ceil(size / T);
  return [Math.min(size, t * per), Math.min(size, (t + 1) * per)];
}
