/**
 * DROPS dent-maize panel (substitute for the paper's proteomics maize set, see the shared data
 * README §2b): 246 hybrids, predictors = the 4,173 SNP columns (allele dose 0/1/2, no missing
 * values), response = one grain-yield column (default `gy_WD_mean`, mean yield under water deficit).
 * The id/group columns `Variety_ID, geneticGroup` and all other `gy_*` columns are not predictors.
 */

import { DataError } from "../../src/index.js";
import { csvHeader, readDataset, sharedDataPath, type Dataset } from "./table.js";

/** File name in the shared data folder. */
export const MAIZE_FILE = "dent_maize_drops.csv";
/** Id and group columns (not predictors). */
const MAIZE_IDS = ["Variety_ID", "geneticGroup"];

/**
 * Loads the maize SNP design with the chosen yield target, through the library's table reader
 * (strict: a missing value in the SNPs or the target throws a located DataError).
 * @param target a `gy_*` column, e.g. `gy_WD_mean` or `gy_WW_mean`
 * @param file CSV path (default: the shared data folder's copy)
 * @throws DataError if the target is not a `gy_*` column, or on missing values / unexpected shape
 */
export async function loadMaize(target = "gy_WD_mean", file: string = sharedDataPath(MAIZE_FILE)): Promise<Dataset> {
  const header = await csvHeader(file, MAIZE_IDS[0]);
  if (!target.startsWith("gy_") || !header.includes(target)) {
    throw new DataError(`target '${target}' is not one of the gy_* yield columns`, { file });
  }
  const snps = header.filter((name) => !name.startsWith("gy_") && !MAIZE_IDS.includes(name));
  const ds = await readDataset(file, snps, target);
  if (snps.length !== 4173 || ds.n !== 246) {
    throw new DataError(`unexpected maize data shape: ${ds.n} rows, ${snps.length} SNPs (expected 246, 4173)`, { file });
  }
  return ds;
}
