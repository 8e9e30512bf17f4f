/**
 * Reading the header of a table without consuming the input, with the table reader's own header
 * parser (`readTableHeader`), so that a caller can check the columns before streaming (e.g. name
 * every column a model needs at once) and never disagree with the reader about what the header is
 * (quotes, TSV, NDJSON keys).
 */

import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { DataError } from "../core/errors.js";
import { LineReader, type Chunk } from "./lines.js";
import { readTableHeader } from "./table-header.js";
import { sourceLabel } from "./table-input.js";
import { inferFormat, resolveDelimiter, type TableFormat } from "./table-options.js";

export interface PeekedHeader {
  /** Column names, or null when the header cannot be read (the table reader will say why). */
  readonly header: readonly string[] | null;
  /** 1-based line of the header (1 when unknown). */
  readonly line: number;
  /**
   * For one-shot inputs (stdin, pipes): the input to hand to `openTable` as `input` (the bytes
   * read here are replayed first). Undefined for regular files, which are simply opened again.
   */
  readonly input?: AsyncIterable<Uint8Array>;
}

async function* replay(head: Uint8Array[], rest: AsyncIterator<Chunk>): AsyncGenerator<Uint8Array> {
  try {
    for (const c of head) yield c;
    for (;;) {
      const r = await rest.next();
      if (r.done === true) return;
      yield typeof r.value === "string" ? Buffer.from(r.value) : r.value;
    }
  } finally {
    await rest.return?.();
  }
}

async function kindOf(source: string): Promise<"regular" | "one-shot" | "unusable"> {
  if (source === "-") return "one-shot";
  try {
    const s = await stat(source);
    if (s.isFile()) return "regular";
    return s.isDirectory() ? "unusable" : "one-shot";
  } catch {
    return "unusable"; // missing or unreadable: the table reader reports it
  }
}

/**
 * The header of `source` (a path or "-"), read with the table reader's rules for `format`
 * (default: from the name) and `delimiter` (default: from the name). Never throws for a bad or
 * unreadable input: `header` is then null and `openTable` reports the problem.
 */
export async function peekTableHeader(source: string, options: { format?: TableFormat; delimiter?: string } = {}): Promise<PeekedHeader> {
  const format = options.format ?? inferFormat(source);
  const delimiter = resolveDelimiter(source, format, options.delimiter);
  const kind = await kindOf(source);
  if (kind === "unusable") return { header: null, line: 1 };
  const stream: AsyncIterable<Chunk> = source === "-" ? process.stdin : createReadStream(source, { highWaterMark: 1 << 16 });
  const it = stream[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  const recording: AsyncIterable<Chunk> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        const r = await it.next();
        if (r.done !== true) head.push(typeof r.value === "string" ? Buffer.from(r.value) : r.value);
        return r;
      },
    }),
  };
  let found: { header: string[]; line: number } | null = null;
  try {
    found = await readTableHeader(new LineReader(recording, sourceLabel(source)), sourceLabel(source), format, delimiter);
  } catch (err) {
    if (!(err instanceof DataError)) throw err;
  }
  const result = { header: found?.header ?? null, line: found?.line ?? 1 };
  if (kind === "regular") {
    await it.return?.();
    (stream as { destroy?: () => void }).destroy?.();
    return result;
  }
  return { ...result, input: replay(head, it) };
}
