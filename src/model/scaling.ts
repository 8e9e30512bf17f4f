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

/**
 * Fits a scaler to the first n rows of raw X (n×d) and Y (n×q): mean and sample standard
 * deviation (two-pass, so no catastrophic cancellation). A column with zero or non-finite spread
 * gets scale 1 (it is then only centered).
 */
export function fitScaler(X: Float64Array, d: number, Y: Float64Array, q: number, n: number): Scaler {
  const sc = identityScaler(d, q);
  const col = (A: Float64Array, m: number, j: number, mean: Float64Array, scale: Float64Array) => {
    let mu = 0;
    for (let i = 0; i < n; i++) mu += A[i * m + j];
    mu /= n;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const z = A[i * m + j] - mu;
      ss += z * z;
    }
    const sd = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
    mean[j] = mu;
    scale[j] = sd > 1e-12 * Math.max(1, Math.abs(mu)) && Number.isFinite(sd) ? sd : 1;
  };
  for (let j = 0; j < d; j++) col(X, d, j, sc.xMean, sc.xScale);
  for (let j = 0; j < q; j++) col(Y, q, j, sc.yMean, sc.yScale);
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
    }
  }
  return t;
}
