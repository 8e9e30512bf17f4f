/**
 * One start and one refinement of the initialization (mm/init.ts), as functions of plain inputs: a
 * start depends only on the buffer, the settings and its index r (its generator is the root's
 * `fork(r)`, which does not advance the root), so starts and refinements can run on any thread in
 * any order and give the same bits (parallel/init-threads.ts).
 */
import type { Rng } from "../core/rng.js";
import type { MoeLayout } from "../model/dims.js";
import { batchEM, createEmWorkspace, eStep, mStepFromTau, type EmPriorOptions, type EmWorkspace, type GateStep } from "./batch-em.js";

/** The initialization's settings, resolved (plain data: they cross to worker threads). */
export interface InitPlan extends EmPriorOptions {
  readonly starts: number;
  readonly startIters: number;
  readonly refineIters: number;
  readonly restarts: number;
  readonly tol: number;
  readonly gateStep: GateStep;
}

/** One thread's buffers for starts and refinements on n rows. */
export interface InitWorkspace {
  readonly em: EmWorkspace;
  /** Unpenalized EM for the screening (the same object as `em` without an elastic net). */
  readonly emStart: EmWorkspace;
  readonly labels: Int32Array;
  readonly P: Float64Array;
}

export function createInitWorkspace(L: MoeLayout, n: number, plan: InitPlan): InitWorkspace {
  const em = createEmWorkspace(L, n, plan);
  // Elastic net (docs/SPARSE.md): screening and refinement run unpenalized, then a penalized refinement
  // continues from that fit — a penalized EM from a rough start stalls at β = 0 with a large σ² (the
  // lasso threshold in the β-step is σ²λ1).
  const emStart = (plan.l1 ?? 0) > 0 || (plan.l2 ?? 0) > 0 ? createEmWorkspace(L, n, { ...plan, l1: 0, l2: 0 }) : em;
  return { em, emStart, labels: new Int32Array(n), P: new Float64Array(n * (L.d + L.q)) };
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

/** Start r: a partition of the buffer (see mm/init.ts), softened, one M-step and `startIters` EM iterations. */
export function screenStart(L: MoeLayout, X: Float64Array, Y: Float64Array, n: number, root: Rng, plan: InitPlan, ws: InitWorkspace, r: number): { theta: Float64Array; nll: number } {
  const { K, p, q, d } = L;
  const { labels, P, emStart } = ws;
  const kind = d === 0 ? 0 : r % 4;
  const useY = kind === 0;
  const m = useY ? d + q : d;
  const startRng = root.fork(r);
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
  mStepFromTau(L, theta, X, Y, n, emStart, plan.gateStep);
  const res = batchEM(L, theta, X, Y, n, { maxIter: plan.startIters, tol: 1e-12, gateStep: plan.gateStep }, emStart);
  return { theta, nll: res.history[res.history.length - 1] };
}

/** The outcome of refining one start (θ is refined in place). */
export interface Refined {
  readonly nll: number;
  readonly converged: boolean;
  /** EM iterations of the refinement (without the start's). */
  readonly iterations: number;
}

/** Refines θ in place: `refineIters` more EM iterations (with an elastic net, unpenalized first, then penalized). */
export function refineStart(L: MoeLayout, X: Float64Array, Y: Float64Array, n: number, plan: InitPlan, ws: InitWorkspace, theta: Float64Array): Refined {
  const { em, emStart } = ws;
  const opts = { maxIter: plan.refineIters, tol: plan.tol, gateStep: plan.gateStep };
  const free = emStart === em ? null : batchEM(L, theta, X, Y, n, opts, emStart);
  const res = batchEM(L, theta, X, Y, n, opts, em);
  const nll = res.history.length ? res.history[res.history.length - 1] : eStep(L, theta, X, Y, n, em);
  return { nll, converged: res.converged, iterations: (free?.iterations ?? 0) + res.iterations };
}
