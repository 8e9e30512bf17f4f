/**
 * Stream entries → rows. Each entry is one row, its fields the column names, its values parsed by
 * the CSV reader's strict number parser (parseNumberStrict). A malformed entry — a missing field,
 * a field given twice, an empty, NaN/Infinity or non-numeric value, or one beyond ±1e150 (the
 * model refuses those) — is a located DataError naming the entry id and the field, or with
 * `skipInvalid` is counted and skipped. Fields not used by the model are ignored.
 */
import { DataError, describeInvalidNumber, parseNumberStrict } from "../index.js";

/** An entry as ioredis returns it: the id and the flat [field, value, field, value, …] list (null: deleted). */
export type RawEntry = [id: string, fields: string[] | null];

/** Largest magnitude the model accepts (estimators/learn-row.ts checkRow). */
const MAX_ABS = 1e150;

export interface ParsedEntries {
  /** Every id of the input, valid or not: the whole read is acknowledged with its commit. */
  readonly ids: string[];
  /** Index into `ids` of each row of X/Y. */
  readonly rowOf: number[];
  readonly X: Float64Array;
  readonly Y: Float64Array;
  readonly m: number;
  /** Entries skipped (malformed with skipInvalid, or deleted from the stream), by index into `ids`. */
  readonly skipped: number[];
  /** The located message of each skipped entry, in order (deleted entries: a short note). */
  readonly reasons: string[];
}

export interface Columns {
  readonly features: readonly string[];
  readonly targets: readonly string[];
}

/** The fields of an entry as a map; DataError for a field given twice. */
function fieldMap(fields: readonly string[], where: string): Map<string, string> | DataError {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (map.has(fields[i])) return new DataError(`field '${fields[i]}' appears twice in the entry`, { file: where });
    map.set(fields[i], fields[i + 1]);
  }
  return map;
}

/** Where an entry is, for messages: `redis://host:port/stream entry 1712345-0`. */
export function entryLocation(label: string, id: string): string {
  return `${label} entry ${id}`;
}

/**
 * The feature columns of a model started from `first`: `features` when given, else every field
 * of the entry except the targets, in the entry's order. DataError when none is left.
 */
export function featureColumns(first: RawEntry, targets: readonly string[], features: readonly string[] | undefined, label: string): string[] {
  if (features !== undefined) return [...features];
  const where = entryLocation(label, first[0]);
  const fields = first[1] ?? [];
  const map = fieldMap(fields, where);
  if (map instanceof DataError) throw map;
  const out = [...map.keys()].filter((f) => !targets.includes(f));
  if (out.length === 0) throw new DataError(`no feature fields: the entry has only the target field(s) ${targets.map((t) => `'${t}'`).join(", ")}; pass --features`, { file: where });
  return out;
}

/** Parses `entries` into row-major X (m×d) and Y (m×q); see the file comment for what is malformed. */
export function parseEntries(entries: readonly RawEntry[], cols: Columns, label: string, skipInvalid: boolean): ParsedEntries {
  const d = cols.features.length;
  const q = cols.targets.length;
  const X = new Float64Array(entries.length * d);
  const Y = new Float64Array(entries.length * q);
  const ids: string[] = [];
  const rowOf: number[] = [];
  const skipped: number[] = [];
  const reasons: string[] = [];
  let m = 0;
  for (const [id, fields] of entries) {
    const index = ids.length;
    ids.push(id);
    if (fields === null) {
      skipped.push(index);
      reasons.push(`${entryLocation(label, id)}: deleted from the stream before it was learned`);
      continue;
    }
    const problem = parseRow(fields, cols, entryLocation(label, id), X, m * d, Y, m * q);
    if (problem === null) {
      rowOf.push(index);
      m++;
      continue;
    }
    if (!skipInvalid) throw problem;
    skipped.push(index);
    reasons.push(problem.message);
  }
  return { ids, rowOf, X: X.subarray(0, m * d), Y: Y.subarray(0, m * q), m, skipped, reasons };
}

function parseRow(fields: readonly string[], cols: Columns, where: string, X: Float64Array, xo: number, Y: Float64Array, yo: number): DataError | null {
  const map = fieldMap(fields, where);
  if (map instanceof DataError) return map;
  const one = (name: string): number | DataError => {
    const raw = map.get(name);
    if (raw === undefined) return new DataError("missing field (the entry has no such field); --skip-invalid skips such entries", { file: where, columnName: name });
    const v = parseNumberStrict(raw);
    if (Number.isNaN(v)) return new DataError(describeInvalidNumber(raw), { file: where, columnName: name });
    if (Math.abs(v) > MAX_ABS) {
      return new DataError(`value ${raw.trim()}: too large to compute with (beyond ±1e150); --skip-invalid skips such entries`, { file: where, columnName: name });
    }
    return v;
  };
  for (let j = 0; j < cols.targets.length; j++) {
    const v = one(cols.targets[j]);
    if (v instanceof DataError) return v;
    Y[yo + j] = v;
  }
  for (let a = 0; a < cols.features.length; a++) {
    const v = one(cols.features[a]);
    if (v instanceof DataError) return v;
    X[xo + a] = v;
  }
  return null;
}

/** The rows of `p` whose entry index is in `keep` (after some ids were learned by another worker). */
export function keepRows(p: ParsedEntries, keep: (index: number) => boolean, d: number, q: number): { X: Float64Array; Y: Float64Array; m: number; skipped: number } {
  const X = new Float64Array(p.m * d);
  const Y = new Float64Array(p.m * q);
  let m = 0;
  for (let r = 0; r < p.m; r++) {
    if (!keep(p.rowOf[r])) continue;
    X.set(p.X.subarray(r * d, (r + 1) * d), m * d);
    Y.set(p.Y.subarray(r * q, (r + 1) * q), m * q);
    m++;
  }
  const skipped = p.skipped.filter(keep).length;
  return { X: X.subarray(0, m * d), Y: Y.subarray(0, m * q), m, skipped };
}
