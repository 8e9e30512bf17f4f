/**
 * Streaming reader of numeric tables (CSV or NDJSON) from a file, stdin or any Node Readable,
 * in batches of rows with constant memory.
 *
 * ```ts
 * const reader = await openTable({ source: "data.csv", targets: ["y"] });
 * for await (const { n, X, Y } of reader.batches()) model.partialFit(X, Y, n);
 * ```
 *
 * Data rules (see also csv.ts, ndjson.ts, parse-number.ts):
 * - CSV: the first non-blank line is the header; names are trimmed of spaces/tabs and must be
 *   non-empty and distinct. Lines end in LF or CRLF (a lone CR in the header is an error). Blank lines anywhere are skipped silently (a line with only spaces
 *   is not blank). `.tsv` / `.tab` files default to a tab delimiter.
 * - NDJSON: the keys of the first object are the columns; whitespace-only lines are skipped.
 * - Only the selected columns (targets and features) are parsed, strictly: an empty cell, `NA`,
 *   `NaN`, `inf`, `1e999`, `abc`, a row with the wrong number of fields, a malformed quote, or (in
 *   NDJSON) bad JSON / missing key / null / non-number make the row invalid. An invalid row throws
 *   a located `DataError` (`file:line:column (column 'name'): detail`), or with `skipInvalid` is
 *   counted and skipped. Finishing with no valid row is an error.
 * - Header problems, unknown columns, an unreadable file and read errors always throw.
 */

import { open } from "node:fs/promises";
import { DataError, InputError, OptionError, osErrorReason, type DataLocation } from "../core/errors.js";
import {
  CsvRowParser,
  DEST_SKIP,
  ROW_BLANK,
  ROW_INVALID,
  ROW_NEED_MORE,
  ROW_OK,
  splitCsvRecord,
  targetDest,
  type RowParser,
  type RowProblem,
  type RowStatus,
} from "./csv.js";
import { type Chunk, LineReader } from "./lines.js";
import { NdjsonRowParser, isBlankJson, ndjsonHeader } from "./ndjson.js";
import { oneLine } from "./parse-number.js";

export type TableFormat = "csv" | "ndjson";

export interface TableReaderOptions {
  /** Path, or "-" for stdin; with `input`, only the label used in messages. */
  source: string;
  /** Read from this stream instead of opening `source`. */
  input?: NodeJS.ReadableStream | AsyncIterable<Chunk>;
  /** Default: from the extension of `source` (.ndjson / .jsonl → ndjson, otherwise csv). */
  format?: TableFormat;
  /** Response columns (at least one), in this order. */
  targets: readonly string[];
  /** Default: every column except the targets, in file order. `[]` selects none. */
  features?: readonly string[];
  /** Default false: the first invalid row throws. True: invalid rows are skipped and counted. */
  skipInvalid?: boolean;
  /** Rows per batch, default 1024. */
  batchRows?: number;
  /** CSV field separator, one character; default "," (tab for .tsv / .tab). */
  delimiter?: string;
}

export interface RowBatch {
  /** Rows in this batch (≥ 1). */
  n: number;
  /** n × d row-major features, d = featureNames.length. Reused by the next batch: copy to keep. */
  X: Float64Array;
  /** n × q row-major targets, q = targetNames.length. Reused by the next batch. */
  Y: Float64Array;
  /** 1-based file line of the batch's first row. */
  firstLine: number;
  /**
   * 1-based data-row number of each of the n rows: data records counted from the first after the
   * header, valid or skipped (blank lines are not records), so skipped rows leave gaps. Reused.
   */
  dataRows: Float64Array;
}

export interface TableReader {
  readonly header: readonly string[];
  readonly featureNames: readonly string[];
  readonly targetNames: readonly string[];
  /** File size in bytes when known (regular files), for a progress bar; undefined for streams. */
  readonly totalBytes: number | undefined;
  /** Bytes read from the input so far (may run up to one 1 MiB chunk ahead of the rows). */
  bytesRead(): number;
  /** Valid rows yielded so far. */
  rowsRead(): number;
  /** Invalid rows skipped so far, with the located messages of the first five. */
  skipped(): { count: number; firstReasons: string[] };
  /** The rows, once: a second call throws. Breaking out of the loop closes the input. */
  batches(): AsyncIterable<RowBatch>;
  /** Releases the input. Idempotent. */
  close(): void;
}

/** Everything in memory (tests, small files). X is n × d and Y n × q, row-major. */
export interface TableData {
  n: number;
  X: Float64Array;
  Y: Float64Array;
  header: readonly string[];
  featureNames: readonly string[];
  targetNames: readonly string[];
  skipped: { count: number; firstReasons: string[] };
}

const OPTION_NAMES = [
  "source",
  "input",
  "format",
  "targets",
  "features",
  "skipInvalid",
  "batchRows",
  "delimiter",
] as const;
const DEFAULT_BATCH_ROWS = 1024;
/** Read size for files: large chunks keep the per-chunk overhead negligible. */
const READ_CHUNK_BYTES = 1 << 20;
/** Cap on a CSV record spanning lines (an unclosed quote must not swallow the whole file). */
const MAX_RECORD_CHARS = 1 << 20;
const MAX_REASONS = 5;
/** How many column names an "unknown column" message lists. */
const MAX_LISTED_NAMES = 20;
const STDIN_LABEL = "<stdin>";

/** The format implied by a file name: .ndjson / .jsonl (any case) → ndjson, otherwise csv. */
export function inferFormat(source: string): TableFormat {
  return /\.(ndjson|jsonl)$/i.test(source) ? "ndjson" : "csv";
}

interface Resolved {
  source: string;
  input: AsyncIterable<Chunk> | undefined;
  format: TableFormat;
  targets: readonly string[];
  features: readonly string[] | undefined;
  skipInvalid: boolean;
  batchRows: number;
  delimiter: number;
}

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return JSON.stringify(value);
  return String(value);
}

function optionError(name: string, requirement: string, value: unknown): OptionError {
  return new OptionError(`The '${name}' option of openTable must be ${requirement}. Got ${show(value)} instead`);
}

function checkNameList(name: string, value: unknown, minLength: number): readonly string[] {
  const what = minLength > 0 ? "a non-empty array of column names" : "an array of column names";
  if (!Array.isArray(value) || value.length < minLength || !value.every((v) => typeof v === "string")) {
    throw optionError(name, what, value);
  }
  const seen = new Set<string>();
  for (const v of value as string[]) {
    if (seen.has(v)) throw optionError(name, "a list of distinct column names", value);
    seen.add(v);
  }
  return [...(value as string[])];
}

function resolveOptions(options: TableReaderOptions): Resolved {
  if (typeof options !== "object" || options === null) {
    throw new OptionError(`openTable requires an options object. Got ${show(options)} instead`);
  }
  for (const key of Object.keys(options)) {
    if (!(OPTION_NAMES as readonly string[]).includes(key)) {
      throw new OptionError(`openTable got the unknown option '${key}'; the options are ${OPTION_NAMES.join(", ")}`);
    }
  }
  const { source, input, format, targets, features, skipInvalid, batchRows, delimiter } = options;
  if (typeof source !== "string" || source.length === 0) {
    throw optionError("source", 'a non-empty string (a path, or "-" for stdin)', source);
  }
  if (
    input !== undefined &&
    (typeof input !== "object" || input === null || !(Symbol.asyncIterator in input))
  ) {
    throw optionError("input", "a Node Readable (an async iterable of chunks)", input);
  }
  if (format !== undefined && format !== "csv" && format !== "ndjson") {
    throw optionError("format", 'one of "csv", "ndjson"', format);
  }
  const targetList = checkNameList("targets", targets, 1);
  const featureList = features === undefined ? undefined : checkNameList("features", features, 0);
  if (featureList !== undefined) {
    const both = featureList.find((f) => targetList.includes(f));
    if (both !== undefined) {
      throw new OptionError(`Column '${oneLine(both)}' is both in the 'targets' and in the 'features' option of openTable`);
    }
  }
  if (skipInvalid !== undefined && typeof skipInvalid !== "boolean") {
    throw optionError("skipInvalid", "a boolean", skipInvalid);
  }
  if (batchRows !== undefined && !(Number.isInteger(batchRows) && batchRows >= 1)) {
    throw optionError("batchRows", "an int in the range [1, inf)", batchRows);
  }
  const resolvedFormat = format ?? inferFormat(source);
  let delimiterCode = /\.(tsv|tab)$/i.test(source) ? 9 : 44;
  if (delimiter !== undefined) {
    if (typeof delimiter !== "string" || delimiter.length !== 1 || '"\r\n'.includes(delimiter)) {
      throw optionError("delimiter", "one character other than a quote or a line break", delimiter);
    }
    if (resolvedFormat !== "csv") throw optionError("delimiter", "left out for NDJSON input", delimiter);
    delimiterCode = delimiter.charCodeAt(0);
  }
  return {
    source,
    input: input as AsyncIterable<Chunk> | undefined,
    format: resolvedFormat,
    targets: targetList,
    features: featureList,
    skipInvalid: skipInvalid ?? false,
    batchRows: batchRows ?? DEFAULT_BATCH_ROWS,
    delimiter: delimiterCode,
  };
}

interface OpenedInput {
  stream: AsyncIterable<Chunk>;
  label: string;
  totalBytes: number | undefined;
}

async function openInput(source: string, input: AsyncIterable<Chunk> | undefined): Promise<OpenedInput> {
  if (input !== undefined) return { stream: input, label: source === "-" ? STDIN_LABEL : source, totalBytes: undefined };
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

/** A CSV record with a line break inside a quoted field: its text, or why it never closed. */
type MultiLine = { ok: true; record: string } | { ok: false; why: string };

/**
 * Appends the following lines to a CSV record whose quoted field is still open, until
 * `stillOpen(record)` is false, the input ends, or the record passes `MAX_RECORD_CHARS`. Lines
 * without a quote cannot close the field, so they are appended without re-parsing.
 */
async function continueRecord(
  lines: LineReader,
  firstPart: string,
  stillOpen: (record: string) => boolean,
): Promise<MultiLine> {
  let record = firstPart;
  for (;;) {
    if (!lines.next() && !(await lines.nextAsync())) {
      return { ok: false, why: "no closing quote before the end of the input" };
    }
    const line = lines.text.slice(lines.start, lines.end);
    record += "\n" + line;
    if (line.includes('"') && !stillOpen(record)) return { ok: true, record };
    if (record.length > MAX_RECORD_CHARS) {
      return { ok: false, why: `no closing quote within ${MAX_RECORD_CHARS} characters` };
    }
  }
}

function trimBlanks(s: string): string {
  return s.replace(/^[ \t]+|[ \t]+$/g, "");
}

interface HeaderInfo {
  header: string[];
  line: number;
}

async function readCsvHeader(lines: LineReader, file: string, delimiter: number): Promise<HeaderInfo> {
  do {
    if (!(await lines.nextAsync())) throw new DataError("empty file (no header row)", { file });
  } while (lines.start === lines.end);
  const line = lines.line;
  if (lines.text.lastIndexOf("\r", lines.end - 1) >= lines.start) {
    throw new DataError(
      "carriage return inside the header line: lines ending in a lone CR (classic Mac) are not supported; convert to LF or CRLF",
      { file, line },
    );
  }
  let split = splitCsvRecord(lines.text, lines.start, lines.end, delimiter);
  if (split.status === ROW_NEED_MORE) {
    const more = await continueRecord(
      lines,
      lines.text.slice(lines.start, lines.end),
      (r) => splitCsvRecord(r, 0, r.length, delimiter).status === ROW_NEED_MORE,
    );
    if (!more.ok) {
      throw new DataError(`unterminated quoted field in the header (${more.why})`, {
        file,
        line,
        column: split.fields.length + 1,
      });
    }
    split = splitCsvRecord(more.record, 0, more.record.length, delimiter);
  }
  if (split.status === ROW_INVALID) {
    throw new DataError(
      `malformed quoted field in the header: unexpected ${JSON.stringify(split.badChar)} after the closing quote`,
      { file, line, column: split.badField + 1 },
    );
  }
  const header = split.fields.map(trimBlanks);
  const firstIndex = new Map<string, number>();
  for (let j = 0; j < header.length; j++) {
    const name = header[j];
    if (name === "") {
      throw new DataError("empty column name in the header; every column needs a name (pandas: to_csv(index=False))", {
        file,
        line,
        column: j + 1,
      });
    }
    const earlier = firstIndex.get(name);
    if (earlier !== undefined) {
      throw new DataError(`duplicate column name '${oneLine(name)}' in the header (also column ${earlier + 1})`, {
        file,
        line,
        column: j + 1,
      });
    }
    firstIndex.set(name, j);
  }
  return { header, line };
}

async function readNdjsonHeader(lines: LineReader, file: string): Promise<HeaderInfo> {
  do {
    if (!(await lines.nextAsync())) throw new DataError("empty file (no JSON object)", { file });
  } while (isBlankJson(lines.text, lines.start, lines.end));
  const line = lines.line;
  const header = ndjsonHeader(lines.text.slice(lines.start, lines.end), file, line);
  lines.pushBack(); // the first object is also the first data row
  return { header, line };
}

function listNames(names: readonly string[]): string {
  const shown = names
    .slice(0, MAX_LISTED_NAMES)
    .map((n) => `'${oneLine(n)}'`)
    .join(", ");
  const more = names.length - MAX_LISTED_NAMES;
  return more > 0 ? `${shown} and ${more} more` : shown;
}

function unknownColumn(role: string, name: string, header: readonly string[], location: DataLocation): DataError {
  const lower = name.trim().toLowerCase();
  const near = header.find((h) => h.toLowerCase() === lower);
  const hint = near !== undefined ? ` (did you mean '${oneLine(near)}'?)` : "";
  return new DataError(`unknown ${role} column '${oneLine(name)}'${hint}; the columns are ${listNames(header)}`, location);
}

interface Columns {
  featureNames: readonly string[];
  /** Per header column: feature index, `targetDest(t)` or `DEST_SKIP`. */
  dest: Int32Array;
}

function resolveColumns(header: readonly string[], opts: Resolved, location: DataLocation): Columns {
  const index = new Map<string, number>();
  header.forEach((name, j) => index.set(name, j));
  const dest = new Int32Array(header.length).fill(DEST_SKIP);
  opts.targets.forEach((name, t) => {
    const j = index.get(name);
    if (j === undefined) throw unknownColumn("target", name, header, location);
    dest[j] = targetDest(t);
  });
  let featureNames: readonly string[];
  if (opts.features === undefined) {
    featureNames = header.filter((name) => !opts.targets.includes(name));
    if (featureNames.length === 0) {
      throw new DataError(
        `no feature columns: the header has only the target column(s) ${listNames(opts.targets)}; pass 'features: []' to read none`,
        location,
      );
    }
  } else {
    featureNames = opts.features;
  }
  featureNames.forEach((name, k) => {
    const j = index.get(name);
    if (j === undefined) throw unknownColumn("feature", name, header, location);
    dest[j] = k;
  });
  return { featureNames, dest };
}

/**
 * Opens `options.source` (or `options.input`), reads and checks the header and the column
 * selection, and returns a reader positioned at the first data row. Throws `OptionError` for bad
 * options and `DataError` for an unreadable/empty file, a bad header or an unknown column.
 */
export async function openTable(options: TableReaderOptions): Promise<TableReader> {
  const opts = resolveOptions(options);
  const { stream, label, totalBytes } = await openInput(opts.source, opts.input);
  const lines = new LineReader(stream, label);
  try {
    const { header, line } =
      opts.format === "csv" ? await readCsvHeader(lines, label, opts.delimiter) : await readNdjsonHeader(lines, label);
    const { featureNames, dest } = resolveColumns(header, opts, { file: label, line });
    const parser: RowParser =
      opts.format === "csv"
        ? new CsvRowParser(header, dest, opts.delimiter)
        : new NdjsonRowParser(featureNames, opts.targets);
    return new StreamTableReader(header, featureNames, opts.targets, totalBytes, lines, parser, label, opts);
  } catch (err) {
    lines.close();
    throw err;
  }
}

class StreamTableReader implements TableReader {
  private rows = 0;
  private skippedRows = 0;
  private readonly reasons: string[] = [];
  private started = false;

  constructor(
    readonly header: readonly string[],
    readonly featureNames: readonly string[],
    readonly targetNames: readonly string[],
    readonly totalBytes: number | undefined,
    private readonly lines: LineReader,
    private readonly parser: RowParser,
    private readonly label: string,
    private readonly opts: Resolved,
  ) {}

  bytesRead(): number {
    return this.lines.bytesRead();
  }

  rowsRead(): number {
    return this.rows;
  }

  skipped(): { count: number; firstReasons: string[] } {
    return { count: this.skippedRows, firstReasons: [...this.reasons] };
  }

  batches(): AsyncIterable<RowBatch> {
    if (this.started) throw new InputError("TableReader.batches() can be called only once per reader");
    this.started = true;
    return this.run();
  }

  close(): void {
    this.lines.close();
  }

  private async *run(): AsyncGenerator<RowBatch> {
    const lines = this.lines;
    const parser = this.parser;
    const isCsv = this.opts.format === "csv";
    const batchRows = this.opts.batchRows;
    const d = this.featureNames.length;
    const q = this.targetNames.length;
    const X = new Float64Array(batchRows * d);
    const Y = new Float64Array(batchRows * q);
    const R = new Float64Array(batchRows);
    let record = 0;
    let n = 0;
    let firstLine = 0;
    try {
      for (;;) {
        while (lines.next()) {
          const start = lines.start;
          const end = lines.end;
          if (start === end && isCsv) continue; // blank line
          const text = lines.text;
          const lineNo = lines.line;
          let status: RowStatus = parser.parse(text, start, end, X, n * d, Y, n * q);
          if (status !== ROW_OK) {
            if (status === ROW_BLANK) continue;
            record++;
            if (status === ROW_NEED_MORE) {
              status = await this.multiLineRecord(X, n * d, Y, n * q, lineNo, text.slice(start, end));
              if (status !== ROW_OK) continue;
            } else {
              this.reject(() => parser.describe(text, start, end), lineNo);
              continue;
            }
          } else record++;
          if (n === 0) firstLine = lineNo;
          R[n] = record;
          n++;
          if (n === batchRows) {
            this.rows += n;
            yield { n, X, Y, firstLine, dataRows: R };
            n = 0;
          }
        }
        if (!(await lines.fill())) break;
      }
      if (n > 0) {
        this.rows += n;
        yield { n, X: X.subarray(0, n * d), Y: Y.subarray(0, n * q), firstLine, dataRows: R.subarray(0, n) };
      }
      if (this.rows === 0) {
        if (this.skippedRows === 0) throw new DataError("no data rows after the header", { file: this.label });
        throw new DataError(
          `no valid data rows: all ${this.skippedRows} data rows are invalid; the first: ${this.reasons[0]}`,
          { file: this.label },
        );
      }
    } finally {
      lines.close();
    }
  }

  /** A CSV record with a line break inside a quoted field; returns the final status. */
  private async multiLineRecord(
    X: Float64Array,
    xOff: number,
    Y: Float64Array,
    yOff: number,
    lineNo: number,
    firstPart: string,
  ): Promise<RowStatus> {
    let status = ROW_NEED_MORE as RowStatus;
    const more = await continueRecord(this.lines, firstPart, (r) => {
      status = this.parser.parse(r, 0, r.length, X, xOff, Y, yOff);
      return status === ROW_NEED_MORE;
    });
    if (!more.ok) {
      this.reject(() => {
        const problem = this.parser.describe(firstPart, 0, firstPart.length);
        return { ...problem, detail: `${problem.detail} (${more.why})` };
      }, lineNo);
      return ROW_INVALID;
    }
    if (status === ROW_INVALID) this.reject(() => this.parser.describe(more.record, 0, more.record.length), lineNo);
    return status;
  }

  /**
   * Throws the located error, or with `skipInvalid` counts the row and keeps the first reasons.
   * `describe` runs only when its message is used.
   */
  private reject(describe: () => RowProblem, line: number): void {
    if (this.opts.skipInvalid && this.reasons.length >= MAX_REASONS) {
      this.skippedRows++;
      return;
    }
    const problem = describe();
    const location: { file: string; line: number; column?: number; columnName?: string } = { file: this.label, line };
    if (problem.column !== undefined) location.column = problem.column;
    if (problem.columnName !== undefined) location.columnName = oneLine(problem.columnName);
    if (!this.opts.skipInvalid) throw new DataError(problem.detail, location);
    this.skippedRows++;
    if (this.reasons.length < MAX_REASONS) this.reasons.push(new DataError(problem.detail, location).message);
  }
}

/** Reads a whole table into memory (for tests and small files); options as for `openTable`. */
export async function readAll(options: TableReaderOptions): Promise<TableData> {
  const reader = await openTable(options);
  try {
    const d = reader.featureNames.length;
    const q = reader.targetNames.length;
    const xParts: Float64Array[] = [];
    const yParts: Float64Array[] = [];
    let n = 0;
    for await (const batch of reader.batches()) {
      xParts.push(batch.X.slice(0, batch.n * d));
      yParts.push(batch.Y.slice(0, batch.n * q));
      n += batch.n;
    }
    return {
      n,
      X: concat(xParts, n * d),
      Y: concat(yParts, n * q),
      header: reader.header,
      featureNames: reader.featureNames,
      targetNames: reader.targetNames,
      skipped: reader.skipped(),
    };
  } finally {
    reader.close();
  }
}

function concat(parts: readonly Float64Array[], length: number): Float64Array {
  const out = new Float64Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
