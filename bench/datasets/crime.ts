/**
 * UCI Communities and Crime (normalised), the paper's N = 1994 set, prepared as in ALGORITHM.md §5.2:
 * 1. drop the 5 non-predictive columns `state, county, community, communityname, fold`;
 * 2. drop every remaining predictor with a missing value except `OtherPerCap` — these are exactly
 *    the 22 LEMAS police columns (1675 missing each; checked below);
 * 3. impute the single missing `OtherPerCap` (row 131, Natchezcity) by the median of the other 1993;
 * ⇒ 100 predictors (column order of the file) and the target `ViolentCrimesPerPop`, n = 1994.
 *
 * Note on the count: the file has 128 columns = 5 non-predictive + 122 predictive + 1 target, so
 * dropping the 22 LEMAS columns and imputing `OtherPerCap` leaves 122 − 22 = **100** predictors. The
 * shared data README says "99", which is the count if `OtherPerCap` is dropped instead of imputed;
 * this loader follows the stated recipe (impute), as does ALGORITHM.md §5.2 ("≈ 100 predictors").
 */

import { DataError } from "../../src/core/errors.js";
import { countMissing, medianOfPresent, readNumericCsv, sharedDataPath, toDataset, type Dataset } from "./csv-matrix.js";

/** File name in the shared data folder. */
export const CRIME_FILE = "communities_crime.csv";
/** Target column. */
export const CRIME_TARGET = "ViolentCrimesPerPop";
/** Non-predictive columns dropped first. */
export const CRIME_NON_PREDICTIVE = ["state", "county", "community", "communityname", "fold"] as const;

/**
 * Loads the prepared Communities & Crime data (see module header).
 * @param file CSV path (default: the shared data folder's copy)
 * @throws DataError if the file does not have the documented shape (100 predictors, 22 dropped)
 */
export function loadCrime(file: string = sharedDataPath(CRIME_FILE)): Dataset {
  const table = readNumericCsv(file, CRIME_NON_PREDICTIVE);
  const features: string[] = [];
  const droppedLemas: string[] = [];
  table.names.forEach((name, j) => {
    if (name === CRIME_TARGET) return;
    const miss = countMissing(table.columns[j]);
    if (name === "OtherPerCap") {
      if (miss > 0) {
        const med = medianOfPresent(table.columns[j]);
        table.columns[j].forEach((v, i, a) => { if (Number.isNaN(v)) a[i] = med; });
      }
      features.push(name);
    } else if (miss > 0) droppedLemas.push(name);
    else features.push(name);
  });
  if (droppedLemas.length !== 22 || features.length !== 100 || table.nRows !== 1994) {
    throw new DataError(`unexpected crime data shape: ${table.nRows} rows, ${features.length} predictors, ${droppedLemas.length} columns with missing values dropped (expected 1994, 100, 22)`, { file });
  }
  const ds = toDataset(table, features, CRIME_TARGET);
  if (countMissing(ds.y) > 0) throw new DataError(`missing values in the target ${CRIME_TARGET}`, { file });
  return ds;
}
