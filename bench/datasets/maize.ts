/**
 * DROPS dent-maize panel (substitute for the paper's proteomics maize set, see the shared data
 * README §2b): 246 hybrids, predictors = the 4,173 SNP columns (allele dose 0/1/2, no missing
 * values), response = one grain-yield column (default `gy_WD_mean`, mean yield under water deficit).
 * The id/group columns `Variety_ID, geneticGroup` and all other `gy_*` columns are not predictors.
 */

import { DataError } from "../../src/core/errors.js";
import { countMissing, readNumericCsv, sharedDataPath, toDataset, type Dataset } from "./csv-matrix.js";

/** File name in the shared data folder. */
export const MAIZE_FILE = "dent_maize_drops.csv";

/**
 * Loads the maize SNP design with the chosen yield target.
 * @param target a `gy_*` column, e.g. `gy_WD_mean` or `gy_WW_mean`
 * @param file CSV path (default: the shared data folder's copy)
 * @throws DataError if the target is not a `gy_*` column, or on missing values / unexpected shape
 */
export function loadMaize(target = "gy_WD_mean", file: string = sharedDataPath(MAIZE_FILE)): Dataset {
  const table = readNumericCsv(file, ["Variety_ID", "geneticGroup"]);
  if (!target.startsWith("gy_") || !table.names.includes(target)) {
    throw new DataError(`target '${target}' is not one of the gy_* yield columns`, { file });
  }
  const snps = table.names.filter((name) => !name.startsWith("gy_"));
  if (snps.length !== 4173 || table.nRows !== 246) {
    throw new DataError(`unexpected maize data shape: ${table.nRows} rows, ${snps.length} SNPs (expected 246, 4173)`, { file });
  }
  const ds = toDataset(table, snps, target);
  if (countMissing(ds.X) > 0 || countMissing(ds.y) > 0) throw new DataError("missing values in the maize SNPs or target", { file });
  return ds;
}
