/** Parameter distance after label alignment with gate re-referencing (ALGORITHM.md §4.2). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  InputError, alignParameters, createRng, minCostAssignment, parameterError, randomMoeSpec, type MoeParameters,
} from "../../src/index.js";

/** The truth relabelled: estimated label e holds truth expert `order[e]`; the gate re-referenced so that
 * the model (the softmax over experts) is unchanged. */
function relabel(P: MoeParameters, order: readonly number[]): MoeParameters {
  const K = P.beta.length;
  const p = P.beta[0][0].length;
  const w = (k: number): number[] => (k === K - 1 ? new Array<number>(p).fill(0) : P.gate[k]);
  const ref = w(order[K - 1]);
  return {
    gate: order.slice(0, K - 1).map((t) => w(t).map((v, i) => v - ref[i])),
    beta: order.map((t) => P.beta[t].map((r) => r.slice())),
    sigma2: order.map((t) => P.sigma2[t].slice()),
  };
}

/** err² for one permutation, straight from the formula (brute-force reference). */
function errSq(est: MoeParameters, truth: MoeParameters, sigma: readonly number[]): number {
  const K = truth.beta.length;
  const p = truth.beta[0][0].length;
  const w = (P: MoeParameters, k: number): number[] => (k === K - 1 ? new Array<number>(p).fill(0) : P.gate[k]);
  let s = 0;
  for (let k = 0; k < K - 1; k++) {
    const a = w(est, sigma[k]);
    const r = w(est, sigma[K - 1]);
    for (let i = 0; i < p; i++) s += (a[i] - r[i] - truth.gate[k][i]) ** 2;
  }
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < truth.beta[k].length; j++) {
      for (let i = 0; i < p; i++) s += (est.beta[sigma[k]][j][i] - truth.beta[k][j][i]) ** 2;
      s += (est.sigma2[sigma[k]][j] - truth.sigma2[k][j]) ** 2;
    }
  }
  return s;
}

function permutations(n: number): number[][] {
  if (n === 1) return [[0]];
  const out: number[][] = [];
  for (const p of permutations(n - 1)) for (let i = 0; i <= p.length; i++) out.push([...p.slice(0, i), n - 1, ...p.slice(i)]);
  return out;
}

const S1: MoeParameters = { gate: [[0, 8]], beta: [[[0, -2.5]], [[0, 2.5]]], sigma2: [[1], [1]] };

describe("parameterError", () => {
  it("is 0 for the truth itself (identity permutation)", () => {
    const r = parameterError(S1, S1);
    assert.equal(r.error, 0);
    assert.deepEqual(r.permutation, [0, 1]);
  });

  it("hand case K = 2: a small perturbation gives the Euclidean distance", () => {
    const est: MoeParameters = { gate: [[0.5, 7]], beta: [[[0, -2]], [[0.1, 2.5]]], sigma2: [[1.2], [1]] };
    // gate: 0.25 + 1 = 1.25; beta: 0.25 + 0.01 = 0.26; sigma2: 0.04 ⇒ err² = 1.55
    const r = parameterError(est, S1);
    assert.ok(Math.abs(r.squared - 1.55) < 1e-12, String(r.squared));
    assert.ok(Math.abs(r.error - Math.sqrt(1.55)) < 1e-12);
    assert.ok(Math.abs(r.parts.gate - 1.25) < 1e-12 && Math.abs(r.parts.beta - 0.26) < 1e-12 && Math.abs(r.parts.sigma2 - 0.04) < 1e-12);
  });

  it("re-references the gate: S1 with its experts swapped is at distance 0 (gate −w)", () => {
    // Swapping the two experts of a K = 2 model negates the gate vector (w_2 − w_1 = −w_1).
    const swapped: MoeParameters = { gate: [[0, -8]], beta: [[[0, 2.5]], [[0, -2.5]]], sigma2: [[1], [1]] };
    const r = parameterError(swapped, S1);
    assert.equal(r.error, 0);
    assert.deepEqual(r.permutation, [1, 0]);
    assert.deepEqual(r.aligned, S1);
    // Without re-referencing (comparing gate +8 with −8 after swapping β) the error would be 16.
    assert.ok(Math.sqrt(errSq(swapped, S1, [0, 1])) > 5);
  });

  it("any relabelling of a K = 3 truth is at distance 0, and the permutation recovers it", () => {
    const truth: MoeParameters = {
      gate: [[1, 3, -2], [-0.5, -2, 3]],
      beta: [[[0, 2, -1]], [[1, -1, 0.5]], [[-1, 0.5, 2]]],
      sigma2: [[0.3], [0.5], [0.4]],
    };
    for (const order of permutations(3)) {
      const est = relabel(truth, order);
      const r = parameterError(est, truth);
      assert.ok(r.error < 1e-12, `order ${order}: ${r.error}`);
      // est label e holds truth order[e] ⇒ truth k sits at e with order[e] = k
      for (let k = 0; k < 3; k++) assert.equal(order[r.permutation[k]], k);
      for (let k = 0; k < 2; k++) r.aligned.gate[k].forEach((v, i) => assert.ok(Math.abs(v - truth.gate[k][i]) < 1e-12));
    }
  });

  it("equals the brute-force minimum over all permutations (random K ≤ 5, q ≤ 2)", () => {
    const rng = createRng(11);
    for (let trial = 0; trial < 40; trial++) {
      const K = 1 + (trial % 5);
      const q = 1 + (trial % 2);
      const d = 1 + (trial % 3);
      const truth = randomMoeSpec(K, d, q, rng).params;
      const est = randomMoeSpec(K, d, q, rng).params;
      let brute = Infinity;
      for (const s of permutations(K)) brute = Math.min(brute, errSq(est, truth, s));
      const r = parameterError(est, truth);
      assert.ok(Math.abs(r.squared - brute) <= 1e-9 * Math.max(1, brute), `K=${K}: ${r.squared} vs ${brute}`);
      assert.ok(Math.abs(errSq(est, truth, r.permutation) - r.squared) <= 1e-9 * Math.max(1, brute));
      const a = r.aligned;
      assert.ok(Math.abs(errSq(a, truth, Array.from({ length: K }, (_, k) => k)) - r.squared) <= 1e-9 * Math.max(1, brute));
    }
  });

  it("rejects shape mismatches and non-finite values", () => {
    const K3 = randomMoeSpec(3, 1, 1, createRng(1)).params;
    assert.throws(() => parameterError(K3, S1), InputError);
    assert.throws(() => parameterError({ ...S1, sigma2: [[NaN], [1]] }, S1), InputError);
    assert.throws(() => alignParameters(S1, [0, 0]), InputError);
  });
});

describe("minCostAssignment", () => {
  it("solves a 3 × 3 hand case", () => {
    // unique optimum: 0→1 (1), 1→0 (2), 2→2 (2) = 5; the next best are 6
    assert.deepEqual(minCostAssignment([[4, 1, 3], [2, 0, 5], [3, 2, 2]]), [1, 0, 2]);
    assert.deepEqual(minCostAssignment([]), []);
  });
});
