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

import { DataError } from "../../src/index.js";
import { countInvalid, csvHeader, medianOfPresent, readColumn, readDataset, sharedDataPath, type Dataset } from "./table.js";

/** File name in the shared data folder. */
export const CRIME_FILE = "communities_crime.csv";
/** Target column. */
export const CRIME_TARGET = "ViolentCrimesPerPop";
/** Non-predictive columns dropped first. */
export const CRIME_NON_PREDICTIVE = ["state", "county", "community", "communityname", "fold"] as const;
/** The one predictor with a missing value that is imputed instead of dropped. */
const IMPUTED = "OtherPerCap";

/**
 * Loads the prepared Communities & Crime data (see module header). Reads the file through the
 * library's table reader: once per predictor to find the columns with missing values (about 120
 * small passes over a 1 MB file), then once for the kept columns.
 * @param file CSV path (default: the shared data folder's copy)
 * @throws DataError if the file does not have the documented shape (100 predictors, 22 dropped)
 */
export async function loadCrime(file: string = sharedDataPath(CRIME_FILE)): Promise<Dataset> {
  const header = await csvHeader(file, CRIME_TARGET);
  const predictors = header.filter((name) => name !== CRIME_TARGET && !(CRIME_NON_PREDICTIVE as readonly string[]).includes(name));
  const droppedLemas: string[] = [];
  for (const name of predictors) {
    if (name !== IMPUTED && (await countInvalid(file, name)) > 0) droppedLemas.push(name);
  }
  const features = predictors.filter((name) => !droppedLemas.includes(name));
  // Every kept column but the imputed one is complete: the strict read throws on a missing cell.
  const j = features.indexOf(IMPUTED);
  const complete = await readDataset(file, features.filter((name) => name !== IMPUTED), CRIME_TARGET);
  const { n } = complete;
  if (droppedLemas.length !== 22 || features.length !== 100 || j < 0 || n !== 1994) {
    throw new DataError(`unexpected crime data shape: ${n} rows, ${features.length} predictors, ${droppedLemas.length} columns with missing values dropped (expected 1994, 100, 22)`, { file });
  }
  const imputed = await readColumn(file, IMPUTED, n);
  const med = medianOfPresent(imputed);
  imputed.forEach((v, i, a) => { if (Number.isNaN(v)) a[i] = med; });
  const d = features.length;
  const X = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    X.set(complete.X.subarray(i * (d - 1), i * (d - 1) + j), i * d);
    X[i * d + j] = imputed[i];
    X.set(complete.X.subarray(i * (d - 1) + j, (i + 1) * (d - 1)), i * d + j + 1);
  }
  return { X, y: complete.y, n, d, names: features };
}
