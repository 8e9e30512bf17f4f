/**
 * Column selection: which header column feeds which feature or target slot, with one located
 * message naming an unknown column (and a near miss, and the columns there are).
 */

import { DataError, type DataLocation } from "../core/errors.js";
import { DEST_SKIP, targetDest } from "./csv.js";
import { oneLine } from "./parse-number.js";

/** How many column names an "unknown column" message lists. */
const MAX_LISTED_NAMES = 20;

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

export interface Columns {
  featureNames: readonly string[];
  /** Per header column: feature index, `targetDest(t)` or `DEST_SKIP`. */
  dest: Int32Array;
}

/**
 * Maps `targets` and `features` (default: every non-target column) onto the header;
 * `DataError` at `location` for an unknown column or no feature column.
 */
export function resolveColumns(
  header: readonly string[],
  targets: readonly string[],
  features: readonly string[] | undefined,
  location: DataLocation,
): Columns {
  const index = new Map<string, number>();
  header.forEach((name, j) => index.set(name, j));
  const dest = new Int32Array(header.length).fill(DEST_SKIP);
  targets.forEach((name, t) => {
    const j = index.get(name);
    if (j === undefined) throw unknownColumn("target", name, header, location);
    dest[j] = targetDest(t);
  });
  let featureNames: readonly string[];
  if (features === undefined) {
    featureNames = header.filter((name) => !targets.includes(name));
    if (featureNames.length === 0) {
      throw new DataError(
        `no feature columns: the header has only the target column(s) ${listNames(targets)}; pass 'features: []' to read none`,
        location,
      );
    }
  } else {
    featureNames = features;
  }
  featureNames.forEach((name, k) => {
    const j = index.get(name);
    if (j === undefined) throw unknownColumn("feature", name, header, location);
    dest[j] = k;
  });
  return { featureNames, dest };
}
