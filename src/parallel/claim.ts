/**
 * One thread's share of a batch-statistic job, the same code for the workers and for the main
 * thread when it helps: claim chunks until none is left, wait until every chunk is written, claim
 * blocks of entries until none is left. Returns when the thread has nothing more to claim (other
 * threads may still be finishing theirs).
 */
import type { Surrogate } from "../surrogate/types.js";
import { chunkCount, computeChunk, reduceChunks, reduceRange } from "./chunks.js";
import { BLOCKS_DONE, CHUNKS_DONE, ERR, NEXT_BLOCK, NEXT_CHUNK, STOP } from "./protocol.js";

export interface JobArrays {
  readonly ctrl: Int32Array;
  readonly theta: Float64Array;
  readonly X: Float64Array;
  readonly Y: Float64Array;
  readonly parts: Float64Array;
  readonly sum: Float64Array;
}

/**
 * Does chunks then blocks of the job over m rows. `onError` records a failure (the thread still
 * counts its claimed work as done, so nobody waits for it); `beat` is the heartbeat word or -1.
 */
export function workOnJob<W>(
  sur: Surrogate<W>, ws: W, p: number, q: number, a: JobArrays, m: number, nBlocks: number, beat: number,
  onError: (e: unknown) => void,
): void {
  const { ctrl } = a;
  const nChunks = chunkCount(m);
  for (;;) {
    const c = Atomics.add(ctrl, NEXT_CHUNK, 1);
    if (c >= nChunks) break;
    try {
      computeChunk(sur, a.theta, a.X, p, a.Y, q, m, c, a.parts, ws, beat >= 0 ? ctrl : undefined, beat);
    } catch (e) {
      onError(e);
    }
    Atomics.add(ctrl, CHUNKS_DONE, 1);
    Atomics.notify(ctrl, CHUNKS_DONE);
  }
  // Every chunk must be written before any block is reduced.
  for (;;) {
    const done = Atomics.load(ctrl, CHUNKS_DONE);
    if (done >= nChunks || Atomics.load(ctrl, STOP) !== 0) break;
    Atomics.wait(ctrl, CHUNKS_DONE, done, 1000);
  }
  for (;;) {
    const b = Atomics.add(ctrl, NEXT_BLOCK, 1);
    if (b >= nBlocks) break;
    if (Atomics.load(ctrl, ERR) === 0) {
      const [lo, hi] = reduceRange(sur.statSize, nBlocks, b);
      reduceChunks(a.parts, sur.statSize, nChunks, a.sum, lo, hi);
    }
    if (beat >= 0) Atomics.add(ctrl, beat, 1);
    Atomics.add(ctrl, BLOCKS_DONE, 1);
    Atomics.notify(ctrl, BLOCKS_DONE);
  }
}
