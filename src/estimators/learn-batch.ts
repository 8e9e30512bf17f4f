/**
 * `MoeRegressor.learnBatch`: m raw rows as ONE mini-batch ISMM step. Every row is checked first (a
 * RowError leaves the model unchanged); rows go to the initialization buffer until it is full (the
 * model then initializes), and the rest of the call is one batch (learn-row.ts `learnRowsAsBatch`).
 */
import { InputError, RowError } from "../core/errors.js";
import type { MoeLayout } from "../model/dims.js";
import { initialize } from "./initialize.js";
import { checkRow, learnRow, learnRowsAsBatch } from "./learn-row.js";
import type { RegressorState } from "./state.js";

/** X is m×d row-major, Y m×q, raw units; L already matches their widths. */
export function learnBatchChecked(st: RegressorState, L: MoeLayout, X: ArrayLike<number>, Y: ArrayLike<number>, m: number): void {
  const { d, q } = L;
  if (st.finished && st.learner?.storesRows) throw new InputError(`learnBatch after finish() is not supported for method '${st.options.method}' (batch EM fits once)`);
  for (let i = 0; i < m; i++) {
    try {
      checkRow("learnBatch", i, X, i * d, d, Y, i * q, q);
    } catch (e) {
      if (e instanceof RowError) st.counters.rejected++;
      throw e;
    }
  }
  let i = 0;
  while (i < m && st.learner === null) {
    if (learnRow(st, L, X, i * d, Y, i * q)) initialize(st, false);
    i++;
  }
  if (i < m) learnRowsAsBatch(st, L, X, i * d, Y, i * q, m - i);
}
