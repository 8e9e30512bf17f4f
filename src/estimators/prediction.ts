/** What `MoeRegressor` predicts, one row (`predictOne`, `predictInto`) or many (`predict`). */

/** One prediction (original units). */
export interface Prediction {
  /** q predictive means E[y_j | x]. */
  readonly mean: Float64Array;
  /** q predictive variances Var[y_j | x] (law of total variance). */
  readonly variance: Float64Array;
  /** K gate probabilities π_k(x). */
  readonly gate: Float64Array;
  /** K×q per-expert means β_kjᵀx (row k = expert k). */
  readonly expertMeans: Float64Array;
  /** MAP expert argmax_k π_k(x) (0-based). */
  expert: number;
  /**
   * q×q predictive covariance Cov[y | x] (row-major, law of total covariance; its diagonal is
   * `variance`): present for models with `covariance: "full"` (docs/COVARIANCE.md).
   */
  readonly covariance?: Float64Array;
}

/** Batch predictions: row-major n×q, n×q, n×K, n. */
export interface Predictions {
  readonly n: number;
  readonly mean: Float64Array;
  readonly variance: Float64Array;
  readonly gate: Float64Array;
  readonly expert: Int32Array;
  /** n×q×q predictive covariances (models with `covariance: "full"` only). */
  readonly covariance?: Float64Array;
}
