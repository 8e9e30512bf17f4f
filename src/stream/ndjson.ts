/**
 * NDJSON / JSON Lines rows: one JSON object per line (`.ndjson`, `.jsonl`).
 *
 * - The keys of the first object are the header (the available columns, in order).
 * - Each selected key must be present in every object with a finite JSON number. `null` is a
 *   missing value; numeric strings such as `"1.5"` are rejected (strict); so are booleans, arrays
 *   and objects. Other keys are ignored and may hold anything.
 * - Lines holding only whitespace are skipped.
 */

import { DataError } from "../core/errors.js";
import { quoteValue } from "./parse-number.js";
import { ROW_BLANK, ROW_INVALID, ROW_OK, type RowParser, type RowProblem, type RowStatus } from "./csv.js";

/** JSON insignificant whitespace (RFC 8259): space, tab, LF, CR. */
function isJsonBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** True when `text[start, end)` holds only JSON whitespace. */
export function isBlankJson(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    if (!isJsonBlank(text.charCodeAt(i))) return false;
  }
  return true;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string ${quoteValue(value)}`;
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}

type ParsedLine = { ok: true; object: Record<string, unknown> } | { ok: false; detail: string };

/** Parses one line as a JSON object, or says why it is not one. */
export function parseJsonObject(line: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return { ok: false, detail: `invalid JSON: ${(err as Error).message}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, detail: `expected a JSON object, got ${kindOf(value)}` };
  }
  return { ok: true, object: value as Record<string, unknown> };
}

/** The header of an NDJSON source: the keys of its first object (`line` is that line). */
export function ndjsonHeader(line: string, file: string, lineNo: number): string[] {
  const parsed = parseJsonObject(line);
  if (!parsed.ok) {
    throw new DataError(`${parsed.detail} (the first object defines the columns)`, { file, line: lineNo });
  }
  return Object.keys(parsed.object);
}

/** Row parser for NDJSON; `keys` are the feature names followed by the target names. */
export class NdjsonRowParser implements RowParser {
  private readonly keys: readonly string[];

  constructor(
    private readonly features: readonly string[],
    private readonly targets: readonly string[],
  ) {
    this.keys = [...features, ...targets];
  }

  parse(text: string, start: number, end: number, X: Float64Array, xOff: number, Y: Float64Array, yOff: number): RowStatus {
    if (isBlankJson(text, start, end)) return ROW_BLANK;
    let value: unknown;
    try {
      value = JSON.parse(text.slice(start, end));
    } catch {
      return ROW_INVALID;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) return ROW_INVALID;
    const object = value as Record<string, unknown>;
    // A key absent from the object reads as undefined or as an inherited non-number, so the
    // type test also rejects missing keys; `describe` tells the cases apart.
    const features = this.features;
    for (let k = 0; k < features.length; k++) {
      const v = object[features[k]];
      if (typeof v !== "number" || !Number.isFinite(v)) return ROW_INVALID;
      X[xOff + k] = v;
    }
    const targets = this.targets;
    for (let t = 0; t < targets.length; t++) {
      const v = object[targets[t]];
      if (typeof v !== "number" || !Number.isFinite(v)) return ROW_INVALID;
      Y[yOff + t] = v;
    }
    return ROW_OK;
  }

  describe(text: string, start: number, end: number): RowProblem {
    const parsed = parseJsonObject(text.slice(start, end));
    if (!parsed.ok) return { detail: parsed.detail };
    const object = parsed.object;
    for (const key of this.keys) {
      if (!Object.hasOwn(object, key)) return { detail: `missing key ${JSON.stringify(key)}`, columnName: key };
      const v = object[key];
      if (v === null) return { detail: "missing value (null)", columnName: key };
      if (typeof v === "number") {
        if (!Number.isFinite(v)) return { detail: "non-finite value (number outside the range of a double)", columnName: key };
        continue;
      }
      const numericString = typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v));
      const hint = numericString ? " (numeric strings are not accepted)" : "";
      return { detail: `expected a number, got ${kindOf(v)}${hint}`, columnName: key };
    }
    return { detail: "invalid row" };
  }
}
