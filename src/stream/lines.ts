/**
 * Chunked line splitting over a byte or string stream, with constant memory.
 *
 * The reader splits the byte chunks at their last newline, decodes the complete lines of each
 * chunk as one UTF-8 string (so a multi-byte character straddling two chunks stays whole) and
 * exposes these *blocks* of complete lines. Inside a block the current line is the range
 * `text[start, end)`, so no string is allocated per line; the consumer loop is
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
 * line that grows beyond `maxLineBytes` (no newline for that long) is an error rather than
 * unbounded growth.
 */

import { DataError, osErrorReason } from "../core/errors.js";

/** What a Node Readable yields: Buffers, or strings in object / encoding mode. */
export type Chunk = string | Uint8Array;

const NEWLINE = 10;
const CR = 13;
const BOM = 0xfeff;

/** Default cap on one line: 64 MiB. */
export const DEFAULT_MAX_LINE_BYTES = 1 << 26;

export class LineReader {
  /** Decoded text of the current block; the current line is `text[start, end)`. */
  text = "";
  start = 0;
  end = 0;
  /** 1-based number of the current line (0 before the first `next()`). */
  line = 0;

  private pos = 0;
  private blockEnd = 0;
  /** Bytes of the incomplete last line of the previous chunk(s). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private bomChecked = false;
  private done = false;
  private closed = false;
  private bytes = 0;
  private readonly chunks: AsyncIterator<Chunk>;

  constructor(
    private readonly input: AsyncIterable<Chunk>,
    private readonly label: string,
    private readonly maxLineBytes: number = DEFAULT_MAX_LINE_BYTES,
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
        throw new DataError(`read error: ${osErrorReason(err)}`, { file: this.label, line: this.line + 1 });
      }
      if (result.done === true) {
        this.done = true;
        if (this.pendingBytes === 0) return false;
        const tail = Buffer.concat(this.pending, this.pendingBytes);
        this.dropPending();
        this.setBlock(tail.toString("utf8"));
        return true;
      }
      const bytes = toBuffer(result.value);
      this.bytes += bytes.length;
      const nl = bytes.lastIndexOf(NEWLINE);
      if (nl === -1) {
        // No line ends in this chunk: keep a copy (the producer may reuse its buffer).
        this.pending.push(Buffer.from(bytes));
        this.pendingBytes += bytes.length;
        if (this.pendingBytes > this.maxLineBytes) this.tooLong();
        continue;
      }
      // Decoding whole lines at once also keeps multi-byte characters whole (a `\n` byte is never
      // inside one), and gives a flat string, on which `charCodeAt` is fast.
      let text: string;
      if (this.pendingBytes === 0) {
        text = bytes.toString("utf8", 0, nl + 1);
      } else {
        this.pending.push(bytes.subarray(0, nl + 1));
        text = Buffer.concat(this.pending, this.pendingBytes + nl + 1).toString("utf8");
        this.dropPending();
      }
      if (nl + 1 < bytes.length) {
        this.pending.push(Buffer.from(bytes.subarray(nl + 1)));
        this.pendingBytes = bytes.length - nl - 1;
      }
      this.setBlock(text);
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
    this.dropPending();
    this.pos = 0;
    this.blockEnd = 0;
    const ret = this.chunks.return;
    if (ret !== undefined) {
      ret.call(this.chunks).catch(() => undefined);
    }
    // An iterator that never started does not run its cleanup on return(): destroy directly.
    const destroy = (this.input as { destroy?: unknown }).destroy;
    if (typeof destroy === "function") destroy.call(this.input);
  }

  /** Makes `text` (whole lines; the last may lack its newline only at the end) the block. */
  private setBlock(text: string): void {
    this.text = text;
    this.pos = 0;
    this.blockEnd = text.length;
    if (!this.bomChecked) {
      this.bomChecked = true;
      if (text.charCodeAt(0) === BOM) this.pos = 1;
    }
  }

  private dropPending(): void {
    this.pending = [];
    this.pendingBytes = 0;
  }

  private tooLong(): never {
    this.done = true;
    throw new DataError(
      `line is longer than ${this.maxLineBytes} bytes; is this really a line-based text file?`,
      { file: this.label, line: this.line + 1 },
    );
  }
}

function toBuffer(chunk: Chunk): Buffer {
  if (typeof chunk === "string") return Buffer.from(chunk, "utf8");
  if (Buffer.isBuffer(chunk)) return chunk;
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

