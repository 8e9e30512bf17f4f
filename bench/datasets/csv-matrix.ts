/**
 * Small synchronous reader for the numeric CSV files in the shared data folder (bench and tests
 * only; the library's own streaming reader lives in `src/stream`).
 *
 * Format (see ../shared/data/README.md): one header row, comma-separated, no quoting, LF or CRLF
 * line endings, an empty cell is a missing value (returned as NaN). Columns listed in `drop` are
 * not parsed at all (so string columns such as `communityname` can be skipped); any other cell that
 * is not a number throws a `DataError` with file, line and column.
 */

import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DataError } from "../../src/core/errors.js";

/** Project root: two levels above this file (bench/datasets/). */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * Folder of the shared data sets: `$ISMM_SHARED_DATA` if set, else `<projectRoot>/../shared/data`.
 */
export function sharedDataDir(): string {
  const env = process.env.ISMM_SHARED_DATA;
  return env !== undefined && env !== "" ? path.resolve(env) : path.resolve(projectRoot, "../shared/data");
}

/** Full path of a file in the shared data folder. */
export function sharedDataPath(file: string): string {
  return path.join(sharedDataDir(), file);
}

/** True when the shared data file exists (tests skip otherwise). */
export function hasSharedData(file: string): boolean {
  return existsSync(sharedDataPath(file));
}

/** A numeric table stored column by column; missing cells are NaN. */
export interface NumericTable {
  readonly names: string[];
  readonly columns: Float64Array[];
  readonly nRows: number;
}

/**
 * Reads a numeric CSV file into columns.
 * @param file path of the CSV file
 * @param drop header names of columns to skip (need not be numeric); every name must exist
 * @throws DataError on a ragged row, an unknown dropped column or a non-numeric cell
 */
export function readNumericCsv(file: string, drop: readonly string[] = []): NumericTable {
  const text = readFileSync(file, "utf8");
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  if (lines.length === 0) throw new DataError("empty file, expected a header row", { file });
  const header = lines[0].split(",");
  for (const name of drop) {
    if (!header.includes(name)) throw new DataError(`column to drop '${name}' is not in the header`, { file, line: 1 });
  }
  const keep = header.map((h, j) => (drop.includes(h) ? -1 : j)).filter((j) => j >= 0);
  const nRows = lines.length - 1;
  const columns = keep.map(() => new Float64Array(nRows));
  for (let r = 0; r < nRows; r++) {
    const cells = lines[r + 1].split(",");
    if (cells.length !== header.length) {
      throw new DataError(`expected ${header.length} cells, got ${cells.length}`, { file, line: r + 2 });
    }
    for (let c = 0; c < keep.length; c++) {
      const j = keep[c];
      const cell = cells[j];
      let v = NaN;
      if (cell !== "") {
        v = Number(cell);
        if (!Number.isFinite(v) || cell.trim() !== cell) {
          throw new DataError(`expected a number or an empty cell, got '${cell}'`, { file, line: r + 2, column: j + 1, columnName: header[j] });
        }
      }
      columns[c][r] = v;
    }
  }
  return { names: keep.map((j) => header[j]), columns, nRows };
}

/** Number of NaN (missing) entries of a column. */
export function countMissing(col: Float64Array): number {
  let m = 0;
  for (const v of col) if (Number.isNaN(v)) m++;
  return m;
}

/** Median of the non-missing entries (mean of the two middle values for an even count). */
export function medianOfPresent(col: Float64Array): number {
  const v = Float64Array.from(col.filter((x) => !Number.isNaN(x))).sort();
  if (v.length === 0) return NaN;
  const h = v.length >> 1;
  return v.length % 2 === 1 ? v[h] : (v[h - 1] + v[h]) / 2;
}

/** Regression data: X flat row-major n × d, y length n, column names length d. */
export interface Dataset {
  readonly X: Float64Array;
  readonly y: Float64Array;
  readonly n: number;
  readonly d: number;
  readonly names: string[];
}

/** Packs the named columns of a table into a row-major design matrix. */
export function toDataset(table: NumericTable, features: readonly string[], target: string): Dataset {
  const idx = (name: string): number => {
    const j = table.names.indexOf(name);
    if (j < 0) throw new DataError(`column '${name}' not found`);
    return j;
  };
  const cols = features.map((f) => table.columns[idx(f)]);
  const y = Float64Array.from(table.columns[idx(target)]);
  const n = table.nRows;
  const d = cols.length;
  const X = new Float64Array(n * d);
  for (let j = 0; j < d; j++) for (let i = 0; i < n; i++) X[i * d + j] = cols[j][i];
  return { X, y, n, d, names: [...features] };
}
