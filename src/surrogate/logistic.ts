/**
 * Online MM for logistic regression with the Böhning–Lindsay bound (spec §1.5; Nguyen, Forbes,
 * Fort & Cappé 2022). It exists to prove the ISMM engine knows nothing about mixtures.
 *
 *   f(w; x, y) = −[y log σ(xᵀw) + (1 − y) log(1 − σ(xᵀw))],   y ∈ {0, 1}
 *   Since f'' ≤ ¼ x xᵀ:  f(w) ≤ f(w̄) + (σ(xᵀw̄) − y) xᵀ(w − w̄) + ⅛ (w − w̄)ᵀ x xᵀ (w − w̄)
 *   ⇒ L(w; s) = −wᵀs1 + ⅛ wᵀ S2 w,   S̄(w̄; x, y) = ( x(y − σ(xᵀw̄)) + ¼ x xᵀ w̄ ,  x xᵀ )
 *   M-step: w = 4 S2⁻¹ s1.
 * Statistic layout: s1 (p) then S2 (p×p, upper triangle stored).
 */
import { cholSolve, cholWithRidge, dot, quadFormUpper, symRank1Blend } from "../core/dense.js";
import type { Surrogate } from "./types.js";

export interface LogisticWorkspace {
  readonly R: Float64Array;
}

/** log(1 + e^z) without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/** Böhning–Lindsay surrogate for logistic regression on a p-dimensional design (intercept included by the caller). */
export function logisticSurrogate(p: number): Surrogate<LogisticWorkspace> {
  const S2 = p;
  return Object.freeze({
    name: "logistic-bohning",
    statSize: p + p * p,
    paramSize: p,
    createWorkspace: () => ({ R: new Float64Array(p * p) }),
    accumulate(s: Float64Array, a: number, b: number, w: Float64Array, x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number): number {
      const z = dot(p, w, 0, x, xo);
      const sig = 1 / (1 + Math.exp(-z));
      const c = y[yo] - sig + 0.25 * z; // x(y − σ) + ¼ x (xᵀw̄)
      for (let i = 0; i < p; i++) s[i] = a * s[i] + b * c * x[xo + i];
      symRank1Blend(p, s, S2, a, b, x, xo);
      return softplus(z) - y[yo] * z;
    },
    mstep(s: Float64Array, w: Float64Array, ws: LogisticWorkspace): boolean {
      if (cholWithRidge(p, s, S2, ws.R, 0) < 0) return false;
      for (let i = 0; i < p; i++) w[i] = 4 * s[i];
      cholSolve(p, ws.R, 0, w, 0);
      return true;
    },
    loss(w: Float64Array, x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number): number {
      const z = dot(p, w, 0, x, xo);
      return softplus(z) - y[yo] * z;
    },
    objective(w: Float64Array, s: Float64Array): number {
      return -dot(p, w, 0, s, 0) + 0.125 * quadFormUpper(p, s, S2, w, 0, w, 0);
    },
  });
}
