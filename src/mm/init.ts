/**
 * Initialization without ground truth (issue 2, spec §3.7): multi-start batch EM on a buffered
 * prefix of the stream.
 *
 *   for r = 1..starts:
 *     partition the buffer — r ≡ 0 (mod 4): seeded k-means++ (+3 Lloyd steps) on (x, y); r ≡ 1: on x
 *     only (regimes of x, the gate's view); r ≡ 2: a uniformly random partition (flexmix's start);
 *     r ≡ 3: K contiguous regimes cut at K − 1 random quantiles of a random direction of x (regime
 *     boundaries k-means would not place) — and soften it: τ = 0.8·onehot + 0.2/K
 *     θ_r = EM M-step from τ, then `startIters` EM iterations
 *   refine the `restarts` best θ_r (lowest EM objective: mean NLL + MAP penalty, which a collapsed
 *   expert cannot game) with `refineIters` more EM iterations each; keep the best.
 *
 * The data are expected standardized (the estimator does it), so Euclidean k-means is sensible.
 * All randomness comes from the `rng` argument.
 *
 * Defaults by width (`initDefaults`). Narrow models ((K−1)p ≤ 64: the gate's Newton system is
 * small): 5 starts × 15 iterations, 60 refining, one damped Newton gate step per iteration. Wide
 * models: 3 starts × 8 iterations, 10 refining, ONE Böhning gate step per iteration (a monotone
 * generalized EM; the Gram of every EM M-step runs in WebAssembly SIMD, core/wasm/gram.ts). At
 * d = 100, K = 3 that is 34 EM iterations instead of 135 with 5 Böhning steps each, and over 8
 * seeded problems (`npx tsx scripts/init-quality.ts`) the held-out NLL after one streamed pass was
 * no worse: mean 1.1334, against 1.1347 with 5 starts × 15 + 60 and one gate step, and 1.1863 with
 * the former defaults (5 starts × 15 + 60, 5 gate steps: the same script run on commit 8c54c8b).
 * The streaming pass refines θ0; what the initialization must find is the basin.
 */
import type { Rng } from "../core/rng.js";
import type { MoeLayout } from "../model/dims.js";
import { batchEM, createEmWorkspace, eStep, mStepFromTau, type EmPriorOptions, type GateStep } from "./batch-em.js";

export interface InitOptions extends EmPriorOptions {
  /** Random starts. Default `initDefaults(L).starts` (5; 3 for wide models). */
  readonly starts?: number;
  /** EM iterations per start. Default `initDefaults(L).startIters` (15; 8 for wide models). */
  readonly startIters?: number;
  /** EM iterations refining the best start. Default `initDefaults(L).refineIters` (60; 10 for wide models). */
  readonly refineIters?: number;
  /**
   * Gate update inside the EM iterations. Default: one damped Newton step when the Newton system
   * is small ((K−1)p ≤ 64), else one Böhning MM step. Either is a monotone generalized EM; a full
   * Newton loop made d = 100 initializations take minutes (O(n(K−1)²p² + ((K−1)p)³) per step).
   */
  readonly gateStep?: GateStep;
  /** Starts refined after screening (the best by objective). Default 1. */
  readonly restarts?: number;
  /** Stop a refinement when the objective changes by ≤ tol·(1 + |F|). Default 1e-12. */
  readonly tol?: number;
}

export interface InitResult {
  readonly theta: Float64Array;
  /** EM objective (buffer mean NLL + MAP penalty) of the returned θ. */
  readonly nll: number;
  /** EM objective of each start after its screening iterations. */
  readonly startNlls: number[];
  /** EM objective of each refined start, best first is not implied: in the order refined. */
  readonly refinedNlls: number[];
  /** Whether the kept refinement met the tolerance within `refineIters`. */
  readonly converged: boolean;
  /** EM iterations (passes over the buffer) behind the kept θ: screening plus refinement. */
  readonly iterations: number;
}

/** The largest (K−1)p for which the initialization's defaults are the narrow ones (Newton gate step). */
export const WIDE_INIT_FROM = 65;

/** Default starts, iterations and gate step of `initializeMoe` for this layout (see the module comment). */
export function initDefaults(L: MoeLayout): { starts: number; startIters: number; refineIters: number; gateStep: GateStep } {
  return (L.K - 1) * L.p < WIDE_INIT_FROM
    ? { starts: 5, startIters: 15, refineIters: 60, gateStep: { kind: "newton", iters: 1 } }
    : { starts: 3, startIters: 8, refineIters: 10, gateStep: { kind: "mm", iters: 1 } };
}

/** Seeded k-means++ assignment of n points (n×m row-major) to K clusters; writes labels. */
function kmeansLabels(P: Float64Array, n: number, m: number, K: number, rng: Rng, labels: Int32Array): void {
  const C = new Float64Array(K * m);
  const dist = new Float64Array(n).fill(Infinity);
  const first = rng.int(n);
  for (let a = 0; a < m; a++) C[a] = P[first * m + a];
  for (let c = 1; c < K; c++) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      let d = 0;
      for (let a = 0; a < m; a++) {
        const z = P[i * m + a] - C[(c - 1) * m + a];
        d += z * z;
      }
      if (d < dist[i]) dist[i] = d;
      total += dist[i];
    }
    let u = rng.next() * total;
    let pick = n - 1;
    for (let i = 0; i < n; i++) {
      u -= dist[i];
      if (u <= 0) {
        pick = i;
        break;
      }
    }
    for (let a = 0; a < m; a++) C[c * m + a] = P[pick * m + a];
  }
  const counts = new Float64Array(K);
  for (let iter = 0; iter < 4; iter++) {
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestD = Infinity;
      for (let c = 0; c < K; c++) {
        let d = 0;
        for (let a = 0; a < m; a++) {
          const z = P[i * m + a] - C[c * m + a];
          d += z * z;
        }
        if (d < bestD) {
          bestD = d;
          best = c;
        }
      }
      labels[i] = best;
    }
    if (iter === 3) break;
    C.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const c = labels[i];
      counts[c]++;
      for (let a = 0; a < m; a++) C[c * m + a] += P[i * m + a];
    }
    for (let c = 0; c < K; c++) {
      if (counts[c] === 0) {
        const i = rng.int(n); // re-seed an empty cluster on a random point
        for (let a = 0; a < m; a++) C[c * m + a] = P[i * m + a];
      } else {
        for (let a = 0; a < m; a++) C[c * m + a] /= counts[c];
      }
    }
  }
}

/** Labels by K − 1 sorted uniform cut points on the ranks of a random projection of the inputs. */
function randomCuts(X: Float64Array, n: number, p: number, K: number, rng: Rng, labels: Int32Array): void {
  const dir = new Float64Array(p);
  for (let a = 1; a < p; a++) dir[a] = rng.normal();
  const proj = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let a = 1; a < p; a++) v += dir[a] * X[i * p + a];
    proj[i] = v;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => proj[a] - proj[b] || a - b);
  const cuts = Array.from({ length: K - 1 }, () => rng.next()).sort((a, b) => a - b);
  let c = 0;
  for (let r = 0; r < n; r++) {
    while (c < K - 1 && r >= cuts[c] * n) c++;
    labels[order[r]] = c;
  }
}

/**
 * Multi-start EM initialization on the n buffered rows (X: n×p design with intercept, Y: n×q).
 * Returns a fresh θ; does not modify X or Y.
 */
export function initializeMoe(L: MoeLayout, X: Float64Array, Y: Float64Array, n: number, rng: Rng, options: InitOptions = {}): InitResult {
  const def = initDefaults(L);
  const starts = options.starts ?? def.starts;
  const startIters = options.startIters ?? def.startIters;
  const refineIters = options.refineIters ?? def.refineIters;
  const restarts = Math.max(1, Math.min(options.restarts ?? 1, starts));
  const tol = options.tol ?? 1e-12;
  const gateStep: GateStep = options.gateStep ?? def.gateStep;
  const { K, p, q, d } = L;
  const em = createEmWorkspace(L, n, options);
  // Elastic net (docs/SPARSE.md): screening and refinement run unpenalized, then a penalized refinement
  // continues from that fit — a penalized EM from a rough start stalls at β = 0 with a large σ² (the
  // lasso threshold in the β-step is σ²λ1).
  const emStart = (options.l1 ?? 0) > 0 || (options.l2 ?? 0) > 0 ? createEmWorkspace(L, n, { ...options, l1: 0, l2: 0 }) : em;
  const labels = new Int32Array(n);
  const mAll = d + q;
  const P = new Float64Array(n * mAll);
  const candidates: { theta: Float64Array; nll: number }[] = [];
  for (let r = 0; r < starts; r++) {
    const kind = d === 0 ? 0 : r % 4;
    const useY = kind === 0;
    const m = useY ? d + q : d;
    const startRng = rng.fork(r);
    if (K === 1) labels.fill(0);
    else if (kind === 2) for (let i = 0; i < n; i++) labels[i] = startRng.int(K);
    else if (kind === 3) randomCuts(X, n, p, K, startRng, labels);
    else {
      for (let i = 0; i < n; i++) {
        for (let a = 0; a < d; a++) P[i * m + a] = X[i * p + 1 + a];
        if (useY) for (let j = 0; j < q; j++) P[i * m + d + j] = Y[i * q + j];
      }
      kmeansLabels(P, n, m, K, startRng, labels);
    }
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < K; k++) emStart.tau[i * K + k] = (k === labels[i] ? 0.8 : 0) + 0.2 / K;
    }
    const theta = new Float64Array(L.size);
    mStepFromTau(L, theta, X, Y, n, emStart, gateStep);
    const res = batchEM(L, theta, X, Y, n, { maxIter: startIters, tol: 1e-12, gateStep }, emStart);
    candidates.push({ theta, nll: res.history[res.history.length - 1] });
  }
  const startNlls = candidates.map((c) => c.nll);
  // Stable order: ties keep the earlier start (deterministic for a given rng).
  const order = candidates.map((_, i) => i).sort((a, b) => (candidates[a].nll - candidates[b].nll) || a - b);
  let best: { theta: Float64Array; nll: number; converged: boolean; iterations: number } | null = null;
  const refinedNlls: number[] = [];
  for (let r = 0; r < restarts; r++) {
    const theta = candidates[order[r]].theta;
    const free = emStart === em ? null : batchEM(L, theta, X, Y, n, { maxIter: refineIters, tol, gateStep }, emStart);
    const res = batchEM(L, theta, X, Y, n, { maxIter: refineIters, tol, gateStep }, em);
    const nll = res.history.length ? res.history[res.history.length - 1] : eStep(L, theta, X, Y, n, em);
    refinedNlls.push(nll);
    if (best === null || nll < best.nll) best = { theta, nll, converged: res.converged, iterations: startIters + (free?.iterations ?? 0) + res.iterations };
  }
  const b = best as NonNullable<typeof best>;
  return { theta: b.theta, nll: b.nll, startNlls, refinedNlls, converged: b.converged, iterations: b.iterations };
}
