/**
 * Opening the input of a table: a file (with its size when it is a regular file, for progress),
 * stdin (`-`), or a stream handed in. Open failures are located `DataError`s.
 */

import { open } from "node:fs/promises";
import { DataError, osErrorReason } from "../core/errors.js";
import type { Chunk } from "./lines.js";

/** Read size for files: large chunks keep the per-chunk overhead negligible. */
const READ_CHUNK_BYTES = 1 << 20;
/** How stdin is named in messages. */
export const STDIN_LABEL = "<stdin>";

export interface OpenedInput {
  stream: AsyncIterable<Chunk>;
  /** The name used in messages (`<stdin>` for "-"). */
  label: string;
  /** Size in bytes of a regular file; undefined for streams, pipes and devices. */
  totalBytes: number | undefined;
}

/** The label of `source` in messages. */
export function sourceLabel(source: string): string {
  return source === "-" ? STDIN_LABEL : source;
}

/** Opens `source` (a path or "-"), or wraps `input` when given. */
export async function openInput(source: string, input: AsyncIterable<Chunk> | undefined): Promise<OpenedInput> {
  if (input !== undefined) return { stream: input, label: sourceLabel(source), totalBytes: undefined };
  if (source === "-") return { stream: process.stdin, label: STDIN_LABEL, totalBytes: undefined };
  let handle;
  try {
    handle = await open(source, "r");
  } catch (err) {
    throw new DataError(`cannot open file: ${osErrorReason(err)}`, { file: source });
  }
  try {
    const stats = await handle.stat();
    if (stats.isDirectory()) throw new DataError("cannot open file: is a directory (EISDIR)", { file: source });
    const stream = handle.createReadStream({ highWaterMark: READ_CHUNK_BYTES });
    return { stream, label: source, totalBytes: stats.isFile() ? stats.size : undefined };
  } catch (err) {
    await handle.close();
    if (err instanceof DataError) throw err;
    throw new DataError(`cannot open file: ${osErrorReason(err)}`, { file: source });
  }
}
