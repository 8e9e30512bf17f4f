/**
 * RFC 4180 CSV records, scanned in place.
 *
 * - Fields are separated by the delimiter (`,` by default); a record is one line, unless a quoted
 *   field holds a line break, in which case the record continues on the next line(s).
 * - A field is quoted when its first character is `"`; inside, `""` stands for one `"`. After the
 *   closing quote only blanks may come before the delimiter; anything else makes the record
 *   malformed. A `"` that is not the first character of a field is an ordinary character.
 * - Selected columns are parsed with `parseDecimal` straight from the record text; other columns
 *   are skipped without being copied, so they may hold any text.
 *
 * This file also defines the small protocol shared by the CSV and NDJSON row parsers.
 */

import { DecimalScanner, describeInvalidNumber, parseDecimal } from "./parse-number.js";

/** Outcome of parsing one record. */
export const ROW_OK = 0;
/** The row is invalid; `describe()` says why. */
export const ROW_INVALID = 1;
/** A quoted field is still open at the end of the text: append the next line and parse again. */
export const ROW_NEED_MORE = 2;
/** Nothing to parse (whitespace-only line, NDJSON). */
export const ROW_BLANK = 3;
export type RowStatus = typeof ROW_OK | typeof ROW_INVALID | typeof ROW_NEED_MORE | typeof ROW_BLANK;

/** Why a row was invalid; the table reader adds the file and line. */
export interface RowProblem {
  readonly detail: string;
  /** 1-based field index. */
  readonly column?: number;
  readonly columnName?: string;
}

/**
 * Parses one record `text[start, end)` into the selected slots: features into
 * `X[xOff + k]`, targets into `Y[yOff + t]`. Slots of an invalid row hold garbage.
 */
export interface RowParser {
  parse(text: string, start: number, end: number, X: Float64Array, xOff: number, Y: Float64Array, yOff: number): RowStatus;
  /** After `parse` returned `ROW_INVALID` (or `ROW_NEED_MORE` at the end of input) on the same text. */
  describe(text: string, start: number, end: number): RowProblem;
}

/** `dest[j]` for a column that is not selected. */
export const DEST_SKIP = -1;
/** `dest[j]` for target `t`: negative codes below `DEST_SKIP`. */
export function targetDest(t: number): number {
  return -2 - t;
}

const QUOTE = 34;
const SPACE = 32;
const TAB = 9;

/** Index of the quote closing the field opened at `open`, or -1 if it is not closed before `end`. */
function closingQuote(text: string, open: number, end: number): number {
  let i = open + 1;
  for (;;) {
    const q = text.indexOf('"', i);
    if (q === -1 || q >= end) return -1;
    if (q + 1 < end && text.charCodeAt(q + 1) === QUOTE) {
      i = q + 2;
      continue;
    }
    return q;
  }
}

/** First index at or after `p` that is not a blank (space, or tab unless tab is the delimiter). */
function skipBlanks(text: string, p: number, end: number, delimiter: number): number {
  while (p < end) {
    const c = text.charCodeAt(p);
    if (c !== SPACE && (c !== TAB || delimiter === TAB)) break;
    p++;
  }
  return p;
}

/** Result of `splitCsvRecord`. */
export interface SplitRecord {
  status: typeof ROW_OK | typeof ROW_INVALID | typeof ROW_NEED_MORE;
  /** Field values, quotes removed and `""` unescaped (the fields before the problem, if any). */
  fields: string[];
  /** For `ROW_INVALID`: 0-based index of the malformed quoted field, and the offending character. */
  badField: number;
  badChar: string;
}

/** Splits one record into strings (header, error messages; not the hot path). */
export function splitCsvRecord(text: string, start: number, end: number, delimiter: number): SplitRecord {
  const fields: string[] = [];
  let pos = start;
  for (;;) {
    let fieldEnd: number;
    if (pos < end && text.charCodeAt(pos) === QUOTE) {
      const close = closingQuote(text, pos, end);
      if (close === -1) return { status: ROW_NEED_MORE, fields, badField: fields.length, badChar: "" };
      fields.push(text.slice(pos + 1, close).replaceAll('""', '"'));
      fieldEnd = skipBlanks(text, close + 1, end, delimiter);
      if (fieldEnd < end && text.charCodeAt(fieldEnd) !== delimiter) {
        return { status: ROW_INVALID, fields, badField: fields.length - 1, badChar: text[fieldEnd] };
      }
    } else {
      fieldEnd = text.indexOf(String.fromCharCode(delimiter), pos);
      if (fieldEnd === -1 || fieldEnd > end) fieldEnd = end;
      fields.push(text.slice(pos, fieldEnd));
    }
    if (fieldEnd >= end) return { status: ROW_OK, fields, badField: -1, badChar: "" };
    pos = fieldEnd + 1;
  }
}

const KIND_CELL = 1;
const KIND_RAGGED = 2;
const KIND_MALFORMED = 3;

/** Row parser for CSV with a fixed header of `header.length` columns. */
export class CsvRowParser implements RowParser {
  private readonly nColumns: number;
  private readonly delimiterChar: string;
  private readonly scanner = new DecimalScanner();
  private kind = 0;
  private badColumn = -1;
  private fieldCount = 0;

  /**
   * @param header  column names (for messages)
   * @param dest    per column: feature index k ≥ 0, `targetDest(t)`, or `DEST_SKIP`
   * @param delimiter  char code of the field separator
   */
  constructor(
    private readonly header: readonly string[],
    private readonly dest: Int32Array,
    private readonly delimiter: number,
  ) {
    this.nColumns = header.length;
    this.delimiterChar = String.fromCharCode(delimiter);
  }

  parse(text: string, start: number, end: number, X: Float64Array, xOff: number, Y: Float64Array, yOff: number): RowStatus {
    const dest = this.dest;
    const delimiter = this.delimiter;
    const nColumns = this.nColumns;
    const scanner = this.scanner;
    let badColumn = -1;
    let col = 0;
    let pos = start;
    for (;;) {
      const slot = col < nColumns ? dest[col] : DEST_SKIP;
      let fieldEnd: number;
      let value = 0;
      if (pos < end && text.charCodeAt(pos) === QUOTE) {
        const close = closingQuote(text, pos, end);
        if (close === -1) return ROW_NEED_MORE;
        fieldEnd = skipBlanks(text, close + 1, end, delimiter);
        if (fieldEnd < end && text.charCodeAt(fieldEnd) !== delimiter) {
          this.kind = KIND_MALFORMED;
          this.badColumn = col;
          return ROW_INVALID;
        }
        if (slot !== DEST_SKIP) {
          const escaped = text.indexOf('"', pos + 1) !== close;
          value = escaped ? NaN : parseDecimal(text, pos + 1, close);
        }
      } else if (slot !== DEST_SKIP) {
        // Parse the number and find the end of the field in one pass.
        value = scanner.scan(text, pos, end, delimiter);
        fieldEnd = scanner.stop >= 0 ? scanner.stop : this.fieldEnd(text, pos, end);
      } else {
        fieldEnd = this.fieldEnd(text, pos, end);
      }
      if (slot !== DEST_SKIP) {
        if (Number.isNaN(value)) {
          if (badColumn < 0) badColumn = col;
        } else if (slot >= 0) {
          X[xOff + slot] = value;
        } else {
          Y[yOff - 2 - slot] = value;
        }
      }
      col++;
      if (fieldEnd >= end) break;
      pos = fieldEnd + 1;
    }
    // A wrong field count explains any bad cell (the values are shifted), so it wins.
    if (col !== nColumns) {
      this.kind = KIND_RAGGED;
      this.fieldCount = col;
      return ROW_INVALID;
    }
    if (badColumn >= 0) {
      this.kind = KIND_CELL;
      this.badColumn = badColumn;
      return ROW_INVALID;
    }
    return ROW_OK;
  }

  describe(text: string, start: number, end: number): RowProblem {
    const split = splitCsvRecord(text, start, end, this.delimiter);
    if (split.status === ROW_NEED_MORE) {
      return this.located(split.fields.length, "unterminated quoted field");
    }
    if (this.kind === KIND_MALFORMED || split.status === ROW_INVALID) {
      return this.located(
        split.badField,
        `malformed quoted field: unexpected ${JSON.stringify(split.badChar)} after the closing quote`,
      );
    }
    if (this.kind === KIND_RAGGED) {
      const got = this.fieldCount;
      return this.located(
        Math.min(got, this.nColumns),
        `expected ${this.nColumns} fields as in the header, got ${got}`,
      );
    }
    const j = this.badColumn;
    return this.located(j, describeInvalidNumber(split.fields[j]));
  }

  /** End of the unquoted field starting at `pos`: the next delimiter, or `end`. */
  private fieldEnd(text: string, pos: number, end: number): number {
    const i = text.indexOf(this.delimiterChar, pos);
    return i === -1 || i > end ? end : i;
  }

  private located(j: number, detail: string): RowProblem {
    if (j < this.nColumns) return { detail, column: j + 1, columnName: this.header[j] };
    return { detail, column: j + 1 };
  }
}
