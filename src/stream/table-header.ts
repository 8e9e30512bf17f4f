/**
 * The header of a table, per format; the one header parser of the project (the table reader
 * and `peekTableHeader`, hence the CLI, both use `readTableHeader`).
 *
 * - CSV: the first non-blank line (a quoted name may span lines); names are trimmed of
 *   spaces/tabs and must be non-empty and distinct; a lone CR in the header line is an error.
 * - NDJSON: the keys of the first non-blank line's object; that line is also the first data row,
 *   so it is pushed back.
 */

import { DataError } from "../core/errors.js";
import { ROW_INVALID, ROW_NEED_MORE, splitCsvRecord } from "./csv.js";
import { continueRecord } from "./csv-record.js";
import type { LineReader } from "./lines.js";
import { isBlankJson, ndjsonHeader } from "./ndjson.js";
import { oneLine } from "./parse-number.js";
import type { TableFormat } from "./table-options.js";

export interface HeaderInfo {
  /** Column names, in file order. */
  header: string[];
  /** 1-based line of the header (NDJSON: of the first object). */
  line: number;
}

function trimBlanks(s: string): string {
  return s.replace(/^[ \t]+|[ \t]+$/g, "");
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
    const more = await continueRecord(lines, lines.text.slice(lines.start, lines.end), delimiter);
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

/**
 * Reads and checks the header from `lines` (positioned at the start of the input), leaving them
 * at the first data row. `DataError` (located) for an empty input or a bad header.
 */
export function readTableHeader(lines: LineReader, file: string, format: TableFormat, delimiter: number): Promise<HeaderInfo> {
  return format === "csv" ? readCsvHeader(lines, file, delimiter) : readNdjsonHeader(lines, file);
}
