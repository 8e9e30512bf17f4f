/**
 * A one-shot input (stdin, a named pipe, a device) read a second time. `fit` re-reads its data for
 * every learning pass; a one-shot input can be read only once, so `--epochs` > 1 is refused there.
 * But a data set smaller than the initialization buffer needs a second pass even with `--epochs 1`:
 * the first reading only fills the buffer (the whole data set is then fitted by EM with restarts),
 * and the learning pass follows. Re-opening stdin gave an "empty file" error, and re-opening a pipe
 * waited forever for a new writer.
 *
 * So the first reading of a one-shot input keeps its chunks while `recording()` is true — the model
 * is still filling its buffer, i.e. at most the buffer's rows plus one read-ahead chunk — and up to
 * `maxBytes`; `again()` replays them when the input ended while they were all kept. Once the
 * buffer is full (a large data set: no second pass is needed) the chunks are dropped, so memory
 * stays bounded by the buffer, as for a file.
 */
import { open } from "node:fs/promises";
import { DataError, osErrorReason } from "../index.js";

type Chunk = string | Uint8Array;

/** At most this many bytes of a one-shot input are kept for a second pass (64 MiB). */
export const REPLAY_BYTES = 64 << 20;

export interface ReplayableInput {
  /** The input, read once: its chunks are kept while `recording()` is true (and fit in `maxBytes`). */
  first(): Promise<AsyncIterable<Chunk>>;
  /** The kept input again, or null when the first reading did not keep all of it (or did not end). */
  again(): AsyncIterable<Chunk> | null;
}

async function openOnce(source: string): Promise<AsyncIterable<Chunk>> {
  if (source === "-") return process.stdin;
  try {
    const handle = await open(source, "r");
    return handle.createReadStream({ highWaterMark: 1 << 20 });
  } catch (err) {
    throw new DataError(`cannot open file: ${osErrorReason(err)}`, { file: source });
  }
}

export function replayableInput(source: string, recording: () => boolean, maxBytes = REPLAY_BYTES): ReplayableInput {
  let kept: Chunk[] | null = [];
  let bytes = 0;
  let ended = false;
  async function* read(stream: AsyncIterable<Chunk>): AsyncGenerator<Chunk> {
    for await (const chunk of stream) {
      if (kept !== null) {
        if (!recording() || bytes + chunk.length > maxBytes) kept = null; // a large data set: no second pass needed
        else {
          kept.push(chunk);
          bytes += chunk.length;
        }
      }
      yield chunk;
    }
    ended = true;
  }
  return {
    async first() {
      return read(await openOnce(source));
    },
    again() {
      if (!ended || kept === null) return null;
      const chunks = kept;
      return (async function* replay(): AsyncGenerator<Chunk> {
        yield* chunks;
      })();
    },
  };
}
