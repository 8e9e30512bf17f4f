/**
 * The generic incremental stochastic MM engine (spec §1.3, Algorithm 1). It knows nothing about
 * mixtures: it needs only a `Surrogate` (the MoE one, or the logistic one that proves it).
 *
 *   for each row z_n:
 *     γ_n = min(1, γ0 n^(−α))     (γ_n = 1/n while n ≤ burnIn: s is then the plain average)
 *     s_n = s_{n−1} + γ_n (S̄(θ_{n−1}; z_n) − s_{n−1})        (stochastic approximation)
 *     θ_n = θ̄(s_n)   if n > burnIn and s_n is valid           (closed-form M-step)
 *     θ̃_n = θ̃_{n−1} + (θ_n − θ̃_{n−1}) / (n − n_avg)   if n > n_avg   (optional Polyak–Ruppert)
 *
 * State is a plain record owned by the caller (Optimisers.jl style); `ismmStep` mutates it in
 * place, is deterministic, and allocates nothing. Memory O(statSize + paramSize): constant in
 * the stream length.
 */
import type { Surrogate } from "../surrogate/types.js";
import { stepSize, type StepSchedule } from "./schedule.js";

/** Engine options (resolved; see the estimator for defaults and validation). */
export interface IsmmConfig {
  readonly schedule: StepSchedule;
  /** No M-step while n ≤ burnIn (θ stays at θ0 while s fills). */
  readonly burnIn: number;
  /** Polyak averaging of θ over rows n > averageFrom; null disables it. */
  readonly averageFrom: number | null;
}

/** The full engine state: everything needed to continue bit-identically. */
export interface IsmmState {
  /** Rows folded into s so far. */
  n: number;
  /** Running statistic s_n. */
  readonly s: Float64Array;
  /** Current parameter θ_n = θ̄(s_n). */
  readonly theta: Float64Array;
  /** Polyak average θ̃_n (meaningful when nAvg > 0). */
  readonly thetaAvg: Float64Array;
  /** Number of iterates in θ̃. */
  nAvg: number;
  /** M-steps skipped because s was invalid (diagnostic). */
  skippedMsteps: number;
}

/**
 * Creates the state from θ0 and, optionally, a statistic s0 that already averages n0 rows
 * (e.g. the batch statistic of an initialization buffer). Copies its inputs.
 */
export function ismmInit(sur: Surrogate<unknown>, theta0: Float64Array, s0?: Float64Array, n0 = 0): IsmmState {
  if (theta0.length !== sur.paramSize) throw new RangeError(`ismmInit requires theta0 of length ${sur.paramSize}, got ${theta0.length}`);
  const s = new Float64Array(sur.statSize);
  if (s0) {
    if (s0.length !== sur.statSize) throw new RangeError(`ismmInit requires s0 of length ${sur.statSize}, got ${s0.length}`);
    s.set(s0);
  }
  return { n: s0 ? n0 : 0, s, theta: theta0.slice(), thetaAvg: theta0.slice(), nAvg: 0, skippedMsteps: 0 };
}

/**
 * One ISMM iteration on the row (x, y). Returns f(θ_{n−1}; z_n), the loss of the row under the
 * parameters *before* learning it (a free prequential / predict-then-learn score).
 * Cost: one `accumulate` + one `mstep`; allocates nothing.
 */
export function ismmStep<W>(
  sur: Surrogate<W>, cfg: IsmmConfig, st: IsmmState,
  x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number, ws: W,
): number {
  const n = st.n + 1;
  // During burn-in γ_n = 1/n makes s the exact average of the first rows (spec §1.3 "batch init").
  const gamma = n <= cfg.burnIn ? 1 / n : stepSize(cfg.schedule, n);
  const f = sur.accumulate(st.s, 1 - gamma, gamma, st.theta, x, xo, y, yo, ws);
  st.n = n;
  if (n > cfg.burnIn) {
    if (!sur.mstep(st.s, st.theta, ws)) st.skippedMsteps++;
  }
  if (cfg.averageFrom !== null && n > cfg.averageFrom) {
    st.nAvg++;
    const w = 1 / st.nAvg;
    const th = st.theta;
    const avg = st.thetaAvg;
    for (let i = 0; i < th.length; i++) avg[i] += w * (th[i] - avg[i]);
  }
  return f;
}

/** The parameters to predict with: θ̃ once averaging has started, else θ. */
export function ismmParams(st: IsmmState): Float64Array {
  return st.nAvg > 0 ? st.thetaAvg : st.theta;
}
