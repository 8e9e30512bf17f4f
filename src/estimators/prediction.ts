/** What `MoeRegressor` predicts, one row (`predictOne`, `predictInto`) or many (`predict`), and how. */
import type { MoeLayout } from "../model/dims.js";
import { predictiveCovariance } from "../model/full-covariance.js";
import { predictMoments, type RowWorkspace } from "../model/moe.js";
import { scaleDesign, type Scaler } from "../model/scaling.js";

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

/**
 * Predicts the raw input row x (d values, checked by the caller) into `out`, in original units:
 * x is scaled into `xs`, the moments come from the model (scaled units) and are mapped back.
 * Allocates nothing.
 */
export function predictRow(L: MoeLayout, sc: Scaler, theta: Float64Array, x: ArrayLike<number>, xs: Float64Array, ws: RowWorkspace, out: Prediction): Prediction {
  scaleDesign(sc, x, 0, L.d, xs, 0);
  out.expert = predictMoments(L, theta, xs, 0, ws, out.mean, out.variance);
  for (let k = 0; k < L.K; k++) {
    out.gate[k] = ws.a[k];
    for (let j = 0; j < L.q; j++) out.expertMeans[k * L.q + j] = sc.yMean[j] + sc.yScale[j] * ws.mu[k * L.q + j];
  }
  if (out.covariance !== undefined && L.full) {
    // Scaled units: the same π and μ, before the means are mapped back (Cov scales by sy_i·sy_j).
    predictiveCovariance(L, theta, ws, out.mean, out.covariance);
    for (let i = 0; i < L.q; i++) for (let j = 0; j < L.q; j++) out.covariance[i * L.q + j] *= sc.yScale[i] * sc.yScale[j];
  }
  for (let j = 0; j < L.q; j++) {
    out.mean[j] = sc.yMean[j] + sc.yScale[j] * out.mean[j];
    out.variance[j] *= sc.yScale[j] * sc.yScale[j];
  }
  return out;
}

/** An empty `Prediction` buffer for the layout. */
export function newPrediction(L: MoeLayout): Prediction {
  return {
    mean: new Float64Array(L.q), variance: new Float64Array(L.q), gate: new Float64Array(L.K),
    expertMeans: new Float64Array(L.K * L.q), expert: 0,
    ...(L.full ? { covariance: new Float64Array(L.q * L.q) } : {}),
  };
}

/** Empty `Predictions` for n rows. */
export function newPredictions(L: MoeLayout, n: number): Predictions {
  return {
    n, mean: new Float64Array(n * L.q), variance: new Float64Array(n * L.q), gate: new Float64Array(n * L.K), expert: new Int32Array(n),
    ...(L.full ? { covariance: new Float64Array(n * L.q * L.q) } : {}),
  };
}

/** Stores one row's prediction as row i of `res`. */
export function storePrediction(L: MoeLayout, res: Predictions, i: number, out: Prediction): void {
  res.mean.set(out.mean, i * L.q);
  res.variance.set(out.variance, i * L.q);
  res.gate.set(out.gate, i * L.K);
  res.expert[i] = out.expert;
  if (res.covariance !== undefined && out.covariance !== undefined) res.covariance.set(out.covariance, i * L.q * L.q);
}
