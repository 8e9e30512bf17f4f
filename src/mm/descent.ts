/**
 * The iteration driver shared by the batch references (batch MM, batch EM): evaluate the mean NLL
 * F(θ_t), record it, stop on |F_t − F_{t−1}| ≤ tol·(1 + |F_t|) or after `maxIter` steps, else take
 * one step. A descent method must never increase F: every t with F_t > F_{t−1} + 1e-12·(1 + |F|)
 * is recorded in `violations` — never silently skipped (STYLE pitfall 12). A step that reports
 * failure (an M-step on a statistic outside the valid set) ends the run with `converged` false and
 * the iteration in `failedStep`.
 */
import type { BatchResult } from "./batch-mm.js";

/**
 * @param evaluate returns F at the current θ (and may prepare what `step` needs, e.g. statistics)
 * @param step moves θ (one M-step); returns false if it could not
 */
export function runDescent(evaluate: () => number, step: () => boolean, maxIter: number, tol: number): BatchResult {
  const history: number[] = [];
  const violations: number[] = [];
  let converged = false;
  let failedStep: number | null = null;
  let it = 0;
  for (;;) {
    const f = evaluate();
    const t = history.length;
    if (t > 0) {
      const prev = history[t - 1];
      if (f > prev + 1e-12 * (1 + Math.abs(prev))) violations.push(t);
      if (Math.abs(f - prev) <= tol * (1 + Math.abs(f))) converged = true;
    }
    history.push(f);
    if (converged || it >= maxIter) break;
    if (!step()) {
      failedStep = it;
      break;
    }
    it++;
  }
  return { history, iterations: it, converged, violations, failedStep };
}
