/**
 * The numbers behind `ismm plot`: a seeded reservoir sample of the data (constant memory), the
 * 1-feature curves (expert means, mixture mean, predictive quantiles, gates on a grid) and the
 * several-feature view (predictions, MAP experts, position along the gate's main direction).
 */
import { createRng, type Fitted1dData, type MoeRegressor, type MultiFeatureData, type TableReader } from "../index.js";

/** Up to `cap` rows drawn uniformly from the stream (reservoir sampling, seeded). */
export interface Sample {
  readonly n: number;
  readonly d: number;
  readonly q: number;
  readonly X: Float64Array;
  readonly Y: Float64Array;
  /** Rows in the stream. */
  readonly seen: number;
}

export async function reservoir(reader: TableReader, cap: number, seed: number): Promise<Sample> {
  const d = reader.featureNames.length;
  const q = reader.targetNames.length;
  const X = new Float64Array(cap * d);
  const Y = new Float64Array(cap * q);
  const rng = createRng(seed).fork(11);
  let seen = 0;
  for await (const b of reader.batches()) {
    for (let i = 0; i < b.n; i++, seen++) {
      const slot = seen < cap ? seen : rng.int(seen + 1);
      if (slot >= cap) continue;
      for (let a = 0; a < d; a++) X[slot * d + a] = b.X[i * d + a];
      for (let j = 0; j < q; j++) Y[slot * q + j] = b.Y[i * q + j];
    }
  }
  const n = Math.min(seen, cap);
  return { n, d, q, X: X.subarray(0, n * d), Y: Y.subarray(0, n * q), seen };
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26, |error| < 1.5e-7: far below a pixel). */
function normalCdf(z: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(z) / Math.SQRT2));
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(z * z) / 2);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** The `level` quantile of Σ_k w_k N(μ_k, σ²_k), by bisection on the CDF. */
export function mixtureQuantile(w: ArrayLike<number>, mu: ArrayLike<number>, sd: ArrayLike<number>, level: number): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let k = 0; k < w.length; k++) {
    lo = Math.min(lo, mu[k] - 10 * sd[k]);
    hi = Math.max(hi, mu[k] + 10 * sd[k]);
  }
  for (let it = 0; it < 80; it++) {
    const mid = 0.5 * (lo + hi);
    let c = 0;
    for (let k = 0; k < w.length; k++) c += w[k] * normalCdf((mid - mu[k]) / sd[k]);
    if (c < level) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** One feature: grid curves of target `j` over the sample's x range, plus the sampled points. */
export function oneFeatureData(model: MoeRegressor, s: Sample, j: number, names: { feature: string; target: string; title: string }): Fitted1dData {
  const K = model.nExperts;
  const sigma2 = model.parameters().sigma2;
  const xs = Array.from(s.X);
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const G = 201;
  const grid = Array.from({ length: G }, (_, g) => lo + ((hi - lo) * g) / (G - 1));
  const experts = Array.from({ length: K }, () => new Array<number>(G));
  const gate = Array.from({ length: K }, () => new Array<number>(G));
  const mean = new Array<number>(G);
  const lower = new Array<number>(G);
  const upper = new Array<number>(G);
  const pred = model.createPrediction();
  const x = new Float64Array(1);
  const mu = new Float64Array(K);
  const sd = new Float64Array(K);
  for (let k = 0; k < K; k++) sd[k] = Math.sqrt(sigma2[k][j]);
  for (let g = 0; g < G; g++) {
    x[0] = grid[g];
    model.predictInto(x, pred);
    for (let k = 0; k < K; k++) {
      mu[k] = pred.expertMeans[k * s.q + j];
      experts[k][g] = mu[k];
      gate[k][g] = pred.gate[k];
    }
    mean[g] = pred.mean[j];
    lower[g] = mixtureQuantile(pred.gate, mu, sd, 0.05);
    upper[g] = mixtureQuantile(pred.gate, mu, sd, 0.95);
  }
  const y = Array.from({ length: s.n }, (_, i) => s.Y[i * s.q + j]);
  return {
    x: xs, y, grid, experts, gate, mean, lower, upper,
    bandLabel: "90% predictive interval (5%–95%)", title: names.title, xTitle: names.feature, yTitle: names.target,
  };
}

/**
 * The gate's most important direction in standardized inputs: the top right singular vector of the
 * (K−1)×d matrix of gate slopes per sd of each feature (power iteration on WᵀW). Null for K = 1.
 */
export function gateDirection(model: MoeRegressor, sd: ArrayLike<number>): Float64Array | null {
  const K = model.nExperts;
  const d = sd.length;
  if (K === 1) return null;
  const W = model.parameters().gate.map((w) => Array.from({ length: d }, (_, a) => w[1 + a] * sd[a]));
  let v = new Float64Array(d).fill(1 / Math.sqrt(d));
  for (let it = 0; it < 200; it++) {
    const next = new Float64Array(d);
    for (const w of W) {
      let dot = 0;
      for (let a = 0; a < d; a++) dot += w[a] * v[a];
      for (let a = 0; a < d; a++) next[a] += dot * w[a];
    }
    const norm = Math.hypot(...next);
    if (!(norm > 0)) return null;
    for (let a = 0; a < d; a++) next[a] /= norm;
    v = next;
  }
  // Sign: the largest component positive, so the label reads naturally.
  let big = 0;
  for (let a = 1; a < d; a++) if (Math.abs(v[a]) > Math.abs(v[big])) big = a;
  if (v[big] < 0) for (let a = 0; a < d; a++) v[a] = -v[a];
  return v;
}

/** "0.83·x1 − 0.41·x2 + …" (the 4 largest weights). */
export function directionLabel(v: ArrayLike<number>, names: readonly string[]): string {
  const order = Array.from({ length: v.length }, (_, a) => a).sort((a, b) => Math.abs(v[b]) - Math.abs(v[a]));
  const shown = order.slice(0, 4).filter((a) => Math.abs(v[a]) >= 0.005);
  const terms = shown.map((a, i) => {
    const w = Math.abs(v[a]).toFixed(2);
    const sign = v[a] < 0 ? (i === 0 ? "−" : " − ") : i === 0 ? "" : " + ";
    return `${sign}${w}·${names[a]}`;
  });
  return `${terms.join("")}${order.length > shown.length ? " + …" : ""} (features in sd units)`;
}

/** Several features: predictions of target `j` for the sampled rows and their gate probabilities along the gate direction. */
export function multiFeatureData(model: MoeRegressor, s: Sample, j: number, features: readonly string[], target: string, title: string): MultiFeatureData {
  const K = model.nExperts;
  const { n, d, q } = s;
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);
  for (let a = 0; a < d; a++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += s.X[i * d + a];
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (s.X[i * d + a] - m) ** 2;
    mean[a] = m;
    sd[a] = n > 1 && v > 0 ? Math.sqrt(v / (n - 1)) : 1;
  }
  const dir = gateDirection(model, sd) ?? Float64Array.from({ length: d }, (_, a) => (a === 0 ? 1 : 0));
  const pred = model.createPrediction();
  const x = new Float64Array(d);
  const out: MultiFeatureData = {
    observed: [], predicted: [], expert: [], along: [], gate: Array.from({ length: K }, () => []), target,
    direction: K === 1 ? `${features[0]} (in sd units; one expert: the gate is 1)` : directionLabel(dir, features), title,
  };
  for (let i = 0; i < n; i++) {
    let t = 0;
    for (let a = 0; a < d; a++) {
      x[a] = s.X[i * d + a];
      t += (dir[a] * (x[a] - mean[a])) / sd[a];
    }
    model.predictInto(x, pred);
    out.observed.push(s.Y[i * q + j]);
    out.predicted.push(pred.mean[j]);
    out.expert.push(pred.expert + 1);
    out.along.push(t);
    for (let k = 0; k < K; k++) out.gate[k].push(pred.gate[k]);
  }
  return out;
}
