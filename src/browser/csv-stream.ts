/**
 * Streaming CSV reader over a web byte stream (`File.stream()`, `Response.body`, or any async
 * iterable of byte / string chunks), for runtimes without `node:fs`: the browser bundle's
 * counterpart of `openTable`. It reuses the pure parsers of src/stream (csv.ts, parse-number.ts),
 * so a cell is accepted or rejected exactly as by the CLI; only the line splitting differs (a
 * streaming `TextDecoder` in place of Node Buffers).
 *
 * ```ts
 * const csv = await openCsvStream({ input: file.stream(), label: file.name });   // target: last column
 * for await (const { n, X, Y } of csv.batches()) model.learnMany(X, Y, n);
 * ```
 *
 * Rules (as openTable's CSV rules): the first non-blank line is the header (names trimmed of spaces
 * and tabs, non-empty, distinct); LF or CRLF line ends; blank lines are skipped; quoted fields may
 * span lines; only the selected columns are parsed, strictly. An invalid row throws a located
 * `DataError` (`label:line:column (column 'name'): detail`), or with `skipInvalid` is counted and
 * skipped. Memory: one decoded chunk plus one partial line; a line longer than 64 MiB is an error.
 */
import { DataError, InputError, OptionError, type DataLocation } from "../core/errors.js";
import { CsvRowParser, ROW_INVALID, ROW_NEED_MORE, ROW_OK, splitCsvRecord, type RowStatus } from "../stream/csv.js";
import { oneLine } from "../stream/parse-number.js";
import { resolveColumns } from "../stream/table-columns.js";

/** The part of a web `ReadableStreamDefaultReader` used here. */
interface ChunkReader {
  read(): Promise<{ done: boolean; value?: Uint8Array | string }>;
  cancel(reason?: unknown): Promise<void>;
}

/** A web `ReadableStream` of bytes or strings, or any async iterable of such chunks. */
export type ByteStream = { getReader(): ChunkReader } | AsyncIterable<Uint8Array | string>;

export interface CsvStreamOptions {
  /** The bytes: `file.stream()`, `response.body`, or an async iterable of chunks. */
  readonly input: ByteStream;
  /** Name used in messages (e.g. the file name). Default `"<input>"`. */
  readonly label?: string;
  /** Response columns. Default: the last column of the header. */
  readonly targets?: readonly string[];
  /** Default: every column except the targets, in file order. */
  readonly features?: readonly string[];
  /** Field separator, one character. Default ",". */
  readonly delimiter?: string;
  /** Default false: the first invalid row throws. True: invalid rows are skipped and counted. */
  readonly skipInvalid?: boolean;
  /** Rows per batch, default 1024. */
  readonly batchRows?: number;
}

export interface CsvBatch {
  /** Rows in this batch (≥ 1). */
  n: number;
  /** n × d row-major features. Reused by the next batch: copy to keep. */
  X: Float64Array;
  /** n × q row-major targets. Reused by the next batch. */
  Y: Float64Array;
  /** 1-based line of the batch's first row. */
  firstLine: number;
}

export interface CsvStream {
  readonly header: readonly string[];
  readonly featureNames: readonly string[];
  readonly targetNames: readonly string[];
  /** Bytes received so far. */
  bytesRead(): number;
  /** Valid rows yielded so far. */
  rowsRead(): number;
  /** Invalid rows skipped so far, with the located messages of the first five. */
  skipped(): { count: number; firstReasons: string[] };
  /** The rows, once: a second call throws. Breaking out of the loop cancels the input. */
  batches(): AsyncIterable<CsvBatch>;
  /** Cancels the input. Idempotent. */
  close(): void;
}

const MAX_LINE_CHARS = 1 << 26;
const MAX_RECORD_CHARS = 1 << 20;
const MAX_REASONS = 5;

function chunkReader(input: ByteStream): ChunkReader {
  if (typeof (input as { getReader?: unknown }).getReader === "function") return (input as { getReader(): ChunkReader }).getReader();
  if (typeof input === "object" && input !== null && Symbol.asyncIterator in input) {
    const it = (input as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
    return {
      read: async () => {
        const r = await it.next();
        return r.done === true ? { done: true } : { done: false, value: r.value };
      },
      cancel: async () => {
        await it.return?.();
      },
    };
  }
  throw new OptionError("The 'input' option of openCsvStream must be a ReadableStream or an async iterable of chunks");
}

/** Lines of a decoded byte stream, in blocks of complete lines (as stream/lines.ts, without Buffer). */
class TextLines {
  text = "";
  start = 0;
  end = 0;
  line = 0;
  bytes = 0;
  private pos = 0;
  private carry = "";
  private done = false;
  private closed = false;
  private readonly decoder = new TextDecoder("utf-8");

  constructor(private readonly reader: ChunkReader, private readonly label: string) {}

  next(): boolean {
    const pos = this.pos;
    const text = this.text;
    if (pos >= text.length) return false;
    let nl = text.indexOf("\n", pos);
    if (nl === -1) nl = text.length;
    let end = nl;
    if (end > pos && text.charCodeAt(end - 1) === 13) end--;
    this.start = pos;
    this.end = end;
    this.pos = nl + 1;
    this.line++;
    return true;
  }

  async nextAsync(): Promise<boolean> {
    while (!this.next()) if (!(await this.fill())) return false;
    return true;
  }

  /** Reads the next block of complete lines; false at the end of the input. */
  async fill(): Promise<boolean> {
    while (!this.done) {
      let r: { done: boolean; value?: Uint8Array | string };
      try {
        r = await this.reader.read();
      } catch (err) {
        this.done = true;
        throw new DataError(`read error: ${(err as Error)?.message ?? String(err)}`, { file: this.label, line: this.line + 1 });
      }
      if (r.done) {
        this.done = true;
        const tail = this.carry + this.decoder.decode();
        this.carry = "";
        if (tail.length === 0) return false;
        this.setBlock(tail);
        return true;
      }
      const v = r.value ?? "";
      let s: string;
      if (typeof v === "string") {
        s = v;
        this.bytes += v.length;
      } else {
        s = this.decoder.decode(v, { stream: true });
        this.bytes += v.byteLength;
      }
      const nl = s.lastIndexOf("\n");
      if (nl === -1) {
        this.carry += s;
        if (this.carry.length > MAX_LINE_CHARS) {
          this.done = true;
          throw new DataError(`line is longer than ${MAX_LINE_CHARS} characters; is this really a CSV file?`, { file: this.label, line: this.line + 1 });
        }
        continue;
      }
      const block = this.carry + s.slice(0, nl + 1);
      this.carry = s.slice(nl + 1);
      this.setBlock(block);
      return true;
    }
    return false;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.done = true;
    this.text = "";
    this.pos = 0;
    this.reader.cancel().catch(() => undefined);
  }

  private setBlock(text: string): void {
    this.text = text;
    this.pos = 0;
  }
}

/** Appends following lines to a record whose quoted field is open, until `stillOpen` is false. */
async function continueRecord(lines: TextLines, first: string, stillOpen: (r: string) => boolean): Promise<string | null> {
  let record = first;
  for (;;) {
    if (!(await lines.nextAsync())) return null;
    const line = lines.text.slice(lines.start, lines.end);
    record += "\n" + line;
    if (line.includes('"') && !stillOpen(record)) return record;
    if (record.length > MAX_RECORD_CHARS) return null;
  }
}

async function readHeader(lines: TextLines, file: string, delimiter: number): Promise<{ header: string[]; line: number }> {
  do {
    if (!(await lines.nextAsync())) throw new DataError("empty file (no header row)", { file });
  } while (lines.start === lines.end);
  const line = lines.line;
  let split = splitCsvRecord(lines.text, lines.start, lines.end, delimiter);
  if (split.status === ROW_NEED_MORE) {
    const rec = await continueRecord(lines, lines.text.slice(lines.start, lines.end), (r) => splitCsvRecord(r, 0, r.length, delimiter).status === ROW_NEED_MORE);
    if (rec === null) throw new DataError("unterminated quoted field in the header", { file, line, column: split.fields.length + 1 });
    split = splitCsvRecord(rec, 0, rec.length, delimiter);
  }
  if (split.status === ROW_INVALID) {
    throw new DataError(`malformed quoted field in the header: unexpected ${JSON.stringify(split.badChar)} after the closing quote`, { file, line, column: split.badField + 1 });
  }
  const header = split.fields.map((s) => s.replace(/^[ \t]+|[ \t]+$/g, ""));
  const seen = new Map<string, number>();
  header.forEach((name, j) => {
    if (name === "") throw new DataError("empty column name in the header; every column needs a name", { file, line, column: j + 1 });
    const earlier = seen.get(name);
    if (earlier !== undefined) throw new DataError(`duplicate column name '${oneLine(name)}' in the header (also column ${earlier + 1})`, { file, line, column: j + 1 });
    seen.set(name, j);
  });
  return { header, line };
}

function nameList(v: unknown, option: string): readonly string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string") || new Set(v).size !== v.length) {
    throw new OptionError(`The '${option}' option of openCsvStream must be an array of distinct column names. Got ${JSON.stringify(v)} instead`);
  }
  return v as string[];
}

/**
 * Reads the header of a CSV byte stream and returns a reader positioned at the first data row.
 * Throws `OptionError` for bad options, `DataError` for an empty input, a bad header or an
 * unknown column.
 */
export async function openCsvStream(options: CsvStreamOptions): Promise<CsvStream> {
  const label = options.label ?? "<input>";
  const delimiter = options.delimiter ?? ",";
  if (typeof delimiter !== "string" || delimiter.length !== 1 || '"\r\n'.includes(delimiter)) {
    throw new OptionError(`The 'delimiter' option of openCsvStream must be one character other than a quote or a line break. Got ${JSON.stringify(delimiter)} instead`);
  }
  const batchRows = options.batchRows ?? 1024;
  if (!Number.isInteger(batchRows) || batchRows < 1) {
    throw new OptionError(`The 'batchRows' option of openCsvStream must be an int in the range [1, inf). Got ${JSON.stringify(batchRows)} instead`);
  }
  const targetsOpt = nameList(options.targets, "targets");
  const featuresOpt = nameList(options.features, "features");
  if (targetsOpt !== undefined && targetsOpt.length === 0) throw new OptionError("The 'targets' option of openCsvStream must name at least one column");
  const lines = new TextLines(chunkReader(options.input), label);
  try {
    const { header, line } = await readHeader(lines, label, delimiter.charCodeAt(0));
    const at: DataLocation = { file: label, line };
    const targets = targetsOpt ?? [header[header.length - 1]];
    const both = featuresOpt?.find((f) => targets.includes(f));
    if (both !== undefined) throw new OptionError(`Column '${oneLine(both)}' is both a target and a feature of openCsvStream`);
    // The table reader's own column mapping (src/stream/table-columns.ts): same messages as openTable.
    const { featureNames: features, dest } = resolveColumns(header, targets, featuresOpt, at);
    if (features.length === 0) throw new DataError("no feature columns: the header has only the target column(s)", at);
    const parser = new CsvRowParser(header, dest, delimiter.charCodeAt(0));
    return new WebCsvStream(header, features, targets, lines, parser, label, options.skipInvalid === true, batchRows);
  } catch (err) {
    lines.close();
    throw err;
  }
}

class WebCsvStream implements CsvStream {
  private rows = 0;
  private skippedRows = 0;
  private readonly reasons: string[] = [];
  private started = false;

  constructor(
    readonly header: readonly string[],
    readonly featureNames: readonly string[],
    readonly targetNames: readonly string[],
    private readonly lines: TextLines,
    private readonly parser: CsvRowParser,
    private readonly label: string,
    private readonly skipInvalid: boolean,
    private readonly batchRows: number,
  ) {}

  bytesRead(): number {
    return this.lines.bytes;
  }
  rowsRead(): number {
    return this.rows;
  }
  skipped(): { count: number; firstReasons: string[] } {
    return { count: this.skippedRows, firstReasons: [...this.reasons] };
  }
  close(): void {
    this.lines.close();
  }

  batches(): AsyncIterable<CsvBatch> {
    if (this.started) throw new InputError("CsvStream.batches() can be called only once per reader");
    this.started = true;
    return this.run();
  }

  private async *run(): AsyncGenerator<CsvBatch> {
    const { lines, parser, batchRows } = this;
    const d = this.featureNames.length;
    const q = this.targetNames.length;
    const X = new Float64Array(batchRows * d);
    const Y = new Float64Array(batchRows * q);
    let n = 0;
    let firstLine = 0;
    try {
      for (;;) {
        while (lines.next()) {
          const { text, start, end, line } = lines;
          if (start === end) continue;
          let status: RowStatus = parser.parse(text, start, end, X, n * d, Y, n * q);
          if (status === ROW_NEED_MORE) {
            const first = text.slice(start, end);
            let last = ROW_NEED_MORE as RowStatus;
            const rec = await continueRecord(lines, first, (r) => (last = parser.parse(r, 0, r.length, X, n * d, Y, n * q)) === ROW_NEED_MORE);
            if (rec === null) {
              const p = parser.describe(first, 0, first.length);
              this.reject(`${p.detail} (no closing quote before the end of the input)`, line, p);
              continue;
            }
            status = last;
            if (status !== ROW_OK) {
              const p = parser.describe(rec, 0, rec.length);
              this.reject(p.detail, line, p);
              continue;
            }
          } else if (status !== ROW_OK) {
            const p = parser.describe(text, start, end);
            this.reject(p.detail, line, p);
            continue;
          }
          if (n === 0) firstLine = line;
          if (++n === batchRows) {
            this.rows += n;
            yield { n, X, Y, firstLine };
            n = 0;
          }
        }
        if (!(await lines.fill())) break;
      }
      if (n > 0) {
        this.rows += n;
        yield { n, X: X.subarray(0, n * d), Y: Y.subarray(0, n * q), firstLine };
      }
      if (this.rows === 0) {
        const why = this.skippedRows === 0 ? "no data rows after the header" : `no valid data rows: all ${this.skippedRows} data rows are invalid; the first: ${this.reasons[0]}`;
        throw new DataError(why, { file: this.label });
      }
    } finally {
      lines.close();
    }
  }

  private reject(detail: string, line: number, p: { column?: number; columnName?: string } | undefined): void {
    const loc: DataLocation = { file: this.label, line, column: p?.column, columnName: p?.columnName === undefined ? undefined : oneLine(p.columnName) };
    const err = new DataError(detail, Object.fromEntries(Object.entries(loc).filter(([, v]) => v !== undefined)) as DataLocation);
    if (!this.skipInvalid) throw err;
    this.skippedRows++;
    if (this.reasons.length < MAX_REASONS) this.reasons.push(err.message);
  }
}
