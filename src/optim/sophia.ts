/**
 * Sophia-G: second-order clipped stochastic optimization with the Gauss–Newton–Bartlett (GNB)
 * diagonal Hessian estimate (Liu, Li, Hall, Liang & Ma, 2023), following the official `SophiaG`
 * class in `Liuhong99/Sophia/sophia.py` and its training loop `train_sophiag.py`.
 *
 * **Experimental baseline** (as optax labels its `contrib/` optimizers): it is here because the ISMM
 * paper compares against it. Its defaults were tuned for GPT-2 pre-training, not for small MoE
 * regressions, and the benchmark must tune η (and possibly ρ) before drawing conclusions.
 *
 * Every step (`update`, n = t + 1):
 *
 *   m_n = β1 · m_{n−1} + (1 − β1) · g_n                                      (m_0 = 0)
 *   Δ_n = −η · λ · θ_{n−1}  −  η · sign(m_n) · min( |m_n| / (ρ · bs · h + 1e-15), 1 )
 *
 * The first term is decoupled weight decay (official: `param.mul_(1 − lr·wd)` before the step).
 * The second is a per-coordinate Newton-like step m/(ρ·bs·h), clipped to at most η in absolute
 * value. `1e-15` is the official constant (not an option); `sign(0) = 0`, so a coordinate with
 * m = 0 does not move.
 *
 * Every `hessianEvery` = k steps the **caller** refreshes the curvature (`updateHessian`):
 *
 *   h ← β2 · h + (1 − β2) · ĝ ⊙ ĝ                                           (h_0 = 0)
 *
 * where ĝ is the gradient of the loss, averaged over a batch of bs inputs, evaluated at labels
 * **sampled from the model** rather than the observed ones (GNB estimator: E[bs·ĝ⊙ĝ] is the diagonal
 * of the Gauss–Newton matrix of the per-observation loss). For the Gaussian MoE of ALGORITHM.md §2:
 * for each input x draw z ~ Categorical(π(x; W)), then ŷ ~ N(β_zᵀx, σ_z²), and take
 * ĝ = ∇_θ f(θ; x, ŷ) with the gradients of §2.3 (bs = 1 in the online setting). The optimizer never
 * samples; it only stores h. Schedule, as in `train_sophiag.py` (`iter_num % k == k − 1`): take the
 * step, then refresh h after the steps t = k, 2k, 3k, …; `hessianDue(state)` says when.
 *
 * Before the first refresh h = 0, so the ratio is |m|/1e-15 ≥ 1 for every |m| ≥ 1e-15 and the step
 * is exactly Δ = −η·sign(m): the first k steps are sign-momentum steps of size η. This is what the
 * official code does (it starts from `hessian = zeros`; its training script also ramps the learning
 * rate up linearly over `warmup_iters`, which the caller may mimic). We keep it so that the baseline
 * is the published algorithm. A caller who prefers a curvature estimate from the start may call
 * `updateHessian` before the first `update`. Note also
 * that h is not bias-corrected (official code): after r refreshes h ≈ (1 − β2^r)·E[ĝ²], so early
 * steps are more often clipped than the fully warmed-up rule would clip them.
 *
 * Options (the table in `SOPHIA_OPTIONS` is the source of truth; a test checks this header against it):
 *
 * | option       | default | range    | meaning                                                        |
 * |--------------|---------|----------|----------------------------------------------------------------|
 * | learningRate | 1e-4    | (0, inf) | η, the largest per-coordinate step (official default)          |
 * | beta1        | 0.965   | [0, 1)   | β1, decay of the gradient momentum m                           |
 * | beta2        | 0.99    | [0, 1)   | β2, decay of the Hessian-diagonal EMA h                        |
 * | rho          | 0.04    | [0, inf) | ρ, clipping threshold scale (ρ = 0: pure sign-momentum steps)  |
 * | batchSize    | 1       | [1, inf) | bs, number of inputs averaged in ĝ (official `bs` argument)    |
 * | weightDecay  | 0       | [0, inf) | λ, decoupled weight decay (official default 0.1; see below)    |
 * | hessianEvery | 10      | [1, inf) | k, steps between Hessian refreshes (official training loop)    |
 *
 * Why weightDecay = 0 here although the official default is 0.1: decoupled decay shrinks every
 * parameter toward 0 (gating weights, expert coefficients, and log σ² toward 0, i.e. σ² toward 1),
 * so it changes the point the method converges to. SGD, RMSProp, Adam and ISMM all minimise the
 * unpenalised NLL; with decay on, a comparison of NLL or parameter error would mix the optimizer
 * with a regulariser (ALGORITHM.md §4.1, "for fairness use wd = 0").
 *
 * Not provided: Sophia-H (Hutchinson estimator u⊙(∇²f u) with u ~ N(0, I) in the paper; Rademacher u
 * is the other common choice) and the official `maximize`/`capturable` flags.
 *
 * Cost: O(nParams) per `update` and per `updateHessian`; state `{t, m, h, hessianUpdates}`;
 * allocates nothing.
 *
 * @see H. Liu, Z. Li, D. Hall, P. Liang and T. Ma, "Sophia: A Scalable Stochastic Second-order
 *   Optimizer for Language Model Pre-training", ICLR 2024, arXiv:2305.14342 (the Sophia algorithm
 *   box with the Gauss–Newton–Bartlett estimator).
 * @see github.com/Liuhong99/Sophia, files `sophia.py` (class `SophiaG`) and `train_sophiag.py`.
 */

import { InputError } from "../core/errors.js";
import {
  checkLengths,
  checkNParams,
  resolveOptions,
  type OptimizerOptionTable,
  type Optimizer,
  type OptimizerState,
} from "./types.js";

/** Options of `sophia` (all optional; see the header for defaults). */
export type SophiaOptions = {
  learningRate: number;
  beta1: number;
  beta2: number;
  rho: number;
  batchSize: number;
  weightDecay: number;
  hessianEvery: number;
};

/** Sophia-G state. */
export interface SophiaState extends OptimizerState {
  t: number;
  /** nParams; gradient momentum m (official `exp_avg`). */
  m: Float64Array;
  /** nParams; EMA of ĝ⊙ĝ, the Hessian-diagonal estimate (official `hessian`). */
  h: Float64Array;
  /** Number of `updateHessian` calls so far (0 means h is still all zeros). */
  hessianUpdates: number;
}

/** The Sophia-G optimizer: the usual pair plus the caller-driven Hessian refresh. */
export interface SophiaOptimizer extends Optimizer<SophiaState> {
  readonly name: "sophia";
  /** k: refresh h after the steps t = k, 2k, … (`hessianDue`). */
  readonly hessianEvery: number;
  /**
   * h ← β2·h + (1 − β2)·ĝ⊙ĝ. O(nParams); allocates nothing; does not change `t` or `m`.
   * @param state the optimizer state (its `h` is mutated, `hessianUpdates` incremented)
   * @param ghat gradient of the (bs-averaged) loss at labels sampled from the model; read only
   * @throws {InputError} when `ghat` and the state have different lengths
   */
  updateHessian(state: SophiaState, ghat: Float64Array): void;
  /** True right after a step t that is a positive multiple of `hessianEvery` (official schedule). */
  hessianDue(state: SophiaState): boolean;
}

/** Constraint table of `sophia` (defaults and ranges). */
export const SOPHIA_OPTIONS: OptimizerOptionTable = Object.freeze({
  learningRate: { kind: "float", min: 0, minOpen: true, default: 1e-4, doc: "η, the largest per-coordinate step" },
  beta1: { kind: "float", min: 0, max: 1, maxOpen: true, default: 0.965, doc: "β1, decay of the gradient momentum m" },
  beta2: { kind: "float", min: 0, max: 1, maxOpen: true, default: 0.99, doc: "β2, decay of the Hessian-diagonal EMA h" },
  rho: { kind: "float", min: 0, default: 0.04, doc: "ρ, clipping threshold scale" },
  batchSize: { kind: "int", min: 1, default: 1, doc: "bs, number of inputs averaged in ĝ" },
  weightDecay: { kind: "float", min: 0, default: 0, doc: "λ, decoupled weight decay" },
  hessianEvery: { kind: "int", min: 1, default: 10, doc: "k, steps between Hessian refreshes" },
});

/** Official denominator guard in `sophia.py` (`hess + 1e-15`). */
const DENOM_GUARD = 1e-15;

/**
 * Creates a Sophia-G optimizer (experimental baseline; see the header).
 * @param options see the header table; unknown keys are rejected
 * @throws {OptionError} for an unknown option or an out-of-range value
 * @example
 * const opt = sophia({ learningRate: 0.01 });
 * const state = opt.init(2);
 * const g = new Float64Array([3, -0.2]);
 * opt.update(g, state, new Float64Array(2));
 * Array.from(g); // => [-0.01, 0.01]  (h = 0 before any refresh ⇒ Δ = −η·sign(m))
 */
export function sophia(options: Partial<SophiaOptions> = {}): SophiaOptimizer {
  const resolved = resolveOptions<SophiaOptions>(SOPHIA_OPTIONS, options, "sophia");
  const eta = resolved.learningRate;
  const b1 = resolved.beta1;
  const b2 = resolved.beta2;
  const rhoBs = resolved.rho * resolved.batchSize; // ρ·bs
  const etaLambda = eta * resolved.weightDecay; // η·λ
  const k = resolved.hessianEvery;

  function checkState(owner: string, state: SophiaState, n: number): void {
    if (state.m.length !== n || state.h.length !== n) {
      throw new InputError(
        `sophia.${owner} requires state.m and state.h of length ${n}, got ${state.m.length} and ${state.h.length}`,
      );
    }
  }

  return {
    name: "sophia",
    options: resolved,
    hessianEvery: k,
    init(nParams: number): SophiaState {
      checkNParams("sophia", nParams);
      return { t: 0, m: new Float64Array(nParams), h: new Float64Array(nParams), hessianUpdates: 0 };
    },
    update(grad: Float64Array, state: SophiaState, theta: Float64Array): void {
      const m = state.m;
      const h = state.h;
      const n = m.length;
      checkLengths("sophia", n, grad, theta);
      checkState("update", state, n);
      for (let i = 0; i < n; i++) {
        const mi = b1 * m[i] + (1 - b1) * grad[i]; // m_n = β1 m + (1−β1) g
        m[i] = mi;
        let ratio = Math.abs(mi) / (rhoBs * h[i] + DENOM_GUARD);
        if (ratio > 1) ratio = 1; // clip: |step| ≤ η
        let delta = -eta * Math.sign(mi) * ratio;
        if (etaLambda !== 0) delta -= etaLambda * theta[i]; // decoupled weight decay on θ_{n−1}
        grad[i] = delta;
      }
      state.t += 1;
    },
    updateHessian(state: SophiaState, ghat: Float64Array): void {
      const h = state.h;
      const n = h.length;
      if (ghat.length !== n) {
        throw new InputError(`sophia.updateHessian requires ghat of length ${n}, got ${ghat.length}`);
      }
      for (let i = 0; i < n; i++) {
        const gi = ghat[i];
        h[i] = b2 * h[i] + (1 - b2) * gi * gi; // h ← β2 h + (1−β2) ĝ⊙ĝ
      }
      state.hessianUpdates += 1;
    },
    hessianDue(state: SophiaState): boolean {
      return state.t > 0 && state.t % k === 0;
    },
  };
}
