/**
 * RMSProp, PyTorch convention (`torch.optim.RMSprop` with `centered=False`, `momentum=0`).
 *
 *   v_t = ρ · v_{t−1} + (1 − ρ) · g_t²          (v_0 = 0)
 *   Δ_t = −η · g_t / (√v_t + ε)
 *
 * Where ε goes: **outside** the square root, added to √v_t (PyTorch: `square_avg.sqrt().add_(eps)`;
 * optax `rmsprop` with its default `eps_root = 0`). TensorFlow 1 / early Keras used √(v_t + ε)
 * instead; for ε = 1e-8 the two differ only for |g| ≲ 1e-4, but a test pins this choice down.
 *
 * There is no bias correction (as in PyTorch and optax): v_1 = (1 − ρ)·g_1², so the first step is
 * Δ_1 = −η·g_1/(√(1−ρ)·|g_1| + ε) ≈ −η·sign(g_1)/√(1 − ρ), i.e. 10·η for ρ = 0.99. PyTorch calls ρ
 * `alpha`; optax and Keras call it `decay` / `rho`.
 *
 * Options (the table in `RMSPROP_OPTIONS` is the source of truth; a test checks this header against it):
 *
 * | option       | default | range    | meaning                                      |
 * |--------------|---------|----------|----------------------------------------------|
 * | learningRate | 3e-4    | (0, inf) | η, the step size (measured; PyTorch uses 1e-2)|
 * | rho          | 0.99    | [0, 1)   | ρ, decay of the running mean of g²           |
 * | eps          | 1e-8    | (0, inf) | ε, added to √v (outside the square root)     |
 *
 * The default η = 3e-4 was measured on standardized MoE data at batch size 1
 * (`scripts/baseline-defaults.ts`, docs/BASELINES.md): from the shared initialization it never
 * ends worse than that initialization, which 1e-3 did on 1–2 of 9 problems.
 *
 * ε must be > 0: a coordinate whose gradient has always been exactly 0 (e.g. an unused parameter)
 * would otherwise give 0/0 = NaN. Cost: O(nParams) per step; state `{t, v}`; allocates nothing.
 *
 * @see T. Tieleman and G. Hinton, "Lecture 6.5 — RMSProp: divide the gradient by a running average of
 *   its recent magnitude", COURSERA: Neural Networks for Machine Learning, 2012.
 * @see PyTorch `torch.optim.RMSprop` documentation (algorithm box); optax `rmsprop`.
 */

import {
  checkLengths,
  checkNParams,
  resolveOptions,
  type OptimizerOptionTable,
  type Optimizer,
  type OptimizerState,
} from "./types.js";

/** Options of `rmsprop` (all optional; see the header for defaults). */
export type RmspropOptions = {
  learningRate: number;
  rho: number;
  eps: number;
};

/** RMSProp state. */
export interface RmspropState extends OptimizerState {
  t: number;
  /** nParams; running mean of g² (PyTorch `square_avg`). */
  v: Float64Array;
}

/** Constraint table of `rmsprop` (defaults and ranges). */
export const RMSPROP_OPTIONS: OptimizerOptionTable = Object.freeze({
  learningRate: { kind: "float", min: 0, minOpen: true, default: 3e-4, doc: "η, the step size" },
  rho: { kind: "float", min: 0, max: 1, maxOpen: true, default: 0.99, doc: "ρ, decay of the running mean of g²" },
  eps: { kind: "float", min: 0, minOpen: true, default: 1e-8, doc: "ε, added to √v (outside the square root)" },
});

/**
 * Creates an RMSProp optimizer (PyTorch convention, ε outside the square root).
 * @param options see the header table; unknown keys are rejected
 * @throws {OptionError} for an unknown option or an out-of-range value
 * @example
 * const opt = rmsprop({ learningRate: 0.01 });
 * const state = opt.init(1);
 * const g = new Float64Array([0.5]);
 * opt.update(g, state, new Float64Array(1));
 * g[0]; // => -0.09999998000000394  (= −0.01·0.5/(0.1·0.5 + 1e-8))
 */
export function rmsprop(options: Partial<RmspropOptions> = {}): Optimizer<RmspropState> {
  const resolved = resolveOptions<RmspropOptions>(RMSPROP_OPTIONS, options, "rmsprop");
  const eta = resolved.learningRate;
  const rho = resolved.rho;
  const eps = resolved.eps;
  return {
    name: "rmsprop",
    options: resolved,
    init(nParams: number): RmspropState {
      checkNParams("rmsprop", nParams);
      return { t: 0, v: new Float64Array(nParams) };
    },
    update(grad: Float64Array, state: RmspropState, theta: Float64Array): void {
      const v = state.v;
      const n = v.length;
      checkLengths("rmsprop", n, grad, theta);
      for (let i = 0; i < n; i++) {
        const g = grad[i];
        v[i] = rho * v[i] + (1 - rho) * g * g; // v_t = ρ v_{t−1} + (1−ρ) g²
        grad[i] = -eta * (g / (Math.sqrt(v[i]) + eps)); // Δ = −η g / (√v + ε)
      }
      state.t += 1;
    },
  };
}
