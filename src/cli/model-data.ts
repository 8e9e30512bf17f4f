/**
 * Opening a data file for a fitted model (`predict`, `evaluate`): the header is checked against
 * the model's columns first, so a mismatch names every missing column in one line.
 */
import { DataError, openTable, peekTableHeader, type Prediction, type TableFormat, type TableReader } from "../index.js";
import { missingColumns, type LoadedModel } from "./data.js";

/**
 * Opens `source` with the model's feature columns in the model's order (and its targets when
 * `withTargets`). Without targets the first feature is read through the reader's target slot (the
 * reader needs one): the row is then `[Y[i], X[i, ...]]`. With `withTargets = "if-present"` the
 * targets are read when the header has every target column (`reader.targetNames` says which).
 */
export async function openForModel(
  source: string,
  format: TableFormat,
  skipInvalid: boolean,
  loaded: LoadedModel,
  modelPath: string,
  withTargets: boolean | "if-present",
  batchRows: number,
): Promise<TableReader> {
  const { features, targets } = loaded;
  const peek = await peekTableHeader(source, { format });
  if (withTargets === "if-present") withTargets = peek.header !== null && targets.every((t) => (peek.header as readonly string[]).includes(t));
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

/**
 * A located DataError when a prediction is not finite (a finite but extreme input, or extreme
 * parameters, can overflow: e.g. a mean of ±Infinity or a variance of Inf − Inf = NaN); null
 * otherwise. Printing such numbers with exit 0 would pass garbage on to a script.
 */
export function nonFinitePrediction(pred: Prediction, targets: readonly string[], file: string, line: number): DataError | null {
  const q = targets.length;
  let what: string | null = null;
  for (let j = 0; j < q && what === null; j++) {
    if (!Number.isFinite(pred.mean[j])) what = `${targets[j]}_mean = ${pred.mean[j]}`;
    else if (!Number.isFinite(pred.variance[j])) what = `${targets[j]}_var = ${pred.variance[j]}`;
  }
  for (let k = 0; k < pred.gate.length && what === null; k++) {
    if (!Number.isFinite(pred.gate[k])) what = `gate_${k + 1} = ${pred.gate[k]}`;
  }
  if (what === null) return null;
  return new DataError(`the prediction is not finite (${what}): the row is beyond the range the model's numbers can represent`, { file, line });
}
