/**
 * Streaming reader of numeric tables (CSV or NDJSON) from a file, stdin or any Node Readable,
 * in batches of rows with constant memory.
 *
 * ```ts
 * const reader = await openTable({ source: "data.csv", targets: ["y"] });
 * for await (const { n, X, Y } of reader.batches()) model.partialFit(X, Y, n);
 * ```
 *
 * The pieces: options (table-options.ts), opening the input (table-input.ts), the header per
 * format (table-header.ts), column selection (table-columns.ts), rows (csv.ts, ndjson.ts,
 * parse-number.ts, multi-line CSV records in csv-record.ts); this file batches the rows.
 *
 * Data rules:
 * - CSV: the first non-blank line is the header; names are trimmed of spaces/tabs and must be
 *   non-empty and distinct. Lines end in LF or CRLF (a lone CR in the header is an error). Blank
 *   lines anywhere are skipped silently (a line with only spaces is not blank). `.tsv` / `.tab`
 *   files default to a tab delimiter. A quoted field may span lines, up to `MAX_RECORD_CHARS`.
 * - NDJSON: the keys of the first object are the columns; whitespace-only lines are skipped.
 * - Only the selected columns (targets and features) are parsed, strictly: an empty cell, `NA`,
 *   `NaN`, `inf`, `1e999`, `abc`, a row with the wrong number of fields, a malformed quote, or (in
 *   NDJSON) bad JSON / missing key / null / non-number make the row invalid. An invalid row throws
 *   a located `DataError` (`file:line:column (column 'name'): detail`), or with `skipInvalid` is
 *   counted and skipped. Finishing with no valid row is an error.
 * - Header problems, unknown columns, an unreadable file and read errors always throw.
 */

import { DataError, InputError } from "../core/errors.js";
import { CsvRowParser, ROW_BLANK, ROW_INVALID, ROW_NEED_MORE, ROW_OK, type RowParser, type RowProblem, type RowStatus } from "./csv.js";
import { continueRecord } from "./csv-record.js";
import { LineReader } from "./lines.js";
import { NdjsonRowParser } from "./ndjson.js";
import { oneLine } from "./parse-number.js";
import { resolveColumns } from "./table-columns.js";
import { readTableHeader } from "./table-header.js";
import { openInput } from "./table-input.js";
import { resolveTableOptions, type ResolvedTableOptions, type TableReaderOptions } from "./table-options.js";

export { inferFormat, type TableFormat, type TableReaderOptions } from "./table-options.js";

export interface RowBatch {
  /** Rows in this batch (≥ 1). */
  n: number;
  /** n × d row-major features, d = featureNames.length. Reused by the next batch: copy to keep. */
  X: Float64Array;
  /** n × q row-major targets, q = targetNames.length. Reused by the next batch. */
  Y: Float64Array;
  /** 1-based file line of the batch's first row. */
  firstLine: number;
  /** 1-based file line of each row (length ≥ n; for messages about a row). Reused by the next batch. */
  rowLines: Float64Array;
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

const MAX_REASONS = 5;

/**
 * Opens `options.source` (or `options.input`), reads and checks the header and the column
 * selection, and returns a reader positioned at the first data row. Throws `OptionError` for bad
 * options and `DataError` for an unreadable/empty file, a bad header or an unknown column.
 */
export async function openTable(options: TableReaderOptions): Promise<TableReader> {
  const opts = resolveTableOptions(options);
  const { stream, label, totalBytes } = await openInput(opts.source, opts.input);
  const lines = new LineReader(stream, label);
  try {
    const { header, line } = await readTableHeader(lines, label, opts.format, opts.delimiter);
    const { featureNames, dest } = resolveColumns(header, opts.targets, opts.features, { file: label, line });
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
    private readonly opts: ResolvedTableOptions,
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
    const rowLines = new Float64Array(batchRows);
    const R = new Float64Array(batchRows);
    let record = 0;
    let n = 0;
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
          rowLines[n] = lineNo;
          R[n] = record;
          n++;
          if (n === batchRows) {
            this.rows += n;
            yield { n, X, Y, firstLine: rowLines[0], rowLines, dataRows: R };
            n = 0;
          }
        }
        if (!(await lines.fill())) break;
      }
      if (n > 0) {
        this.rows += n;
        yield { n, X: X.subarray(0, n * d), Y: Y.subarray(0, n * q), firstLine: rowLines[0], rowLines, dataRows: R.subarray(0, n) };
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
    const more = await continueRecord(this.lines, firstPart, this.opts.delimiter);
    if (!more.ok) {
      this.reject(() => {
        const problem = this.parser.describe(firstPart, 0, firstPart.length);
        return { ...problem, detail: `${problem.detail} (${more.why})` };
      }, lineNo);
      return ROW_INVALID;
    }
    const status = this.parser.parse(more.record, 0, more.record.length, X, xOff, Y, yOff);
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
