/**
 * The small-MoE scenario of the optimizer conformance table (STYLE.md b6 item 7: "parabola,
 * Rosenbrock, and a small MoE NLL"). Not a test file itself; `conformance-table.ts` imports it.
 *
 * Problem: n = 200 fixed rows from a K = 2, d = 1, q = 1 softmax-gated MoE (seed 2024):
 *   x ~ U(−1.5, 1.5), π_1(x) = σ(3x), expert 1: y = 1 + 2x + 0.5ε, expert 2: y = −1 − x + 0.5ε.
 * Loss: the full-batch mean NLL minus its minimum, F(θ) = (1/n) Σ_i f(θ; x_i, y_i) − F̂, where F̂ is
 * the mean NLL at the batch-EM optimum θ̂ (exact Newton gate step, run to a relative change of
 * 1e-15), so the loss is ≥ 0 and → 0 and the table's "reduction factor" is meaningful. The value is
 * clamped at 0: an optimizer that lands within rounding of θ̂ can otherwise read a tiny negative.
 * Gradient: `rowNllGrad` (ALGORITHM.md §2.3) averaged over the rows — deterministic, so the
 * conformance suite also checks it against finite differences.
 * GNB sample (Sophia): ŷ_i ~ p(·|x_i; θ) by `sampleFromModel` for every row, then
 * ĝ = (1/n) Σ_i ∇f(θ; x_i, ŷ_i); the Sophia cells pass `batchSize: n` so that ρ·bs·h matches
 * the official scaling of a batch-averaged ĝ. No closed-form Gauss–Newton diagonal exists for a
 * mixture (the Fisher information of a Gaussian mixture is an integral), so `gaussNewtonDiag` is
 * omitted.
 * θ0: gate (0, 1), β_1 = (0.5, 0.5), β_2 = (−0.5, −0.5), log σ² = 0 — in the basin of θ̂ (same
 * labelling), 1.07 nats above the optimum.
 */
import { createRng } from "../../src/core/rng.js";
import { batchEM } from "../../src/mm/batch-em.js";
import { moeLayout } from "../../src/model/dims.js";
import { rowNllGrad, sampleFromModel } from "../../src/model/gradient.js";
import { createRowWorkspace, meanNll } from "../../src/model/moe.js";
import type { Scenario } from "./conformance-table.js";

const L = moeLayout({ K: 2, d: 1, q: 1 });
/** Number of rows of the fixed data set. */
export const MOE_ROWS = 200;

function makeData(): { X: Float64Array; Y: Float64Array } {
  const rng = createRng(2024);
  const X = new Float64Array(MOE_ROWS * L.p);
  const Y = new Float64Array(MOE_ROWS);
  for (let i = 0; i < MOE_ROWS; i++) {
    const x = -1.5 + 3 * rng.next();
    X[i * 2] = 1;
    X[i * 2 + 1] = x;
    const pi1 = 1 / (1 + Math.exp(-3 * x));
    Y[i] = rng.next() < pi1 ? 1 + 2 * x + 0.5 * rng.normal() : -1 - x + 0.5 * rng.normal();
  }
  return { X, Y };
}

const { X, Y } = makeData();
const ws = createRowWorkspace(L);
const yHat = new Float64Array(1);

function theta0(): Float64Array {
  const t = new Float64Array(L.size);
  t.set([0, 1], L.gate);
  t.set([0.5, 0.5, -0.5, -0.5], L.beta);
  return t; // log σ² = 0
}

/** Mean NLL at the batch-EM optimum (reference solver), from θ0. */
const NLL_MIN = (() => {
  const t = theta0();
  batchEM(L, t, X, Y, MOE_ROWS, { maxIter: 5000, tol: 1e-15 });
  return meanNll(L, t, X, Y, MOE_ROWS, ws);
})();

export const SMALL_MOE: Scenario = {
  name: "small-moe",
  dim: L.size,
  stochastic: false,
  theta0,
  loss(theta) {
    return Math.max(meanNll(L, theta, X, Y, MOE_ROWS, ws) - NLL_MIN, 0);
  },
  grad(theta, out) {
    out.fill(0);
    for (let i = 0; i < MOE_ROWS; i++) rowNllGrad(L, theta, X, i * L.p, Y, i, ws, out, 1 / MOE_ROWS);
  },
  sampledGrad(theta, out, rng) {
    out.fill(0);
    for (let i = 0; i < MOE_ROWS; i++) {
      sampleFromModel(L, theta, X, i * L.p, rng, yHat, ws);
      rowNllGrad(L, theta, X, i * L.p, yHat, 0, ws, out, 1 / MOE_ROWS);
    }
  },
};
