/**
 * Batch EM for the softmax-gated Gaussian MoE with an exact Newton (IRLS) gate step — the
 * "optimum" that tests and benchmarks compare against (what R flexmix / meteorits compute).
 *
 *   E-step: τ_ik = p(k | x_i, y_i; θ_t)
 *   M-step, experts (closed form, same as the MM expert step):
 *     β_kj = (Σ_i τ_ik x_i x_iᵀ)⁻¹ Σ_i τ_ik y_ij x_i,   σ²_kj = Σ_i τ_ik (y_ij − β_kjᵀx_i)² / Σ_i τ_ik
 *   M-step, gate: maximize the concave Q(W) = (1/n) Σ_i Σ_k τ_ik log π_k(x_i; W) by Newton's method
 *     g = (1/n) Σ_i (τ_i − π_i)_{1:K−1} ⊗ x_i,   H = (1/n) Σ_i (diag π_i − π_i π_iᵀ)_{1:K−1} ⊗ x_i x_iᵀ
 *     W ← W + t H⁻¹ g, with t halved until Q does not decrease (so EM stays monotone: a GEM).
 *
 * MAP variant (docs/MAP.md): with `variancePrior` c > 0 the expert step uses the inverse-gamma
 * prior of surrogate/moe.ts at weight c·p/n; with `gateRidge` λ > 0 the gate maximizes
 *   Q(W) − (λ/n)·½ Σ_{k,l<K} A_kl w_kᵀ D w_l,   D = diag(0, 1, …, 1)  (slopes only),
 * the symmetric ridge ¼(λ/n) Σ_{k≤K} ‖w_k − w̄‖²_D of the full-K gate (A = ½(I − 11ᵀ/K)), which keeps
 * a separable gate finite. Both at 0 give maximum likelihood exactly.
 *
 * Elastic net (docs/SPARSE.md): with `l1`/`l2` > 0 the objective adds λ1Σ|β| + (λ2/2)Σβ² over the
 * expert slopes; the expert step is then the penalized solver of surrogate/moe-lasso.ts (a
 * generalized M-step: it decreases the penalized Q from the current θ), so EM stays monotone.
 *
 * Memory O(nK + ((K−1)p)²): this is a batch method, not a streaming one.
 */
import { cholSolve, cholWithRidge } from "../core/dense.js";
import { createGramEngine } from "../core/wasm/gram.js";
import type { MoeLayout } from "../model/dims.js";
import { moeSurrogate, type MoeSurrogate, type MoeSurrogateOptions, type MoeWorkspace } from "../surrogate/moe.js";
import { fullPriorPenalty } from "../surrogate/moe-covariance.js";
import { elasticNetPenalty } from "../surrogate/moe-lasso.js";
import type { BatchOptions, BatchResult } from "./batch-mm.js";
import { runDescent } from "./descent.js";
import { createPassWorkspace, E_STEP, GATE_Q, maxPassSize, MM_G1, NEWTON, passPoolFor, serialPass, STATS, type PassOp, type PassRunner, type PassWorkspace } from "./em-passes.js";

export interface EmOptions extends BatchOptions, EmPriorOptions {
  /** Maximum Newton iterations for the gate per M-step. Default 25. */
  readonly newtonIters?: number;
  /** Gate update of the M-step; overrides `newtonIters`. Default Newton (exact EM). */
  readonly gateStep?: GateStep;
  /**
   * Threads for the row sums of every iteration (mm/em-passes.ts; worker threads, Node only), where
   * the work repays starting them (`minThreadedWork`). The result does not depend on it. Default 1.
   */
  readonly threads?: number;
  /** Multiply-adds per iteration below which EM stays on one thread. Default `MIN_THREADED_PASS_WORK`. */
  readonly minThreadedWork?: number;
}

/** The expert safeguards and MAP prior of surrogate/moe.ts, plus the gate ridge of EM. */
export interface EmPriorOptions extends MoeSurrogateOptions {
  /** λ, the gate ridge in pseudo-rows (penalty weight λ/n). Default 0. */
  readonly gateRidge?: number;
}

/** Reusable buffers for the EM steps on n rows. */
export interface EmWorkspace {
  readonly sur: MoeSurrogate;
  readonly ws: MoeWorkspace;
  readonly s: Float64Array;
  readonly tau: Float64Array; // n×K
  /** The Newton pass's sums: g (m) then H (m×m, upper triangle); g and H are views of it. */
  readonly gh: Float64Array;
  readonly H: Float64Array; // m×m, m = (K−1)p
  readonly R: Float64Array; // m×m
  readonly g: Float64Array; // m
  readonly w0: Float64Array; // m (gate before the Newton step)
  /** MM gate step: G2 = (1/n)Σ x xᵀ factorized once (upper Cholesky factor), G1 scratch, rhs. */
  readonly G2R: Float64Array; // p×p
  G2Ready: boolean;
  readonly G1: Float64Array; // (K−1)×p
  readonly rhs: Float64Array; // p
  /** λ/n: the gate ridge's weight for these n rows. */
  readonly ridge: number;
  /** The row passes (mm/em-passes.ts): on the calling thread with `pass` and `scratch`, or on `runner`'s threads. */
  readonly pass: PassWorkspace;
  readonly scratch: Float64Array;
  readonly runner: PassRunner | null;
  /** A pass's scalar sum (E-step NLL, gate Q). */
  readonly one: Float64Array;
}

/**
 * Buffers for EM on n rows. With a `runner` (a thread pool bound to the same rows, `passPoolFor`)
 * the row passes run on its threads and τ is the runner's shared array.
 */
export function createEmWorkspace(L: MoeLayout, n: number, prior: EmPriorOptions = {}, runner: PassRunner | null = null): EmWorkspace {
  const sur = moeSurrogate(L, prior);
  const m = (L.K - 1) * L.p;
  const gateRidge = prior.gateRidge ?? 0;
  if (!(gateRidge >= 0) || !Number.isFinite(gateRidge)) throw new RangeError(`gateRidge must be a finite number ≥ 0, got ${gateRidge}`);
  const gh = new Float64Array(m + m * m);
  return {
    ridge: gateRidge / n,
    sur, ws: sur.createWorkspace(), s: new Float64Array(sur.statSize), tau: runner?.tau ?? new Float64Array(n * L.K),
    gh, g: gh.subarray(0, m), H: gh.subarray(m), R: new Float64Array(m * m), w0: new Float64Array(m),
    G2R: new Float64Array(L.p * L.p), G2Ready: false, G1: new Float64Array(m), rhs: new Float64Array(L.p),
    pass: createPassWorkspace(L, n), scratch: new Float64Array(maxPassSize(L)), runner, one: new Float64Array(1),
  };
}

const NO_THETA = new Float64Array(0);

/** out ← op's sum over the n rows (mm/em-passes.ts), on the runner's threads or this one. */
function pass(op: PassOp, theta: Float64Array, X: Float64Array, Y: Float64Array, n: number, em: EmWorkspace, out: Float64Array): void {
  if (em.runner !== null) em.runner.run(op, theta, out);
  else serialPass(op, em.pass, theta, X, Y, em.tau, n, out, em.scratch);
}

/** Expert statistics (s0, syy, sxy, Sxx of the MM layout) of the rows under fixed responsibilities τ (n×K). */
export function expertStatsFromTau(L: MoeLayout, em: EmWorkspace, X: Float64Array, Y: Float64Array, n: number): void {
  em.ws.rowWeight[0] = 1 / n; // the MAP prior is worth c of these n rows
  pass(STATS, NO_THETA, X, Y, n, em, em.s); // this pass does not read θ
}

/** ½ Σ_{k,l<K} A_kl w_kᵀ D w_l (D drops the intercept), A = ½(I − 11ᵀ/K). */
function gatePenalty(L: MoeLayout, theta: Float64Array): number {
  const { K, p } = L;
  let val = 0;
  for (let a = 1; a < p; a++) {
    let sq = 0;
    let sum = 0;
    for (let k = 0; k < K - 1; k++) {
      const w = theta[L.gate + k * p + a];
      sq += w * w;
      sum += w;
    }
    val += 0.25 * (sq - (sum * sum) / K);
  }
  return val;
}

/** The penalized gate objective Q(W) − (λ/n)·gatePenalty(W). */
function gateQ(L: MoeLayout, theta: Float64Array, X: Float64Array, Y: Float64Array, n: number, em: EmWorkspace): number {
  pass(GATE_Q, theta, X, Y, n, em, em.one);
  return em.one[0] / n - (em.ridge > 0 ? em.ridge * gatePenalty(L, theta) : 0);
}

/**
 * Gate M-step: maximizes Q(W) for the responsibilities in em.tau by damped Newton. In place on θ's
 * gate block. Returns the number of Newton iterations used.
 */
export function newtonGate(L: MoeLayout, theta: Float64Array, X: Float64Array, Y: Float64Array, n: number, em: EmWorkspace, maxIter = 25): number {
  const { K, p } = L;
  if (K === 1) return 0;
  const m = (K - 1) * p;
  const { H, R, g, w0 } = em;
  let Q = gateQ(L, theta, X, Y, n, em);
  let it = 0;
  for (; it < maxIter; it++) {
    pass(NEWTON, theta, X, Y, n, em, em.gh); // g, then H's upper triangle (mm/em-passes.ts)
    if (em.ridge > 0) {
      // Penalty gradient λ(A ⊗ D)w and Hessian λ(A ⊗ D), A_kl = ½(δ_kl − 1/K), upper blocks l ≥ k.
      for (let a = 1; a < p; a++) {
        let sum = 0;
        for (let l = 0; l < K - 1; l++) sum += theta[L.gate + l * p + a];
        for (let k = 0; k < K - 1; k++) {
          g[k * p + a] -= em.ridge * 0.5 * (theta[L.gate + k * p + a] - sum / K);
          for (let l = k; l < K - 1; l++) H[(k * p + a) * m + l * p + a] += em.ridge * 0.5 * ((k === l ? 1 : 0) - 1 / K);
        }
      }
    }
    if (cholWithRidge(m, H, 0, R, 0) < 0) break;
    cholSolve(m, R, 0, g, 0); // g ← Newton direction
    for (let i = 0; i < m; i++) w0[i] = theta[L.gate + i];
    let t = 1;
    let Qn = -Infinity;
    for (let h = 0; h < 40; h++) {
      for (let i = 0; i < m; i++) theta[L.gate + i] = w0[i] + t * g[i];
      Qn = gateQ(L, theta, X, Y, n, em);
      if (Qn >= Q - 1e-15 * Math.abs(Q)) break;
      t *= 0.5;
    }
    if (!(Qn >= Q - 1e-15 * Math.abs(Q))) {
      for (let i = 0; i < m; i++) theta[L.gate + i] = w0[i];
      break;
    }
    let step = 0;
    for (let i = 0; i < m; i++) step = Math.max(step, Math.abs(t * g[i]));
    const gain = Qn - Q;
    Q = Qn;
    if (step < 1e-10 || gain < 1e-15 * (1 + Math.abs(Q))) {
      it++;
      break;
    }
  }
  return it;
}

/**
 * Gate M-step by the Böhning bound instead of Newton (the ISMM surrogate's gate step, applied to
 * Q(W)): w_k ← 2 G2⁻¹ (G1_k + Σ_l G1_l), G1_k = (1/n) Σ_i u_ik x_i, u = τ − π + A Wᵀx. Each step
 * cannot decrease Q (MM), costs O(nKp + Kp²), and G2 = (1/n)Σ x xᵀ is factorized once for the
 * workspace's rows. Used where the (K−1)p-square Newton system is too costly.
 */
export function mmGate(L: MoeLayout, theta: Float64Array, X: Float64Array, Y: Float64Array, n: number, em: EmWorkspace, iters = 5): void {
  const { K, p } = L;
  if (K === 1) return;
  if (!em.G2Ready) {
    const G2 = em.G2R;
    G2.fill(0);
    createGramEngine(p, 1, n).accumulate(X, n, null, n, G2, 0, 0); // Σ_i symRank1Blend(G2, 1, 1/n, x_i)
    for (let a = 1; a < p; a++) G2[a * p + a] += em.ridge; // (A ⊗ (G2 + λD/n)) is the penalized bound
    if (cholWithRidge(p, G2, 0, G2, 0) < 0) return;
    em.G2Ready = true;
  }
  const { G1, rhs } = em;
  for (let it = 0; it < iters; it++) {
    pass(MM_G1, theta, X, Y, n, em, G1);
    for (let k = 0; k < K - 1; k++) {
      for (let a = 0; a < p; a++) {
        let sum = 0;
        for (let l = 0; l < K - 1; l++) sum += G1[l * p + a];
        rhs[a] = 2 * (G1[k * p + a] + sum);
      }
      cholSolve(p, em.G2R, 0, rhs, 0);
      for (let a = 0; a < p; a++) theta[L.gate + k * p + a] = rhs[a];
    }
  }
}

/** How the EM M-step updates the gate: exact Newton (default) or Böhning MM steps. */
export interface GateStep {
  readonly kind: "newton" | "mm";
  readonly iters: number;
}

/**
 * Full EM M-step from responsibilities em.tau: experts in closed form, then the gate. Returns false
 * if an expert's least squares could not be solved (that expert keeps its parameters).
 */
export function mStepFromTau(
  L: MoeLayout, theta: Float64Array, X: Float64Array, Y: Float64Array, n: number, em: EmWorkspace, gate: GateStep = { kind: "newton", iters: 25 },
): boolean {
  expertStatsFromTau(L, em, X, Y, n);
  const ok = em.sur.mstepExperts(em.s, theta, em.ws);
  if (gate.kind === "newton") newtonGate(L, theta, X, Y, n, em, gate.iters);
  else mmGate(L, theta, X, Y, n, em, gate.iters);
  return ok;
}

/**
 * The MAP penalty per row of EM on n rows: (c·p/n) Σ_kj ½[log σ²_kj + σ0²/σ²_kj] + (λ/n)·½ Σ A_kl w_kᵀDw_l.
 * 0 when both priors are off.
 */
export function emPenalty(L: MoeLayout, theta: Float64Array, n: number, em: EmWorkspace): number {
  const c = em.sur.priorRows;
  let val = 0;
  if (c > 0) {
    const s0 = em.sur.priorVariance;
    if (L.full && L.q > 1) val = fullPriorPenalty(L, em.sur.stats, em.s, theta, s0); // the inverse-Wishart's (docs/COVARIANCE.md)
    else {
      for (let kj = 0; kj < L.K * L.q; kj++) {
        const v = theta[L.logSigma2 + kj];
        val += 0.5 * (v + s0 * Math.exp(-v));
      }
    }
    val *= c / n;
  }
  if (em.ridge > 0) val += em.ridge * gatePenalty(L, theta);
  if (em.sur.l1 > 0 || em.sur.l2 > 0) val += elasticNetPenalty(L, theta, em.sur.l1, em.sur.l2); // docs/SPARSE.md
  return val;
}

/** E-step: em.tau ← τ(θ) for every row; returns the mean NLL at θ plus the MAP penalty (the EM objective). */
export function eStep(L: MoeLayout, theta: Float64Array, X: Float64Array, Y: Float64Array, n: number, em: EmWorkspace): number {
  pass(E_STEP, theta, X, Y, n, em, em.one);
  return em.one[0] / n + emPenalty(L, theta, n, em);
}

/**
 * Runs batch EM in place on θ (X: n×p design with intercept, Y: n×q). The NLL history must be
 * non-increasing (GEM property); increases are recorded in `violations`.
 */
export function batchEM(
  L: MoeLayout, theta: Float64Array, X: Float64Array, Y: Float64Array, n: number, options: EmOptions = {}, em?: EmWorkspace,
): BatchResult {
  const maxIter = options.maxIter ?? 500;
  const tol = options.tol ?? 1e-10;
  const gate = options.gateStep ?? { kind: "newton", iters: options.newtonIters ?? 25 };
  // A workspace given by the caller keeps its own passes; otherwise a thread pool where it pays (mm/em-passes.ts).
  const runner = em === undefined ? passPoolFor(L, X, Y, n, options.threads ?? 1, options.minThreadedWork) : null;
  try {
    const work = em ?? createEmWorkspace(L, n, options, runner);
    return runDescent(
      () => eStep(L, theta, X, Y, n, work),
      () => mStepFromTau(L, theta, X, Y, n, work, gate),
      maxIter,
      tol,
    );
  } finally {
    runner?.close();
  }
}
