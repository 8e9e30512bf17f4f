/**
 * How a batch of stream rows enters the shared model: one call per batch, and the count of skipped
 * entries kept in the model's metadata (so it is committed with the batch, like the rows).
 */
import type { MoeRegressor } from "../index.js";

/** Model metadata key counting the entries skipped by every worker (malformed with --skip-invalid, or deleted). */
export const SKIPPED_META = "skippedEntries";

/**
 * One batch of raw rows (m×d X, m×q Y) into the model as ONE mini-batch ISMM step (the batch
 * statistic at the current θ blended into s once, one M-step: docs/MINIBATCH.md); before
 * initialization the rows fill its buffer and the rest of the call is the first batch.
 */
export function learnRows(model: MoeRegressor, X: Float64Array, Y: Float64Array, m: number): void {
  if (m > 0) model.learnBatch(X, Y, m);
}

/** Adds `n` to the model's count of skipped entries. */
export function addSkipped(model: MoeRegressor, n: number): void {
  if (n === 0) return;
  const before = Number(model.meta[SKIPPED_META] ?? 0);
  model.meta = { ...model.meta, [SKIPPED_META]: before + n };
}
