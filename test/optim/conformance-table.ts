/**
 * The optimizer conformance table (optax `_OPTIMIZERS_UNDER_TEST`, Optimisers.jl `RULES`):
 * every optimizer runs through the same scenarios, and each (optimizer, scenario) cell states the
 * learning rate, the number of steps, the loss reduction it must reach, and why those numbers.
 *
 * To add a scenario (e.g. the small MoE NLL):
 *   1. append a `Scenario` to `SCENARIOS` (give `sampledGrad` so Sophia can run, and
 *      `gaussNewtonDiag` if you can, so the GNB sampler is checked too);
 *   2. add a cell with that scenario's name to **every** row of `CONFORMANCE_TABLE`, either an
 *      `Expectation` or `{ skip: "reason" }`. A missing cell fails the suite, so no optimizer is
 *      silently left out.
 *
 * Not a test file itself (no `.test.ts` suffix); `conformance.test.ts` runs it.
 */

import { createRng, type Rng } from "../../src/core/rng.js";
import {
  adam,
  applyUpdate,
  rmsprop,
  sgd,
  sophia,
  type Optimizer,
  type OptimizerName,
  type OptimizerState,
  type SophiaOptimizer,
  type SophiaState,
} from "../../src/optim/index.js";
import { MOE_ROWS, SMALL_MOE } from "./moe-scenario.js";

/** A test problem: an objective with its gradient, from a fixed starting point. */
export interface Scenario {
  readonly name: string;
  /** Number of parameters. */
  readonly dim: number;
  /** True when `grad` is random (mini-batch); then it is not checked against finite differences. */
  readonly stochastic: boolean;
  /** A fresh copy of θ0. */
  theta0(): Float64Array;
  /** The objective that progress is judged on (the full-data objective for stochastic scenarios). */
  loss(theta: Float64Array): number;
  /** Writes the (possibly stochastic) gradient at θ into `out`; `rng` is a dedicated stream. */
  grad(theta: Float64Array, out: Float64Array, rng: Rng): void;
  /**
   * Gauss–Newton–Bartlett sample for Sophia: the gradient of the loss at labels drawn from the
   * model at θ (see src/optim/sophia.ts). Omit it and every Sophia cell must be a skip.
   */
  sampledGrad?(theta: Float64Array, out: Float64Array, rng: Rng): void;
  /** Diagonal of the Gauss–Newton matrix at θ, i.e. E[ĝ⊙ĝ] of `sampledGrad`; optional. */
  gaussNewtonDiag?(theta: Float64Array, out: Float64Array): void;
}

/** What one optimizer must achieve on one scenario. */
export interface Expectation {
  /** Options passed to the row's `make` (typically the learning rate tuned for this scenario). */
  readonly options: Readonly<Record<string, number>>;
  /** Number of `update` calls. */
  readonly steps: number;
  /** Required reduction: loss(θ0) / loss(θ_steps) ≥ factor. */
  readonly factor: number;
  /** Seed of the run (gradient noise and GNB sampling); default 1. */
  readonly seed?: number;
  /** Where `options`, `steps` and `factor` come from. */
  readonly why: string;
}

/** A cell that is deliberately not run, with the reason. */
export interface Skip {
  readonly skip: string;
}

/** One row of the conformance table. */
export interface ConformanceRow {
  readonly name: OptimizerName;
  readonly make: (options: Readonly<Record<string, number>>) => Optimizer;
  /** Scenario name → expectation or skip; must cover every scenario in `SCENARIOS`. */
  readonly scenarios: Readonly<Record<string, Expectation | Skip>>;
  /** Skip the whole row, with the reason. */
  readonly skip?: string;
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

/** Curvatures of the quadratic: condition number 100. */
const QUAD_A = [1, 10, 100];

/**
 * Ill-conditioned diagonal quadratic f(θ) = ½ Σ a_i θ_i², a = (1, 10, 100), θ0 = (1, −1, 1),
 * f(θ0) = 55.5. Read as a Gaussian NLL with observed labels t = 0, f = Σ_i (t_i − θ_i)²·a_i/2,
 * i.e. t_i ~ N(θ_i, 1/a_i). GNB: draw t̂_i ~ N(θ_i, 1/a_i) and take ĝ_i = ∂f/∂θ_i at t̂ =
 * a_i(θ_i − t̂_i) = −√a_i·z_i, z_i ~ N(0,1), so E[ĝ_i²] = a_i: the exact Hessian diagonal.
 */
export const QUADRATIC: Scenario = {
  name: "quadratic",
  dim: 3,
  stochastic: false,
  theta0: () => new Float64Array([1, -1, 1]),
  loss(theta) {
    let s = 0;
    for (let i = 0; i < QUAD_A.length; i++) s += 0.5 * QUAD_A[i] * theta[i] * theta[i];
    return s;
  },
  grad(theta, out) {
    for (let i = 0; i < QUAD_A.length; i++) out[i] = QUAD_A[i] * theta[i];
  },
  sampledGrad(theta, out, rng) {
    for (let i = 0; i < QUAD_A.length; i++) {
      const tHat = theta[i] + rng.normal() / Math.sqrt(QUAD_A[i]); // t̂_i ~ N(θ_i, 1/a_i)
      out[i] = QUAD_A[i] * (theta[i] - tHat); // ∂/∂θ_i of ½ a_i (t̂_i − θ_i)²
    }
  },
  gaussNewtonDiag(_theta, out) {
    for (let i = 0; i < QUAD_A.length; i++) out[i] = QUAD_A[i];
  },
};

/**
 * Rosenbrock f(x, y) = (1 − x)² + 100 (y − x²)² from (−1.2, 1), f(θ0) = 24.2, minimum 0 at (1, 1),
 * where the Hessian has eigenvalues ≈ 1001.6 and 0.4 (a curved valley with condition ≈ 2500).
 * As least squares: residuals t_j − μ_j with μ1 = x, t1 = 1 and μ2 = 10(x² − y), t2 = 0, i.e. a
 * Gaussian NLL with variance ½. GNB: t̂_j = μ_j + z_j/√2, ĝ = −2 Σ_j (t̂_j − μ_j) ∇μ_j, so
 * E[ĝ⊙ĝ] = 2 Σ_j (∇μ_j)² = (2 + 800x², 200), the Gauss–Newton diagonal (= Hessian at the minimum).
 */
export const ROSENBROCK: Scenario = {
  name: "rosenbrock",
  dim: 2,
  stochastic: false,
  theta0: () => new Float64Array([-1.2, 1]),
  loss(theta) {
    const x = theta[0];
    const y = theta[1];
    return (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);
  },
  grad(theta, out) {
    const x = theta[0];
    const y = theta[1];
    out[0] = -2 * (1 - x) - 400 * x * (y - x * x);
    out[1] = 200 * (y - x * x);
  },
  sampledGrad(theta, out, rng) {
    const x = theta[0];
    const r1 = rng.normal() / Math.SQRT2; // t̂1 − μ1
    const r2 = rng.normal() / Math.SQRT2; // t̂2 − μ2
    // ∇μ1 = (1, 0), ∇μ2 = (20x, −10)
    out[0] = -2 * (r1 * 1 + r2 * 20 * x);
    out[1] = -2 * (r2 * -10);
  },
  gaussNewtonDiag(theta, out) {
    const x = theta[0];
    out[0] = 2 + 800 * x * x;
    out[1] = 200;
  },
};

/** Every scenario the table runs. Append new ones here (and a cell in every row). */
export const SCENARIOS: Scenario[] = [QUADRATIC, ROSENBROCK, SMALL_MOE];

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------
//
// How the numbers were chosen. `factor` is always well below what the run reaches: for the
// deterministic optimizers the margin is judged on the worst loss over steps [0.8·N, 1.25·N]
// (so a small change of N or of rounding cannot flip the result); for Sophia, whose curvature
// estimate is random, on the worst such window over seeds 1–10 (the test itself uses seed 1).
// The exploration script that produced the measured values is summarised in each `why`.

export const CONFORMANCE_TABLE: ConformanceRow[] = [
  {
    name: "sgd",
    make: (o) => sgd(o),
    scenarios: {
      quadratic: {
        options: { learningRate: 0.01 },
        steps: 500,
        factor: 1e6,
        why:
          "η = 1/a_max = 0.01, the largest step that does not overshoot the stiffest coordinate. Exactly, " +
          "f_n = ½ Σ a_i θ0_i² (1 − η a_i)^(2n), so f_500 = ½·0.99^1000 + 5·0.9^1000 = 2.16e-5, a reduction " +
          "of 2.57e6; we require 1e6 (the formula is exact up to rounding, so 2.5× is ample)",
      },
      rosenbrock: {
        options: { learningRate: 1e-3 },
        steps: 3000,
        factor: 1e2,
        why:
          "stability needs η < 2/λ_max ≈ 2/1330 at θ0 (and 2/1001.6 at the minimum), so η = 1e-3; along " +
          "the valley (λ ≈ 0.4 near the minimum) progress is slow, ~1/(η·0.4) = 2500 steps per e-fold. " +
          "Measured: reduction 973 at n = 3000, worst 505 over n ∈ [2400, 3750]; we require 1e2",
      },
      "small-moe": {
        options: { learningRate: 0.1 },
        steps: 1000,
        factor: 1e2,
        why:
          "full-batch gradient descent on the mean NLL of moe-scenario.ts (excess 1.07 nats at θ0). η = 0.1 " +
          "is stable (η = 0.3 also converges; η = 1 stalls at a reduction of ≈ 9). Measured: reduction 3.2e3 at n = 1000, worst " +
          "1.5e3 over n ∈ [800, 1250]; we require 1e2",
      },
    },
  },
  {
    name: "rmsprop",
    make: (o) => rmsprop(o),
    scenarios: {
      quadratic: {
        options: { learningRate: 3e-3 },
        steps: 1000,
        factor: 1e2,
        why:
          "RMSProp's step is ≈ η per coordinate while g is steady, so reaching 0 from |θ0| = 1 takes " +
          "≈ 1/η ≈ 330 steps. With constant η it then oscillates: v decays while g ≈ 0, so a step can be " +
          "up to η/√(1−ρ) = 10η, a floor of about ½·a_max·(10η)² = 0.045, i.e. a reduction of ≈ 1.2e3. " +
          "Measured: worst 1.6e3 over n ∈ [400, 625] and 2.1e3 over n ∈ [1600, 2500]; we require 1e2",
      },
      rosenbrock: {
        options: { learningRate: 3e-3 },
        steps: 3000,
        factor: 1e2,
        why:
          "same η as on the quadratic; steps of ≈ η per coordinate follow the valley without the 2/λ_max " +
          "limit that holds SGD back. Measured: reduction 9.3e3 at n = 3000, worst 5.5e3 over n ∈ [2400, 3750]; we require 1e2",
      },
      "small-moe": {
        options: { learningRate: 0.01 },
        steps: 1000,
        factor: 1e3,
        why:
          "constant-η RMSProp reaches a floor set by its ≈ η-sized oscillating steps: measured reduction " +
          "6.7e3 at n = 1000, worst 6.2e3 over n ∈ [800, 1250] (η = 3e-3: 1e5 at n = 1000 but worst 4.6e3; " +
          "η = 0.1: 68); we require 1e3",
      },
    },
  },
  {
    name: "adam",
    make: (o) => adam(o),
    scenarios: {
      quadratic: {
        options: { learningRate: 0.01 },
        steps: 500,
        factor: 1e6,
        why:
          "Adam's early steps are ≈ η·sign(g), so |θ0| = 1 is crossed after ≈ 1/η = 100 steps; then v̂ keeps " +
          "the memory of the large early gradients (β2 = 0.999), the step becomes ≈ η g/√v̂ and converges " +
          "linearly. Measured: worst 1.3e12 over n ∈ [400, 625]; we require 1e6",
      },
      rosenbrock: {
        options: { learningRate: 0.03 },
        steps: 2000,
        factor: 1e3,
        why:
          "η = 0.03 (η ≤ 0.01 has not left the valley floor after 2000 steps: measured 5e2 at η = 0.01). " +
          "Measured: reduction 1.4e6 at n = 2000, worst 4.8e4 over n ∈ [1600, 2500]; we require 1e3",
      },
      "small-moe": {
        options: { learningRate: 0.01 },
        steps: 1000,
        factor: 1e4,
        why:
          "η = 0.01 (η = 0.03 also converges but less regularly, η = 1e-3 has only gained 4× by n = 1000). " +
          "Measured: reduction 6.3e7 at n = 1000, worst 1.3e6 over n ∈ [800, 1250]; we require 1e4",
      },
    },
  },
  {
    name: "sophia",
    make: (o) => sophia(o),
    scenarios: {
      quadratic: {
        options: { learningRate: 0.05, rho: 0.05 },
        steps: 500,
        factor: 1e4,
        why:
          "η/ρ = 1, so an unclipped step is a full Newton step on the momentum, −m/h, and η = 0.05 bounds " +
          "each coordinate's step (|θ0| = 1 needs ≥ 20 steps). h comes from the real GNB sampler " +
          "(E[ĝ²] = a, refreshed every k = 10 steps, no bias correction). Measured: worst 2.9e5 over " +
          "n ∈ [400, 625] and seeds 1–10; we require 1e4",
      },
      rosenbrock: {
        options: { learningRate: 0.05, rho: 0.05 },
        steps: 2000,
        factor: 1e2,
        why:
          "same η, ρ as on the quadratic. The GNB estimate of the valley's curvature is noisy, so progress " +
          "depends on the seed: at n = 2000 the worst window over n ∈ [1600, 2500] ranged from 1.6e3 " +
          "(seed 2) to 6e8 across seeds 1–10; we require 1e2",
      },
      "small-moe": {
        options: { learningRate: 0.01, rho: 0.04, batchSize: MOE_ROWS },
        steps: 1000,
        factor: 1e6,
        why:
          "official ρ = 0.04, η = 0.01, bs = n = 200 because ĝ is the batch average over the 200 rows " +
          "(GNB labels drawn from the model by sampleFromModel, refreshed every k = 10 steps). The curvature " +
          "scaling makes it Newton-like on this small problem: worst reduction over n ∈ [800, 1250] ranged " +
          "from 1.3e10 to 1.3e11 across seeds 1–10 (η = 3e-3: ≥ 1.7e4); we require 1e6",
      },
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Driver
// ---------------------------------------------------------------------------------------------

/** Result of `runScenario`. */
export interface RunResult {
  readonly initialLoss: number;
  readonly finalLoss: number;
  readonly theta: Float64Array;
  readonly state: OptimizerState;
}

/** Type guard for the Sophia optimizer (it needs the caller to refresh its Hessian estimate). */
export function isSophia(opt: Optimizer): opt is Optimizer & SophiaOptimizer {
  return opt.name === "sophia" && typeof (opt as Partial<SophiaOptimizer>).updateHessian === "function";
}

/**
 * Runs `steps` updates of `opt` on `scenario` from θ0. Sophia's Hessian estimate is refreshed on
 * the official schedule: after each step t with t % hessianEvery = 0, with a GNB sample at the new θ.
 * RNG streams: `fork(1)` for gradients, `fork(2)` for GNB sampling.
 */
export function runScenario(opt: Optimizer, scenario: Scenario, steps: number, seed = 1): RunResult {
  const theta = scenario.theta0();
  const state = opt.init(scenario.dim);
  const grad = new Float64Array(scenario.dim);
  const ghat = new Float64Array(scenario.dim);
  const root = createRng(seed);
  const gradRng = root.fork(1);
  const hessRng = root.fork(2);
  const sampled = scenario.sampledGrad;
  if (isSophia(opt) && sampled === undefined) {
    throw new Error(`scenario '${scenario.name}' has no sampledGrad, so Sophia cannot run on it; skip the cell`);
  }
  const initialLoss = scenario.loss(theta);
  for (let s = 0; s < steps; s++) {
    scenario.grad(theta, grad, gradRng);
    opt.update(grad, state, theta);
    applyUpdate(theta, grad);
    if (isSophia(opt) && opt.hessianDue(state as SophiaState)) {
      sampled!.call(scenario, theta, ghat, hessRng);
      opt.updateHessian(state as SophiaState, ghat);
    }
  }
  return { initialLoss, finalLoss: scenario.loss(theta), theta, state };
}
