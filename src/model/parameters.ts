/**
 * Structured (nested-array) view of θ for users and model files, and its flat inverse.
 * Gate rows and expert rows are length-p vectors with the intercept first.
 */
import { InputError } from "../core/errors.js";
import type { MoeLayout } from "./dims.js";
import { expertCovariance, setExpertCovariance } from "./full-covariance.js";

/** The floor of `setExpertCovariance` when reading user parameters: the smallest positive double (a pivot ≤ 0 is reported, not repaired). */
const MIN_FLOOR = Float64Array.of(Number.MIN_VALUE);

export interface MoeParameters {
  /** (K−1) × p: row k is w_k (the K-th gate vector is fixed at 0). */
  readonly gate: number[][];
  /** K × q × p: beta[k][j] is β_kj. */
  readonly beta: number[][][];
  /** K × q: expert variances σ²_kj (with full covariance, the diagonal of Σ_k). */
  readonly sigma2: number[][];
  /**
   * K × q × q: the full expert covariance Σ_k (models with `covariance: "full"`; absent otherwise).
   * When given to `thetaFromParameters` for a full layout it takes precedence over `sigma2`.
   */
  readonly covariance?: number[][][];
}

/** Nested view of a flat θ. */
export function parametersFromTheta(L: MoeLayout, theta: Float64Array): MoeParameters {
  const { K, q, p } = L;
  const gate: number[][] = [];
  for (let k = 0; k < K - 1; k++) gate.push(Array.from(theta.subarray(L.gate + k * p, L.gate + (k + 1) * p)));
  const beta: number[][][] = [];
  const sigma2: number[][] = [];
  for (let k = 0; k < K; k++) {
    const bk: number[][] = [];
    const sk: number[] = [];
    for (let j = 0; j < q; j++) {
      const o = L.beta + (k * q + j) * p;
      bk.push(Array.from(theta.subarray(o, o + p)));
      sk.push(Math.exp(theta[L.logSigma2 + k * q + j]));
    }
    beta.push(bk);
    sigma2.push(sk);
  }
  if (!L.full) return { gate, beta, sigma2 };
  const covariance: number[][][] = [];
  const m = new Float64Array(q * q);
  for (let k = 0; k < K; k++) {
    expertCovariance(L, theta, k, m, 0);
    const rows: number[][] = [];
    for (let i = 0; i < q; i++) rows.push(Array.from(m.subarray(i * q, (i + 1) * q)));
    covariance.push(rows);
    for (let j = 0; j < q; j++) sigma2[k][j] = m[j * q + j];
  }
  return { gate, beta, sigma2, covariance };
}

function expectArray(v: unknown, n: number, what: string): unknown[] {
  if (!Array.isArray(v) || v.length !== n) throw new InputError(`${what} must be an array of length ${n}, got ${Array.isArray(v) ? `length ${v.length}` : typeof v}`);
  return v;
}

function expectNumber(v: unknown, what: string, positive = false): number {
  if (typeof v !== "number" || !Number.isFinite(v) || (positive && !(v > 0))) {
    throw new InputError(`${what} must be a finite${positive ? " positive" : ""} number, got ${String(v)}`);
  }
  return v;
}

/** Flat θ from the nested view, validating every shape and value. */
export function thetaFromParameters(L: MoeLayout, P: MoeParameters): Float64Array {
  const { K, q, p } = L;
  const t = new Float64Array(L.size);
  const gate = expectArray(P.gate, K - 1, "parameters.gate");
  gate.forEach((row, k) => expectArray(row, p, `parameters.gate[${k}]`).forEach((v, i) => (t[L.gate + k * p + i] = expectNumber(v, `parameters.gate[${k}][${i}]`))));
  const beta = expectArray(P.beta, K, "parameters.beta");
  const sig = expectArray(P.sigma2, K, "parameters.sigma2");
  for (let k = 0; k < K; k++) {
    const bk = expectArray(beta[k], q, `parameters.beta[${k}]`);
    const sk = expectArray(sig[k], q, `parameters.sigma2[${k}]`);
    for (let j = 0; j < q; j++) {
      expectArray(bk[j], p, `parameters.beta[${k}][${j}]`).forEach((v, i) => (t[L.beta + (k * q + j) * p + i] = expectNumber(v, `parameters.beta[${k}][${j}][${i}]`)));
      t[L.logSigma2 + k * q + j] = Math.log(expectNumber(sk[j], `parameters.sigma2[${k}][${j}]`, true));
    }
  }
  if (P.covariance !== undefined) covarianceIntoTheta(L, P.covariance, t);
  return t;
}

/**
 * Σ_k from `parameters.covariance` into θ (log-Cholesky). Each Σ_k must be symmetric positive
 * definite; a diagonal layout accepts only diagonal matrices.
 */
function covarianceIntoTheta(L: MoeLayout, cov: unknown, t: Float64Array): void {
  const { K, q } = L;
  const sig = new Float64Array(q * q);
  const work = new Float64Array(q * q);
  expectArray(cov, K, "parameters.covariance").forEach((ck, k) => {
    expectArray(ck, q, `parameters.covariance[${k}]`).forEach((row, i) =>
      expectArray(row, q, `parameters.covariance[${k}][${i}]`).forEach((v, j) => (sig[i * q + j] = expectNumber(v, `parameters.covariance[${k}][${i}][${j}]`))),
    );
    for (let i = 0; i < q; i++) {
      for (let j = 0; j < i; j++) {
        const a = sig[i * q + j];
        const b = sig[j * q + i];
        if (Math.abs(a - b) > 1e-12 * Math.max(Math.abs(a), Math.abs(b), 1e-300)) {
          throw new InputError(`parameters.covariance[${k}] must be symmetric: [${i}][${j}] = ${a} but [${j}][${i}] = ${b}`);
        }
        if (!L.full && a !== 0) throw new InputError(`parameters.covariance[${k}][${i}][${j}] = ${a}: the model's covariance is 'diagonal' (use covariance: "full")`);
      }
    }
    // Floor 0: a pivot ≤ 0 (not positive definite) is reported, not repaired.
    const floored = setExpertCovariance(L, t, k, sig, 0, MIN_FLOOR, 0, work);
    if (floored > 0) throw new InputError(`parameters.covariance[${k}] must be positive definite`);
  });
}
