/**
 * The bench data sets as in-memory matrices, read through the library's table reader (`openTable`
 * / `readAll`, the same strict parser as the CLI), plus where the shared data folder is.
 *
 * The reader is strict: an empty cell (a missing value in the shared files) makes its row invalid.
 * So a complete set of columns is read in one strict `readAll` (any missing value throws a located
 * `DataError`), and a column with missing values is read on its own with `skipInvalid`, which
 * counts its missing cells ({@link countInvalid}) or, row by row, places them ({@link readColumn}).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DataError, openTable, readAll } from "../../src/index.js";

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

/** Regression data: X flat row-major n × d, y length n, column names length d. */
export interface Dataset {
  readonly X: Float64Array;
  readonly y: Float64Array;
  readonly n: number;
  readonly d: number;
  readonly names: string[];
}

/**
 * The column names of a CSV file (its header; no data row is parsed).
 * @param column a column the file must have (the reader needs one to open the table)
 * @throws DataError if the file has no such column
 */
export async function csvHeader(file: string, column: string): Promise<readonly string[]> {
  const reader = await openTable({ source: file, format: "csv", targets: [column], features: [] });
  reader.close();
  return reader.header;
}

/**
 * Reads the named feature columns and the target of a CSV file (strict: a missing or non-numeric
 * cell in any of them throws a located `DataError`).
 */
export async function readDataset(file: string, features: readonly string[], target: string): Promise<Dataset> {
  const t = await readAll({ source: file, format: "csv", targets: [target], features });
  return { X: t.X, y: t.Y, n: t.n, d: features.length, names: [...features] };
}

/** Number of rows whose cell in `column` is missing or not a number. */
export async function countInvalid(file: string, column: string): Promise<number> {
  return (await readAll({ source: file, format: "csv", targets: [column], features: [], skipInvalid: true })).skipped.count;
}

/**
 * One column of a CSV file with `nRows` data rows, NaN where the cell is missing or not a number.
 * Rows are placed by their file line (header on line 1, no blank lines).
 * @throws DataError if a row lies beyond `nRows` (the file has blank lines or more rows)
 */
export async function readColumn(file: string, column: string, nRows: number): Promise<Float64Array> {
  const out = new Float64Array(nRows).fill(NaN);
  const reader = await openTable({ source: file, format: "csv", targets: [column], features: [], skipInvalid: true, batchRows: 1 });
  try {
    for await (const batch of reader.batches()) {
      const row = batch.firstLine - 2;
      if (row < 0 || row >= nRows) throw new DataError(`expected ${nRows} data rows without blank lines`, { file, line: batch.firstLine });
      out[row] = batch.Y[0];
    }
  } finally {
    reader.close();
  }
  return out;
}

/** Median of the non-missing entries (mean of the two middle values for an even count). */
export function medianOfPresent(col: Float64Array): number {
  const v = Float64Array.from(col.filter((x) => !Number.isNaN(x))).sort();
  if (v.length === 0) return NaN;
  const h = v.length >> 1;
  return v.length % 2 === 1 ? v[h] : (v[h - 1] + v[h]) / 2;
}
