/**
 * Mini-batch ISMM (the paper's open question 1; derivation and measurements in docs/MINIBATCH.md).
 * For a batch B_t of m rows, all scored at the same θ_t:
 *
 *   t̄_t     = (1/m) Σ_{i∈B_t} S̄(θ_t; z_i)                 (the batch statistic: a mean at ONE θ)
 *   s_t     = s_{t−1} + Γ_t (t̄_t − s_{t−1})                (one stochastic-approximation step)
 *   θ_{t+1} = θ̄(s_t)                                        (one closed-form M-step)
 *
 * with the batch step Γ_t = 1 − Π_{n ∈ B_t} (1 − γ_n): the weight per-row ISMM gives the same m rows
 * in total (γ_n the per-row schedule over the global row count n). So after any number of batches
 * the statistic's past is discounted exactly as per-row ISMM discounts it over the same rows; the
 * rows inside a batch share Γ_t/m equally. m = 1 gives Γ_t = γ_n: per-row ISMM. During burn-in
 * (γ_n = 1/n) the product telescopes to 1 − n_before/n_after, so s stays the exact running average.
 *
 * Because S̄ enters s linearly and θ is fixed inside a batch, the batch statistic is a plain sum that
 * any number of threads can compute in parts (src/parallel/): the result depends on the batch size,
 * never on the thread count. The engine takes the SUM Σ S̄ (not the mean) so callers add parts.
 */
import type { Surrogate } from "../surrogate/types.js";
import type { IsmmConfig, IsmmState } from "./ismm.js";
import { stepSize } from "./schedule.js";

/** Γ = 1 − Π_{n=n0+1}^{n0+m} (1 − γ_n): the total weight per-row ISMM gives rows n0+1 … n0+m. */
export function batchStepSize(cfg: IsmmConfig, n0: number, m: number): number {
  const first = n0 + 1 <= cfg.burnIn ? 1 / (n0 + 1) : stepSize(cfg.schedule, n0 + 1);
  if (m === 1) return first; // exactly per-row ISMM's γ_n (1 − (1 − γ) may differ in the last bit)
  let keep = 1;
  for (let n = n0 + 1; n <= n0 + m; n++) {
    const g = n <= cfg.burnIn ? 1 / n : stepSize(cfg.schedule, n);
    keep *= 1 - g;
  }
  return 1 - keep;
}

/**
 * One mini-batch ISMM step from `sum` = Σ_{i∈B} S̄(θ_t; z_i) over m ≥ 1 rows scored at st.theta:
 * s ← (1 − Γ) s + (Γ/m) sum, n ← n + m, then the M-step (after burn-in) and Polyak averaging
 * weighted by the batch's rows past `averageFrom` (θ is constant over a batch's rows). The
 * surrogate is told the weight of one row, Γ/m (the MAP prior's ν). Returns Γ. Allocates nothing.
 */
export function ismmBatchStep<W>(sur: Surrogate<W>, cfg: IsmmConfig, st: IsmmState, sum: Float64Array, m: number, ws: W): number {
  if (!(Number.isInteger(m) && m >= 1)) throw new RangeError(`ismmBatchStep requires m ≥ 1 rows, got ${m}`);
  const gamma = batchStepSize(cfg, st.n, m);
  const keep = 1 - gamma;
  const each = gamma / m;
  const s = st.s;
  for (let i = 0; i < s.length; i++) s[i] = keep * s[i] + each * sum[i];
  const before = st.n;
  st.n = before + m;
  sur.setRowWeight?.(ws, each);
  if (st.n > cfg.burnIn) {
    if (!sur.mstep(s, st.theta, ws)) st.skippedMsteps++;
  }
  if (cfg.averageFrom !== null && st.n > cfg.averageFrom) {
    const rows = st.n - Math.max(before, cfg.averageFrom);
    st.nAvg += rows;
    const w = rows / st.nAvg;
    const th = st.theta;
    const avg = st.thetaAvg;
    for (let i = 0; i < th.length; i++) avg[i] += w * (th[i] - avg[i]);
  }
  return gamma;
}

/**
 * Σ_{i<m} S̄(θ; z_i) over rows i of the flat design X (stride p) and targets Y (stride q), into
 * `out` (overwritten); returns Σ f(θ; z_i). The serial reference of the parallel batch statistic.
 */
export function batchSum<W>(
  sur: Surrogate<W>, theta: Float64Array, X: Float64Array, p: number, Y: Float64Array, q: number,
  from: number, to: number, out: Float64Array, ws: W,
): number {
  out.fill(0);
  let f = 0;
  for (let i = from; i < to; i++) f += sur.accumulate(out, 1, 1, theta, X, i * p, Y, i * q, ws);
  return f;
}
