/**
 * Seeded synthetic MoE streams (River `synth.*` style) for demos, tests and benchmarks.
 *
 *   x ~ inputs distribution (uniform box or Gaussian with per-column mean/scale/correlation)
 *   k ~ Categorical(π(x; W)),   y_j = β_kjᵀ(1, x) + σ_kj ε,  ε ~ N(0, 1)
 *   (with `params.covariance`: y = B_kᵀ(1, x) + C_k ε, ε ~ N_q(0, I), Σ_k = C_k C_kᵀ its Cholesky factor)
 *
 * Parameters are in original units (`MoeParameters`). Every draw uses the `Rng` passed in.
 */
import type { Rng } from "../core/rng.js";
import { moeLayout, type MoeLayout } from "../model/dims.js";
import { createRowWorkspace, expertMeans, logGate } from "../model/moe.js";
import { parametersFromTheta, thetaFromParameters, type MoeParameters } from "../model/parameters.js";

/** How inputs are drawn. */
export type InputSpec =
  | { readonly kind: "uniform"; readonly low: number; readonly high: number }
  | {
      readonly kind: "gaussian";
      /** Per-column means (length d) or one value for all. */
      readonly mean: number | readonly number[];
      /** Per-column standard deviations (length d) or one value for all. */
      readonly scale: number | readonly number[];
      /** Equicorrelation ρ ∈ [0, 1) between columns (x = √ρ·z0 + √(1−ρ)·z). Default 0. */
      readonly correlation?: number;
    };

export interface SyntheticSpec {
  readonly K: number;
  readonly d: number;
  readonly q: number;
  readonly params: MoeParameters;
  readonly inputs: InputSpec;
}

export interface SyntheticData {
  readonly X: Float64Array; // n×d
  readonly Y: Float64Array; // n×q
  readonly Z: Int32Array; // n latent experts
  readonly n: number;
  readonly d: number;
  readonly q: number;
}

function pick(v: number | readonly number[], a: number): number {
  return typeof v === "number" ? v : v[a];
}

/** Draws one input vector into x[0..d). */
export function drawInputs(spec: InputSpec, d: number, rng: Rng, x: Float64Array, xo = 0): void {
  if (spec.kind === "uniform") {
    for (let a = 0; a < d; a++) x[xo + a] = spec.low + (spec.high - spec.low) * rng.next();
    return;
  }
  const rho = spec.correlation ?? 0;
  const z0 = rho > 0 ? rng.normal() : 0;
  for (let a = 0; a < d; a++) {
    const z = Math.sqrt(rho) * z0 + Math.sqrt(1 - rho) * rng.normal();
    x[xo + a] = pick(spec.mean, a) + pick(spec.scale, a) * z;
  }
}

/** A generator of rows from `spec`; `next` writes x (d) and y (q) and returns the latent expert. */
export function syntheticStream(spec: SyntheticSpec, rng: Rng): { layout: MoeLayout; next(x: Float64Array, y: Float64Array): number } {
  // Correlated noise when the spec gives full covariances (y = μ_k + C_k z, Σ_k = C_k C_kᵀ).
  const L = moeLayout({ K: spec.K, d: spec.d, q: spec.q, covariance: spec.params.covariance !== undefined ? "full" : "diagonal" });
  const theta = thetaFromParameters(L, spec.params);
  const zs = new Float64Array(L.q);
  const ws = createRowWorkspace(L);
  const design = new Float64Array(L.p);
  return {
    layout: L,
    next(x: Float64Array, y: Float64Array): number {
      drawInputs(spec.inputs, L.d, rng, x);
      design[0] = 1;
      for (let a = 0; a < L.d; a++) design[1 + a] = x[a];
      logGate(L, theta, design, 0, ws.logPi);
      let u = rng.next();
      let k = L.K - 1;
      for (let c = 0; c < L.K; c++) {
        u -= Math.exp(ws.logPi[c]);
        if (u < 0) {
          k = c;
          break;
        }
      }
      expertMeans(L, theta, design, 0, ws.mu);
      for (let j = 0; j < L.q; j++) {
        zs[j] = rng.normal();
        let e = Math.exp(0.5 * theta[L.logSigma2 + k * L.q + j]) * zs[j];
        const ro = L.chol + k * L.nChol + ((j * (j - 1)) >> 1);
        for (let i = 0; i < j && L.full; i++) e += theta[ro + i] * zs[i];
        y[j] = ws.mu[k * L.q + j] + e;
      }
      return k;
    },
  };
}

/** Draws n rows. */
export function sampleSynthetic(spec: SyntheticSpec, n: number, rng: Rng): SyntheticData {
  const s = syntheticStream(spec, rng);
  const X = new Float64Array(n * spec.d);
  const Y = new Float64Array(n * spec.q);
  const Z = new Int32Array(n);
  const x = new Float64Array(spec.d);
  const y = new Float64Array(spec.q);
  for (let i = 0; i < n; i++) {
    Z[i] = s.next(x, y);
    X.set(x, i * spec.d);
    Y.set(y, i * spec.q);
  }
  return { X, Y, Z, n, d: spec.d, q: spec.q };
}

/**
 * A random well-separated MoE (for tests and benchmarks): gate vectors with slopes N(0, gateScale²),
 * expert coefficients N(0, 1)·coefScale, variances σ² = noise² · exp(N(0, 0.25²)).
 * In original units for inputs with the given per-column means and scales, so
 * unstandardized designs get sensible logits.
 */
export function randomMoeSpec(
  K: number, d: number, q: number, rng: Rng,
  opts: { gateScale?: number; coefScale?: number; noise?: number; inputs?: InputSpec } = {},
): SyntheticSpec {
  const inputs: InputSpec = opts.inputs ?? { kind: "gaussian", mean: 0, scale: 1 };
  const gateScale = opts.gateScale ?? 3;
  const coefScale = opts.coefScale ?? 2;
  const noise = opts.noise ?? 0.5;
  const L = moeLayout({ K, d, q });
  const t = new Float64Array(L.size);
  const center = (a: number) => (inputs.kind === "uniform" ? (inputs.low + inputs.high) / 2 : pick(inputs.mean, a));
  const spread = (a: number) => (inputs.kind === "uniform" ? (inputs.high - inputs.low) / Math.sqrt(12) : pick(inputs.scale, a));
  for (let k = 0; k < K - 1; k++) {
    let shift = 0;
    for (let a = 0; a < d; a++) {
      const w = (gateScale * rng.normal()) / Math.sqrt(d) / spread(a);
      t[L.gate + k * L.p + 1 + a] = w;
      shift += w * center(a);
    }
    t[L.gate + k * L.p] = 0.5 * rng.normal() - shift;
  }
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < q; j++) {
      const o = L.beta + (k * q + j) * L.p;
      let shift = 0;
      for (let a = 0; a < d; a++) {
        const b = (coefScale * rng.normal()) / Math.sqrt(d) / spread(a);
        t[o + 1 + a] = b;
        shift += b * center(a);
      }
      t[o] = coefScale * rng.normal() - shift;
      t[L.logSigma2 + k * q + j] = 2 * Math.log(noise) + 0.25 * rng.normal();
    }
  }
  return { K, d, q, inputs, params: parametersFromTheta(L, t) };
}
