/** The row order of one pass of `MoeRegressor.fit` over a finite data set. */
import type { Rng } from "../core/rng.js";

export type EpochOrder = "shuffle" | "sequential" | "bootstrap";

/**
 * idx ← the rows of one pass: 0..n−1 in file order, a seeded Fisher–Yates permutation ("shuffle"),
 * or n i.i.d. draws with replacement ("bootstrap", the empirical-distribution stream of spec §1.1).
 */
export function fillEpochOrder(idx: Int32Array, order: EpochOrder, rng: Rng): void {
  const n = idx.length;
  for (let i = 0; i < n; i++) idx[i] = i;
  if (order === "shuffle") {
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
  } else if (order === "bootstrap") {
    for (let i = 0; i < n; i++) idx[i] = rng.int(n);
  }
}
