/**
 * Affine scaling of inputs and targets, and the exact map of θ between scaled and original units.
 *
 *   x̃_a = (x_a − m_a)/s_a,   ỹ_j = (y_j − μ_j)/σ_j
 *
 * If η_k = w̃_kᵀ(1, x̃) and ỹ_j ~ N(β̃_kjᵀ(1, x̃), σ̃²_kj) then in original units
 *   w_k0 = w̃_k0 − Σ_a w̃_ka m_a/s_a,            w_ka = w̃_ka / s_a
 *   β_kj0 = μ_j + σ_j (β̃_kj0 − Σ_a β̃_kja m_a/s_a),   β_kja = σ_j β̃_kja / s_a
 *   σ²_kj = σ_j² σ̃²_kj
 * and the log-density changes by the Jacobian: log p(y|x) = log p̃(ỹ|x̃) − Σ_j log σ_j.
 */
import type { MoeLayout } from "./dims.js";

export interface Scaler {
  /** d input means m_a. */
  readonly xMean: Float64Array;
  /** d input scales s_a (> 0). */
  readonly xScale: Float64Array;
  /** q target means μ_j. */
  readonly yMean: Float64Array;
  /** q target scales σ_j (> 0). */
  readonly yScale: Float64Array;
}

/** The identity scaler (no scaling). */
export function identityScaler(d: number, q: number): Scaler {
  return { xMean: new Float64Array(d), xScale: new Float64Array(d).fill(1), yMean: new Float64Array(q), yScale: new Float64Array(q).fill(1) };
}

/** Normal-consistency factor of the interquartile range: IQR/1.349 estimates σ for Gaussian data. */
const IQR_TO_SD = 1.349;

/**
 * Robust location and scale of one column (n values at A[j], A[m + j], …), sorted in `buf`:
 * the median, and IQR/1.349; where the IQR is 0 (e.g. a 0/1 column with few ones), the standard
 * deviation of the values between the 1st and 99th percentiles; where that is 0 too, 1. One
 * extreme value cannot move either (unlike mean/sd, where a single 1e12 makes every other row
 * look constant, and a single 1e154 overflows the sum of squares).
 */
function robustColumn(A: Float64Array, m: number, j: number, n: number, buf: Float64Array): { center: number; scale: number } {
  for (let i = 0; i < n; i++) buf[i] = A[i * m + j];
  const v = buf.subarray(0, n).sort();
  const at = (f: number): number => {
    const h = (n - 1) * f;
    const lo = Math.floor(h);
    const hi = Math.min(lo + 1, n - 1);
    return v[lo] + (h - lo) * (v[hi] - v[lo]);
  };
  const center = at(0.5);
  const tiny = 1e-12 * Math.max(1, Math.abs(center));
  const iqr = (at(0.75) - at(0.25)) / IQR_TO_SD;
  if (iqr > tiny && Number.isFinite(iqr)) return { center, scale: iqr };
  const lo = at(0.01);
  const hi = at(0.99);
  let mu = 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (v[i] >= lo && v[i] <= hi) {
      mu += v[i];
      k++;
    }
  }
  mu /= k;
  let ss = 0;
  for (let i = 0; i < n; i++) if (v[i] >= lo && v[i] <= hi) ss += (v[i] - mu) * (v[i] - mu);
  const sd = k > 1 ? Math.sqrt(ss / (k - 1)) : 0;
  return { center, scale: sd > tiny && Number.isFinite(sd) ? sd : 1 };
}

/**
 * Fits a robust scaler to the first n rows of raw X (n×d) and Y (n×q): per column the median and
 * the interquartile range / 1.349 (see `robustColumn` for the fallbacks). O(n log n) per column,
 * once, at initialization.
 */
export function fitScaler(X: Float64Array, d: number, Y: Float64Array, q: number, n: number): Scaler {
  const sc = identityScaler(d, q);
  if (n === 0) return sc;
  const buf = new Float64Array(n);
  for (let j = 0; j < d; j++) {
    const r = robustColumn(X, d, j, n, buf);
    sc.xMean[j] = r.center;
    sc.xScale[j] = r.scale;
  }
  for (let j = 0; j < q; j++) {
    const r = robustColumn(Y, q, j, n, buf);
    sc.yMean[j] = r.center;
    sc.yScale[j] = r.scale;
  }
  return sc;
}

/** Writes the scaled design row (1, x̃) of raw x (read at xo) into out[oo..oo+d+1). */
export function scaleDesign(sc: Scaler, x: ArrayLike<number>, xo: number, d: number, out: Float64Array, oo: number): void {
  out[oo] = 1;
  for (let a = 0; a < d; a++) out[oo + 1 + a] = (x[xo + a] - sc.xMean[a]) / sc.xScale[a];
}

/** Writes scaled targets ỹ of raw y (read at yo) into out[oo..oo+q). */
export function scaleTargets(sc: Scaler, y: ArrayLike<number>, yo: number, q: number, out: Float64Array, oo: number): void {
  for (let j = 0; j < q; j++) out[oo + j] = (y[yo + j] - sc.yMean[j]) / sc.yScale[j];
}

/** Σ_j log σ_j: add to a scaled-units NLL to get the NLL in original units. */
export function nllShift(sc: Scaler): number {
  let s = 0;
  for (let j = 0; j < sc.yScale.length; j++) s += Math.log(sc.yScale[j]);
  return s;
}

/** θ in original units from θ̃ in scaled units (module formulas). Returns a new array. */
export function thetaToOriginal(L: MoeLayout, sc: Scaler, thetaScaled: Float64Array): Float64Array {
  const { K, q, p, d } = L;
  const t = thetaScaled.slice();
  for (let k = 0; k < K - 1; k++) {
    const o = L.gate + k * p;
    let shift = 0;
    for (let a = 0; a < d; a++) {
      t[o + 1 + a] = thetaScaled[o + 1 + a] / sc.xScale[a];
      shift += t[o + 1 + a] * sc.xMean[a];
    }
    t[o] = thetaScaled[o] - shift;
  }
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < q; j++) {
      const o = L.beta + (k * q + j) * p;
      const sy = sc.yScale[j];
      let shift = 0;
      for (let a = 0; a < d; a++) {
        t[o + 1 + a] = (sy * thetaScaled[o + 1 + a]) / sc.xScale[a];
        shift += t[o + 1 + a] * sc.xMean[a];
      }
      t[o] = sc.yMean[j] + sy * thetaScaled[o] - shift;
      t[L.logSigma2 + k * q + j] = thetaScaled[L.logSigma2 + k * q + j] + 2 * Math.log(sy);
      // Full covariance: C = S_y C̃, row j of the Cholesky factor scales by sy_j (docs/COVARIANCE.md).
      const ro = L.chol + k * L.nChol + ((j * (j - 1)) >> 1);
      if (L.full) for (let i = 0; i < j; i++) t[ro + i] = sy * thetaScaled[ro + i];
    }
  }
  return t;
}

/** θ̃ in scaled units from θ in original units (inverse of `thetaToOriginal`). Returns a new array. */
export function thetaToScaled(L: MoeLayout, sc: Scaler, theta: Float64Array): Float64Array {
  const { K, q, p, d } = L;
  const t = theta.slice();
  for (let k = 0; k < K - 1; k++) {
    const o = L.gate + k * p;
    let shift = 0;
    for (let a = 0; a < d; a++) {
      t[o + 1 + a] = theta[o + 1 + a] * sc.xScale[a];
      shift += theta[o + 1 + a] * sc.xMean[a];
    }
    t[o] = theta[o] + shift;
  }
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < q; j++) {
      const o = L.beta + (k * q + j) * p;
      const sy = sc.yScale[j];
      let shift = 0;
      for (let a = 0; a < d; a++) {
        t[o + 1 + a] = (theta[o + 1 + a] * sc.xScale[a]) / sy;
        shift += theta[o + 1 + a] * sc.xMean[a];
      }
      t[o] = (theta[o] + shift - sc.yMean[j]) / sy;
      t[L.logSigma2 + k * q + j] = theta[L.logSigma2 + k * q + j] - 2 * Math.log(sy);
      const ro = L.chol + k * L.nChol + ((j * (j - 1)) >> 1);
      if (L.full) for (let i = 0; i < j; i++) t[ro + i] = theta[ro + i] / sy;
    }
  }
  return t;
}
