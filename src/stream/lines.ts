/**
 * Chunked line splitting over a byte or string stream, with constant memory.
 *
 * The reader decodes UTF-8 chunks (a multi-byte character may straddle two chunks) and exposes
 * *blocks* of complete lines. Inside a block the current line is the range `text[start, end)`,
 * so no string is allocated per line; the consumer loop is
 *
 *     while (true) {
 *       while (lines.next()) use(lines.text, lines.start, lines.end, lines.line);
 *       if (!(await lines.fill())) break;
 *     }
 *
 * Conventions: lines end at `\n`; a `\r` just before it is dropped (CRLF); a lone `\r` is data.
 * A UTF-8 byte-order mark at the very start is dropped. A final line without a newline is still
 * a line, but a trailing newline does not start an empty last line. Line numbers are 1-based.
 * Memory is one block (about one chunk) plus the partial line carried to the next block; a partial
 * line that grows beyond `maxLineChars` (no newline for that long) is an error rather than
 * unbounded growth.
 */

import { StringDecoder } from "node:string_decoder";
import { DataError } from "../core/errors.js";

/** What a Node Readable yields: Buffers, or strings in object / encoding mode. */
export type Chunk = string | Uint8Array;

const CR = 13;
const BOM = 0xfeff;

/** Default cap on one line: 64 Mi characters. */
export const DEFAULT_MAX_LINE_CHARS = 1 << 26;

export class LineReader {
  /** Decoded text of the current block; the current line is `text[start, end)`. */
  text = "";
  start = 0;
  end = 0;
  /** 1-based number of the current line (0 before the first `next()`). */
  line = 0;

  private pos = 0;
  private blockEnd = 0;
  /** Incomplete last line of the previous chunk(s). */
  private pending = "";
  private bomChecked = false;
  private done = false;
  private closed = false;
  private bytes = 0;
  private readonly decoder = new StringDecoder("utf8");
  private readonly chunks: AsyncIterator<Chunk>;

  constructor(
    input: AsyncIterable<Chunk>,
    private readonly label: string,
    private readonly maxLineChars: number = DEFAULT_MAX_LINE_CHARS,
  ) {
    this.chunks = input[Symbol.asyncIterator]();
  }

  /** Bytes received from the input so far (at most one chunk ahead of the lines handed out). */
  bytesRead(): number {
    return this.bytes;
  }

  /** Advances to the next line of the current block; false when the block is used up. */
  next(): boolean {
    const pos = this.pos;
    const blockEnd = this.blockEnd;
    if (pos >= blockEnd) return false;
    const text = this.text;
    let nl = text.indexOf("\n", pos);
    if (nl === -1 || nl > blockEnd) nl = blockEnd;
    let end = nl;
    if (end > pos && text.charCodeAt(end - 1) === CR) end--;
    this.start = pos;
    this.end = end;
    this.pos = nl + 1;
    this.line++;
    return true;
  }

  /** Makes the line just returned by `next()` current again for the following `next()`. */
  pushBack(): void {
    this.pos = this.start;
    this.line--;
  }

  /** Reads the next block of complete lines; false at the end of the input. */
  async fill(): Promise<boolean> {
    while (!this.done) {
      let result: IteratorResult<Chunk>;
      try {
        result = await this.chunks.next();
      } catch (err) {
        this.done = true;
        throw new DataError(`read error: ${errorReason(err)}`, { file: this.label, line: this.line + 1 });
      }
      if (result.done === true) {
        this.done = true;
        const tail = this.stripBom(this.pending + this.decoder.end());
        this.pending = "";
        if (tail.length === 0) return false;
        this.setBlock(tail, tail.length);
        return true;
      }
      const chunk = result.value;
      let piece: string;
      if (typeof chunk === "string") {
        this.bytes += Buffer.byteLength(chunk);
        piece = chunk;
      } else {
        this.bytes += chunk.byteLength;
        piece = this.decoder.write(chunk as Buffer);
      }
      piece = this.stripBom(piece);
      const nl = piece.lastIndexOf("\n");
      if (nl === -1) {
        this.pending += piece;
        if (this.pending.length > this.maxLineChars) this.tooLong();
        continue;
      }
      const blockEnd = this.pending.length + nl + 1;
      this.setBlock(this.pending + piece, blockEnd);
      this.pending = piece.slice(nl + 1);
      return true;
    }
    return false;
  }

  /** `next()` across blocks (for the header and other slow paths); false at the end. */
  async nextAsync(): Promise<boolean> {
    while (!this.next()) {
      if (!(await this.fill())) return false;
    }
    return true;
  }

  /** Stops reading and releases the input (destroys a Node stream). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.done = true;
    this.text = "";
    this.pending = "";
    this.pos = 0;
    this.blockEnd = 0;
    const ret = this.chunks.return;
    if (ret !== undefined) {
      ret.call(this.chunks).catch(() => undefined);
    }
  }

  private setBlock(text: string, blockEnd: number): void {
    this.text = text;
    this.pos = 0;
    this.blockEnd = blockEnd;
  }

  private stripBom(piece: string): string {
    if (this.bomChecked || piece.length === 0) return piece;
    this.bomChecked = true;
    return piece.charCodeAt(0) === BOM ? piece.slice(1) : piece;
  }

  private tooLong(): never {
    this.done = true;
    throw new DataError(
      `line is longer than ${this.maxLineChars} characters; is this really a line-based text file?`,
      { file: this.label, line: this.line + 1 },
    );
  }
}

/** The OS reason of a Node system error (`no such file or directory (ENOENT)`), else its message. */
export function errorReason(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    const m = /^[A-Z0-9_]+: ([^,]+)/.exec(err.message);
    if (code !== undefined && m !== null) return `${m[1]} (${code})`;
    return code !== undefined ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}
