/**
 * One thread's share of a mini-batch job, the same code for the workers and for the calling thread
 * (which helps when it waits, and does everything on one thread): claim chunks until none is left;
 * once every chunk is written, claim blocks of entries (add the chunks in chunk order, blend into
 * s); once every block is done, claim the M-step's factorizations. Returns when the thread has
 * nothing more to claim (others may still be finishing theirs).
 */
import { blendBatch } from "../mm/minibatch.js";
import type { MoeSurrogate, MstepFactors } from "../surrogate/moe.js";
import { chunkCount, computeChunk, reduceChunks, reduceRange } from "./chunks.js";
import { BLOCKS_DONE, CHUNKS_DONE, claimTagged as claim, ERR, FACTORIZE, FACTORS_DONE, GEN, jobTag, NEXT_BLOCK, NEXT_CHUNK, NEXT_FACTOR, STOP } from "./protocol.js";

export interface JobArrays {
  readonly ctrl: Int32Array;
  readonly theta: Float64Array;
  readonly X: Float64Array;
  readonly Y: Float64Array;
  readonly parts: Float64Array;
  readonly sum: Float64Array;
  readonly s: Float64Array;
  /** [keep, each]: s ← keep·s + each·Σ S̄. */
  readonly params: Float64Array;
  readonly factors: MstepFactors;
}

/** Waits until ctrl[word] ≥ target, or the job `tag` is over (a newer job started, or the pool stops). */
function await_(ctrl: Int32Array, word: number, target: number, tag: number): void {
  for (;;) {
    const v = Atomics.load(ctrl, word);
    if (v >= target || Atomics.load(ctrl, STOP) !== 0 || jobTag(Atomics.load(ctrl, GEN)) !== tag) return;
    Atomics.wait(ctrl, word, v, 1000);
  }
}

/**
 * Does this thread's share of the job over m rows. `onError` records a failure (the thread still
 * counts its claimed work as done, so nobody waits for it); `beat` is the heartbeat word or −1.
 */
export function workOnJob<W>(
  sur: MoeSurrogate, ws: W, a: JobArrays, m: number, nBlocks: number, beat: number, onError: (e: unknown) => void, tag: number,
): void {
  const { ctrl } = a;
  const { p, q, K } = sur.layout;
  const size = sur.statSize;
  const nChunks = chunkCount(m);
  for (;;) {
    const c = claim(ctrl, NEXT_CHUNK, tag, nChunks);
    if (c < 0) break;
    try {
      computeChunk(sur, a.theta, a.X, p, a.Y, q, m, c, a.parts, ws as never, beat >= 0 ? ctrl : undefined, beat);
    } catch (e) {
      onError(e);
    }
    Atomics.add(ctrl, CHUNKS_DONE, 1);
    Atomics.notify(ctrl, CHUNKS_DONE);
  }
  await_(ctrl, CHUNKS_DONE, nChunks, tag);
  const keep = a.params[0];
  const each = a.params[1];
  for (;;) {
    const b = claim(ctrl, NEXT_BLOCK, tag, nBlocks);
    if (b < 0) break;
    if (Atomics.load(ctrl, ERR) === 0) {
      const [lo, hi] = reduceRange(size, nBlocks, b);
      reduceChunks(a.parts, size, nChunks, a.sum, lo, hi);
      blendBatch(a.s, a.sum, lo, hi, keep, each);
    }
    if (beat >= 0) Atomics.add(ctrl, beat, 1);
    Atomics.add(ctrl, BLOCKS_DONE, 1);
    Atomics.notify(ctrl, BLOCKS_DONE);
  }
  if (Atomics.load(ctrl, FACTORIZE) === 0) return;
  await_(ctrl, BLOCKS_DONE, nBlocks, tag);
  for (;;) {
    const t = claim(ctrl, NEXT_FACTOR, tag, K + 1);
    if (t < 0) break;
    if (Atomics.load(ctrl, ERR) === 0) {
      try {
        sur.factorTask(a.s, t, a.factors);
      } catch (e) {
        onError(e);
      }
    }
    if (beat >= 0) Atomics.add(ctrl, beat, 1);
    Atomics.add(ctrl, FACTORS_DONE, 1);
    Atomics.notify(ctrl, FACTORS_DONE);
  }
}
