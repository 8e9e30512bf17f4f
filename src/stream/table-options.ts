/**
 * The options of `openTable` / `readAll` / `peekTableHeader`: their types, defaults and
 * validation (one `OptionError` naming the option), and the format and delimiter implied by a
 * file name.
 */

import type { Chunk } from "./lines.js";
import { OptionError } from "../core/errors.js";
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

/** Validated options, defaults filled in. */
export interface ResolvedTableOptions {
  source: string;
  input: AsyncIterable<Chunk> | undefined;
  format: TableFormat;
  targets: readonly string[];
  features: readonly string[] | undefined;
  skipInvalid: boolean;
  batchRows: number;
  /** Char code of the CSV field separator. */
  delimiter: number;
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
const COMMA = 44;
const TAB = 9;

/** The format implied by a file name: .ndjson / .jsonl (any case) → ndjson, otherwise csv. */
export function inferFormat(source: string): TableFormat {
  return /\.(ndjson|jsonl)$/i.test(source) ? "ndjson" : "csv";
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

/**
 * The delimiter char code for `source` in `format`: the `delimiter` option if given, else tab
 * for .tsv / .tab names, else a comma.
 */
export function resolveDelimiter(source: string, format: TableFormat, delimiter: unknown): number {
  if (delimiter === undefined) return /\.(tsv|tab)$/i.test(source) ? TAB : COMMA;
  if (typeof delimiter !== "string" || delimiter.length !== 1 || '"\r\n'.includes(delimiter)) {
    throw optionError("delimiter", "one character other than a quote or a line break", delimiter);
  }
  if (format !== "csv") throw optionError("delimiter", "left out for NDJSON input", delimiter);
  return delimiter.charCodeAt(0);
}

/** Validates `options` and fills the defaults; `OptionError` on the first problem. */
export function resolveTableOptions(options: TableReaderOptions): ResolvedTableOptions {
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
  return {
    source,
    input: input as AsyncIterable<Chunk> | undefined,
    format: resolvedFormat,
    targets: targetList,
    features: featureList,
    skipInvalid: skipInvalid ?? false,
    batchRows: batchRows ?? DEFAULT_BATCH_ROWS,
    delimiter: resolveDelimiter(source, resolvedFormat, delimiter),
  };
}
