/**
 * Views of the fitted models for the demo's charts (no DOM): experts' means and gate on a 1-D grid,
 * or the most likely expert on a 2-D grid, with each model's experts coloured like the true (or,
 * for real data, ISMM's) expert they match.
 */
import { minCostAssignment, type MoeParameters, type MoeRegressor } from "../../src/web.js";
import { RACERS, type Racer } from "./racers.js";

/** Grid points of the 1-D fitted curves, pixels per side of the 2-D expert maps. */
const GRID_1D = 161;
const GRID_2D = 56;

/** Experts' means and gate on a 1-D grid, rows in display-colour order (K × G). */
export interface Curves1D {
  readonly mean: Float64Array;
  readonly gate: Float64Array;
}

export type FitView =
  | {
      readonly kind: "1d";
      readonly x: Float64Array;
      readonly truth: Curves1D | null;
      readonly models: Partial<Record<Racer, Curves1D>>;
      /** Recent rows (x, y). */
      readonly px: Float64Array;
      readonly py: Float64Array;
      readonly yRange: [number, number];
    }
  | {
      readonly kind: "2d";
      readonly res: number;
      readonly lo: [number, number];
      readonly hi: [number, number];
      /** Most likely expert (display colour) per pixel, row-major from (lo, lo). */
      readonly truth: Uint8Array | null;
      readonly models: Partial<Record<Racer, Uint8Array>>;
    }
  | { readonly kind: "none"; readonly d: number };

function softmaxRow(logits: number[]): number[] {
  const m = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Gate probabilities and expert means (first target) of explicit parameters at design (1, x). */
function evalParams(P: MoeParameters, x: ArrayLike<number>): { gate: number[]; mean: number[] } {
  const dot = (w: readonly number[]) => w.reduce((s, v, i) => s + v * (i === 0 ? 1 : x[i - 1]), 0);
  const logits = [...P.gate.map(dot), 0];
  return { gate: softmaxRow(logits), mean: P.beta.map((bk) => dot(bk[0])) };
}

/** colour[e] for the experts of `est`, matched to `ref`'s experts by least squared coefficient distance. */
function colours(est: MoeParameters, ref: MoeParameters): number[] {
  const K = est.beta.length;
  const cost = ref.beta.map((bt) => est.beta.map((be) => be[0].reduce((s, v, i) => s + (v - bt[0][i]) ** 2, 0)));
  const assign = minCostAssignment(cost); // assign[t] = e
  const colour = new Array<number>(K).fill(0);
  assign.forEach((e, t) => (colour[e] = t));
  return colour;
}

/** Display colours of each model's experts: matched to the truth, or to ISMM's for real data. */
function colourMaps(K: number, truth: MoeParameters | null, learners: Readonly<Record<Racer, MoeRegressor>>): Partial<Record<Racer, number[]>> {
  const out: Partial<Record<Racer, number[]>> = {};
  const ref = truth ?? (learners.ismm.isInitialized ? learners.ismm.parameters() : null);
  for (const r of RACERS) {
    const m = learners[r];
    if (!m.isInitialized) continue;
    out[r] = ref ? colours(m.parameters(), ref) : Array.from({ length: K }, (_, k) => k);
  }
  return out;
}

/**
 * What the page draws of the fitted models: for d = 1 each expert's mean and gate on a grid (and
 * the recent rows), for d = 2 the most likely expert on a grid, next to the truth's when known.
 * `lo0`/`hi0` bound the inputs; `recent` holds the latest rows (n × d and n).
 */
export function fitView(
  setup: { readonly d: number; readonly K: number; readonly truth: MoeParameters | null },
  learners: Readonly<Record<Racer, MoeRegressor>>,
  lo0: readonly number[],
  hi0: readonly number[],
  recent: { readonly x: Float64Array; readonly y: Float64Array; readonly n: number },
): FitView {
  const { d, K, truth } = setup;
  if (d > 2 || !(lo0[0] < hi0[0])) return { kind: "none", d };
  const col = colourMaps(K, truth, learners);
  if (d === 1) {
    const G = GRID_1D;
    const x = new Float64Array(G);
    for (let g = 0; g < G; g++) x[g] = lo0[0] + ((hi0[0] - lo0[0]) * g) / (G - 1);
    const curves = (f: (x: number) => { gate: ArrayLike<number>; mean: ArrayLike<number> }, c: number[]): Curves1D => {
      const mean = new Float64Array(K * G);
      const gate = new Float64Array(K * G);
      for (let g = 0; g < G; g++) {
        const v = f(x[g]);
        for (let k = 0; k < K; k++) {
          mean[c[k] * G + g] = v.mean[k];
          gate[c[k] * G + g] = v.gate[k];
        }
      }
      return { mean, gate };
    };
    const identity = Array.from({ length: K }, (_, k) => k);
    const models: Partial<Record<Racer, Curves1D>> = {};
    for (const r of RACERS) {
      const c = col[r];
      if (!c) continue;
      const m = learners[r];
      const pred = m.createPrediction();
      const row = new Float64Array(1);
      models[r] = curves((xv) => {
        row[0] = xv;
        m.predictInto(row, pred);
        return { gate: pred.gate, mean: pred.expertMeans };
      }, c);
    }
    const n = recent.n;
    let ylo = Infinity;
    let yhi = -Infinity;
    for (let i = 0; i < n; i++) {
      ylo = Math.min(ylo, recent.y[i]);
      yhi = Math.max(yhi, recent.y[i]);
    }
    return {
      kind: "1d", x, truth: truth ? curves((xv) => evalParams(truth, [xv]), identity) : null, models,
      px: recent.x.slice(0, n), py: recent.y.slice(0, n), yRange: [ylo, yhi],
    };
  }
  const res = GRID_2D;
  const lo: [number, number] = [lo0[0], lo0[1]];
  const hi: [number, number] = [hi0[0], hi0[1]];
  const map = (f: (x: Float64Array) => ArrayLike<number>, c: number[]): Uint8Array => {
    const out = new Uint8Array(res * res);
    const x = new Float64Array(2);
    for (let i = 0; i < res; i++) {
      for (let j = 0; j < res; j++) {
        x[0] = lo[0] + ((hi[0] - lo[0]) * (j + 0.5)) / res;
        x[1] = lo[1] + ((hi[1] - lo[1]) * (i + 0.5)) / res;
        const g = f(x);
        let best = 0;
        for (let k = 1; k < K; k++) if (g[k] > g[best]) best = k;
        out[i * res + j] = c[best];
      }
    }
    return out;
  };
  const models: Partial<Record<Racer, Uint8Array>> = {};
  for (const r of RACERS) {
    const c = col[r];
    if (!c) continue;
    const m = learners[r];
    const pred = m.createPrediction();
    models[r] = map((x) => m.predictInto(x, pred).gate, c);
  }
  const identity = Array.from({ length: K }, (_, k) => k);
  return { kind: "2d", res, lo, hi, truth: truth ? map((x) => evalParams(truth, x).gate, identity) : null, models };
}
