/**
 * Streaming regression metrics in constant memory (River `metrics.*`, stdlib `incr*` style): one
 * accumulator per run, updated one row at a time, mergeable across shards.
 *
 * Per target j, over the n rows seen, with residual e_ij = y_ij − ŷ_ij:
 *
 *   MSE_j = (1/n) Σ_i e_ij²          MAE_j = (1/n) Σ_i |e_ij|
 *   R²_j  = 1 − SSE_j / SST_j,       SSE_j = n·MSE_j,   SST_j = Σ_i (y_ij − ȳ_j)²
 *   NLL   = (1/n) Σ_i −log p(y_i | x_i)   (the model's joint density of the q targets of row i)
 *
 * The means are kept as running means (m ← m + (v − m)/n), and SST by Welford's centered update
 * (M2 ← M2 + (y − ȳ_old)(y − ȳ_new)), so no raw Σy² is ever formed and there is no catastrophic
 * cancellation for targets with a large offset (STYLE.md §c2). Merging two accumulators uses Chan
 * et al.'s pairwise formula, so sharded evaluation equals the sequential one up to rounding.
 *
 * Scalar summaries for q > 1 (the `mse`, `mae`, `r2` fields of `MetricsSummary`):
 *  - `mse` and `mae` average over all n·q residuals, i.e. the plain mean of the per-target values;
 *  - `r2` is the uniform average of the per-target R² (scikit-learn `multioutput="uniform_average"`);
 *  - `nll` is not averaged over targets: it is the joint NLL per row.
 * R²_j is NaN when SST_j = 0 (constant target) or n < 2: R² is undefined there.
 *
 * @see Chan, Golub & LeVeque (1979), "Updating formulae and a pairwise algorithm for computing
 *      sample variances"; Welford (1962), Technometrics 4(3):419–420.
 */

/** The metrics of one accumulator, original units. */
export interface MetricsSummary {
  /** Rows evaluated. */
  readonly n: number;
  /** Number of targets q. */
  readonly q: number;
  /** Mean negative log predictive density per row (joint over the q targets). NaN if no NLL was given. */
  readonly nll: number;
  /** Mean squared error, averaged over targets. */
  readonly mse: number;
  /** Mean absolute error, averaged over targets. */
  readonly mae: number;
  /** Coefficient of determination, uniform average of the per-target values. */
  readonly r2: number;
  /** Per-target values, length q. */
  readonly perTarget: { readonly mse: number[]; readonly mae: number[]; readonly r2: number[] };
}

/**
 * Constant-memory accumulator of MSE, MAE, R² (per target) and mean NLL (per row).
 * O(q) per update, allocates nothing after construction.
 *
 * @example
 * const m = new RegressionMetrics(1);
 * m.update([1], 0, [1.5], 0, 0.7);
 * m.update([3], 0, [2.5], 0, 0.9);
 * m.summary().mse; // => 0.25
 */
export class RegressionMetrics {
  /** Number of targets q. */
  readonly q: number;
  private count = 0;
  private nllCount = 0;
  private nllMean = 0;
  private readonly sqMean: Float64Array; // q running means of e²
  private readonly absMean: Float64Array; // q running means of |e|
  private readonly yMean: Float64Array; // q running means of y (Welford)
  private readonly yM2: Float64Array; // q centered sums of squares Σ(y − ȳ)² (Welford)

  /** @param q number of targets, an int ≥ 1 */
  constructor(q: number) {
    if (!Number.isInteger(q) || q < 1) throw new RangeError(`RegressionMetrics requires q to be an int in the range [1, inf), got ${q}`);
    this.q = q;
    this.sqMean = new Float64Array(q);
    this.absMean = new Float64Array(q);
    this.yMean = new Float64Array(q);
    this.yM2 = new Float64Array(q);
  }

  /** Rows seen. */
  get n(): number {
    return this.count;
  }

  /**
   * Adds one row: targets `y[yo .. yo+q)`, predicted means `mean[mo .. mo+q)` and the row's NLL
   * (pass NaN to leave the NLL out). Non-finite y or predictions, a squared error that overflows
   * (|y − ŷ| > 1.3e154) or an infinite NLL throw a RangeError, and the row is not counted.
   */
  update(y: ArrayLike<number>, yo: number, mean: ArrayLike<number>, mo: number, nll: number): void {
    const q = this.q;
    for (let j = 0; j < q; j++) {
      if (!Number.isFinite(y[yo + j]) || !Number.isFinite(mean[mo + j])) {
        throw new RangeError(`RegressionMetrics.update requires finite values; target ${j} has y = ${y[yo + j]}, prediction ${mean[mo + j]}`);
      }
    }
    for (let j = 0; j < q; j++) {
      const e = y[yo + j] - mean[mo + j];
      if (!Number.isFinite(e * e)) {
        throw new RangeError(`the squared error of target ${j} overflows (y = ${y[yo + j]}, prediction ${mean[mo + j]})`);
      }
    }
    if (Number.isNaN(nll) ? false : !Number.isFinite(nll)) {
      throw new RangeError(`the negative log-likelihood is ${nll} (y = ${y[yo]} is beyond what the model's density can represent)`);
    }
    this.count++;
    const n = this.count;
    for (let j = 0; j < q; j++) {
      const yj = y[yo + j];
      const e = yj - mean[mo + j];
      this.sqMean[j] += (e * e - this.sqMean[j]) / n;
      this.absMean[j] += (Math.abs(e) - this.absMean[j]) / n;
      const delta = yj - this.yMean[j];
      this.yMean[j] += delta / n;
      this.yM2[j] += delta * (yj - this.yMean[j]);
    }
    if (!Number.isNaN(nll)) {
      this.nllCount++;
      this.nllMean += (nll - this.nllMean) / this.nllCount;
    }
  }

  /** Folds `other` (same q) into this accumulator (Chan et al. pairwise update). Returns this. */
  merge(other: RegressionMetrics): this {
    if (other.q !== this.q) throw new RangeError(`RegressionMetrics.merge requires the same q, got ${other.q} and ${this.q}`);
    const na = this.count;
    const nb = other.count;
    const n = na + nb;
    if (nb === 0) return this;
    for (let j = 0; j < this.q; j++) {
      const delta = other.yMean[j] - this.yMean[j];
      this.yM2[j] += other.yM2[j] + (delta * delta * na * nb) / n;
      this.yMean[j] += (delta * nb) / n;
      this.sqMean[j] += ((other.sqMean[j] - this.sqMean[j]) * nb) / n;
      this.absMean[j] += ((other.absMean[j] - this.absMean[j]) * nb) / n;
    }
    const ma = this.nllCount;
    const mb = other.nllCount;
    if (mb > 0) {
      this.nllMean += ((other.nllMean - this.nllMean) * mb) / (ma + mb);
      this.nllCount = ma + mb;
    }
    this.count = n;
    return this;
  }

  /** The current metrics (see the file header for the q > 1 aggregation). */
  summary(): MetricsSummary {
    const q = this.q;
    const n = this.count;
    const mse: number[] = [];
    const mae: number[] = [];
    const r2: number[] = [];
    for (let j = 0; j < q; j++) {
      mse.push(n > 0 ? this.sqMean[j] : NaN);
      mae.push(n > 0 ? this.absMean[j] : NaN);
      const sst = this.yM2[j];
      r2.push(n >= 2 && sst > 0 ? 1 - (n * this.sqMean[j]) / sst : NaN);
    }
    const avg = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
    return {
      n,
      q,
      nll: this.nllCount > 0 ? this.nllMean : NaN,
      mse: avg(mse),
      mae: avg(mae),
      r2: avg(r2),
      perTarget: { mse, mae, r2 },
    };
  }
}
