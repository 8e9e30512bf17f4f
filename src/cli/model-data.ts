/**
 * Opening a data file for a fitted model (`predict`, `evaluate`): the header is checked against
 * the model's columns first, so a mismatch names every missing column in one line.
 */
import { openTable, peekTableHeader, type TableFormat, type TableReader } from "../index.js";
import { missingColumns, type LoadedModel } from "./data.js";

/**
 * Opens `source` with the model's feature columns in the model's order (and its targets when
 * `withTargets`). Without targets the first feature is read through the reader's target slot (the
 * reader needs one): the row is then `[Y[i], X[i, ...]]`.
 */
export async function openForModel(
  source: string,
  format: TableFormat,
  skipInvalid: boolean,
  loaded: LoadedModel,
  modelPath: string,
  withTargets: boolean,
  batchRows: number,
): Promise<TableReader> {
  const { features, targets } = loaded;
  const peek = await peekTableHeader(source, { format });
  if (peek.header !== null) {
    const needed = withTargets ? [...features, ...targets] : features;
    const err = missingColumns(peek.header, needed, source, peek.line, `the model '${modelPath}'`);
    if (err !== null) {
      if (peek.input !== undefined) await peek.input[Symbol.asyncIterator]().return?.();
      throw err;
    }
  }
  const input = peek.input;
  if (withTargets) return openTable({ source, input, format, targets, features, skipInvalid, batchRows });
  return openTable({ source, input, format, targets: [features[0]], features: features.slice(1), skipInvalid, batchRows });
}
