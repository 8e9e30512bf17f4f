/**
 * Stochastic gradient descent with an optional polynomially decaying step size.
 *
 * At the n-th call of `update` (n = 1, 2, …; before the call `state.t = n − 1`):
 *
 *   η_n = η0 · n^(−decay)          (decay = 0, the default, gives the constant step η_n = η0)
 *   Δ_n = −η_n · g_n
 *
 * i.e. η = η0·(1 + t)^(−decay) with t the number of earlier steps, so the first step always uses η0.
 * With decay ∈ (1/2, 1] the schedule satisfies the Robbins–Monro conditions Σ η_n = ∞, Σ η_n² < ∞
 * (decay = 1 is the classical 1/n rate); decay ∈ (0, 1/2] decays but does not satisfy Σ η_n² < ∞.
 *
 * Options (the table in `SGD_OPTIONS` is the source of truth; a test checks this header against it):
 *
 * | option       | default | range    | meaning                                               |
 * |--------------|---------|----------|-------------------------------------------------------|
 * | learningRate | 1e-4    | (0, inf) | η0, the initial (or constant) step size               |
 * | decay        | 0       | [0, 1]   | exponent of the decay n^(−decay); 0 means constant    |
 *
 * The default η0 = 1e-4 was measured on standardized MoE data at batch size 1
 * (`scripts/baseline-defaults.ts`, docs/BASELINES.md): it never ends worse than the shared
 * initialization (1e-3 did in 8 of 9 problems) and has the lowest regret (within 5 %) of the rates
 * that pass; the benchmark still grid-searches η0 (ALGORITHM.md §4.1). Cost: O(nParams) per step; the state holds only `t`; allocates nothing.
 *
 * @see H. Robbins and S. Monro, "A stochastic approximation method", Ann. Math. Statist. 22(3):400–407, 1951.
 * @see ALGORITHM.md §4.1 (η_n = η0·n^(−α)); optax `sgd` with the schedule `lambda t: η0·(1 + t)^(−decay)`.
 */

import {
  checkLengths,
  checkNParams,
  resolveOptions,
  type OptimizerOptionTable,
  type Optimizer,
  type OptimizerState,
} from "./types.js";

/** Options of `sgd` (all optional; see the header for defaults). */
export type SgdOptions = {
  learningRate: number;
  decay: number;
};

/** SGD state: only the step counter. */
export interface SgdState extends OptimizerState {
  t: number;
}

/** Constraint table of `sgd` (defaults and ranges). */
export const SGD_OPTIONS: OptimizerOptionTable = Object.freeze({
  learningRate: { kind: "float", min: 0, minOpen: true, default: 1e-4, doc: "η0, the initial (or constant) step size" },
  decay: { kind: "float", min: 0, max: 1, default: 0, doc: "exponent of the decay n^(−decay); 0 is constant" },
});

/**
 * Creates an SGD optimizer, Δ = −η_n g with η_n = η0·n^(−decay).
 * @param options see the header table; unknown keys are rejected
 * @throws {OptionError} for an unknown option or an out-of-range value
 * @example
 * const opt = sgd({ learningRate: 0.1, decay: 1 });
 * const state = opt.init(1);
 * const g = new Float64Array([2]);
 * opt.update(g, state, new Float64Array(1));
 * g[0]; // => -0.2  (η_1 = 0.1)
 * g[0] = 2;
 * opt.update(g, state, new Float64Array(1));
 * g[0]; // => -0.1  (η_2 = 0.1 / 2)
 */
export function sgd(options: Partial<SgdOptions> = {}): Optimizer<SgdState> {
  const resolved = resolveOptions<SgdOptions>(SGD_OPTIONS, options, "sgd");
  const eta0 = resolved.learningRate;
  const decay = resolved.decay;
  const negDecay = -decay;
  return {
    name: "sgd",
    options: resolved,
    init(nParams: number): SgdState {
      checkNParams("sgd", nParams);
      return { t: 0 };
    },
    update(grad: Float64Array, state: SgdState, theta: Float64Array): void {
      const n = grad.length;
      checkLengths("sgd", n, grad, theta);
      // η_n = η0·n^(−decay), n = t + 1. Written as η0·(1 or n^(−decay)) rather than
      // `decay === 0 ? eta0 : …`: when several sgd() closures share one optimized `update`, the latter
      // merges a boxed context value with a computed double and V8 then boxes a double on every call
      // (caught by test/optim/no-alloc.test.ts).
      const eta = eta0 * (decay === 0 ? 1 : Math.pow(state.t + 1, negDecay));
      for (let i = 0; i < n; i++) grad[i] = -eta * grad[i];
      state.t += 1;
    },
  };
}
