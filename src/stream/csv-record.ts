/**
 * CSV records that span lines (a quoted field holding a line break), assembled in linear time.
 *
 * `continueRecord` appends the following lines to a record whose quoted field is still open. An
 * `OpenQuoteScanner` carries the RFC 4180 scan state from line to line, so each character is
 * looked at once: a record of N lines costs O(total length), not O(N²) as re-parsing the whole
 * record after every line would (a quote followed by 64k lines of `""` took minutes that way).
 * A record longer than `MAX_RECORD_CHARS` is given up (an unclosed quote must not swallow the
 * file).
 */

import type { LineReader } from "./lines.js";

/** Cap on a CSV record spanning lines, in characters. */
export const MAX_RECORD_CHARS = 1 << 20;

const QUOTE = 34;
const SPACE = 32;
const TAB = 9;

const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const AFTER_CLOSE = 3;
/** Text after a closing quote: the record is malformed (and complete; the parser says why). */
const MALFORMED = 4;

/**
 * Incremental scan of one CSV record given in pieces (its lines): is a quoted field open at the
 * end? Same rules as `splitCsvRecord` (csv.ts): a field is quoted when its first character is a
 * quote, `""` inside stands for a quote, and after the closing quote only blanks may come before
 * the delimiter.
 */
export class OpenQuoteScanner {
  private state = FIELD_START;
  private readonly delimiterChar: string;

  constructor(private readonly delimiter: number) {
    this.delimiterChar = String.fromCharCode(delimiter);
  }

  /**
   * Scans the next piece `text[start, end)` (a piece ends where a line break was); true when a
   * quoted field is still open after it. A quote as the last character of a piece closes its
   * field, since a line break (not a quote) follows it.
   */
  feed(text: string, start: number, end: number): boolean {
    let pos = start;
    let state = this.state;
    while (pos < end || state === FIELD_START) {
      if (state === QUOTED) {
        const q = text.indexOf('"', pos);
        if (q === -1 || q >= end) {
          pos = end;
          break;
        }
        if (q + 1 < end && text.charCodeAt(q + 1) === QUOTE) {
          pos = q + 2;
          continue;
        }
        state = AFTER_CLOSE;
        pos = q + 1;
      } else if (state === FIELD_START) {
        if (pos < end && text.charCodeAt(pos) === QUOTE) {
          state = QUOTED;
          pos++;
        } else {
          state = UNQUOTED;
          if (pos >= end) break;
        }
      } else if (state === UNQUOTED) {
        const i = text.indexOf(this.delimiterChar, pos);
        if (i === -1 || i >= end) {
          pos = end;
          break;
        }
        state = FIELD_START;
        pos = i + 1;
      } else if (state === AFTER_CLOSE) {
        const c = text.charCodeAt(pos);
        if (c === SPACE || (c === TAB && this.delimiter !== TAB)) pos++;
        else if (c === this.delimiter) {
          state = FIELD_START;
          pos++;
        } else {
          state = MALFORMED;
          break;
        }
      } else {
        break;
      }
    }
    this.state = state;
    return state === QUOTED;
  }
}

/** A CSV record with a line break inside a quoted field: its text, or why it never closed. */
export type MultiLine = { ok: true; record: string } | { ok: false; why: string };

/**
 * Appends the lines following `firstPart` (a record whose quoted field is open at its end) until
 * the field closes, the input ends, or the record passes `MAX_RECORD_CHARS`. Linear in the length
 * of the record.
 */
export async function continueRecord(lines: LineReader, firstPart: string, delimiter: number): Promise<MultiLine> {
  const scanner = new OpenQuoteScanner(delimiter);
  scanner.feed(firstPart, 0, firstPart.length);
  const parts = [firstPart];
  let length = firstPart.length;
  for (;;) {
    if (!lines.next() && !(await lines.nextAsync())) {
      return { ok: false, why: "no closing quote before the end of the input" };
    }
    const open = scanner.feed(lines.text, lines.start, lines.end);
    parts.push(lines.text.slice(lines.start, lines.end));
    length += 1 + lines.end - lines.start;
    if (!open) return { ok: true, record: parts.join("\n") };
    if (length > MAX_RECORD_CHARS) {
      return { ok: false, why: `no closing quote within ${MAX_RECORD_CHARS} characters` };
    }
  }
}
