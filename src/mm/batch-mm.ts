/**
 * Deterministic batch MM, the reference solver for any `Surrogate`:
 *
 *   s_t = (1/n) Σ_i S̄(θ_t; z_i),   θ_{t+1} = θ̄(s_t)
 *
 * Because the averaged surrogate majorizes the mean loss F and is tight at θ_t,
 * F(θ_{t+1}) ≤ L(θ_{t+1}; s_t) + c ≤ L(θ_t; s_t) + c = F(θ_t): the NLL never increases. Any
 * increase beyond rounding is recorded in `violations` (never silently skipped; STYLE pitfall 12).
 */
import type { Surrogate } from "../surrogate/types.js";
import { runDescent } from "./descent.js";

export interface BatchOptions {
  /** Maximum number of M-steps. Default 500. */
  readonly maxIter?: number;
  /** Stop when |F_t − F_{t−1}| ≤ tol·(1 + |F_t|). Default 1e-10. */
  readonly tol?: number;
}

export interface BatchResult {
  /** F(θ_t) for t = 0..iterations (history[0] is the start). */
  readonly history: number[];
  readonly iterations: number;
  readonly converged: boolean;
  /** Iterations t where F(θ_t) > F(θ_{t−1}) + 1e-12·(1+|F|) (should be empty for MM). */
  readonly violations: number[];
  /** The iteration whose M-step failed (θ left as before it), or null. `converged` is then false. */
  readonly failedStep: number | null;
}

/**
 * Runs batch MM in place on θ over the rows (X n×xDim, Y n×yDim, row-major).
 * Memory O(statSize); time O(n·cost(S̄) + cost(θ̄)) per iteration.
 */
export function batchMM<W>(
  sur: Surrogate<W>, theta: Float64Array, X: Float64Array, xDim: number, Y: Float64Array, yDim: number, n: number,
  options: BatchOptions = {},
): BatchResult {
  const maxIter = options.maxIter ?? 500;
  const tol = options.tol ?? 1e-10;
  const ws = sur.createWorkspace();
  const s = new Float64Array(sur.statSize);
  return runDescent(
    () => batchStats(sur, theta, X, xDim, Y, yDim, n, s, ws),
    () => sur.mstep(s, theta, ws),
    maxIter,
    tol,
  );
}

/**
 * s ← (1/n) Σ_i S̄(θ; z_i): the batch statistic at a fixed θ (used to seed ISMM from a buffer).
 * Returns the mean loss at θ.
 */
export function batchStats<W>(
  sur: Surrogate<W>, theta: Float64Array, X: Float64Array, xDim: number, Y: Float64Array, yDim: number, n: number,
  s: Float64Array, ws: W = sur.createWorkspace(),
): number {
  s.fill(0);
  let f = 0;
  for (let i = 0; i < n; i++) f += sur.accumulate(s, 1, 1 / n, theta, X, i * xDim, Y, i * yDim, ws);
  return f / n;
}
