/**
 * MM invariants of the MoE surrogate (spec §3): statistics test vector, majorization (P1),
 * tightness and first-order tangency (P5) by finite differences, and that the M-step minimizes
 * L(·; s) (P4).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { moeLayout, type MoeLayout } from "../../src/model/dims.js";
import { moeSurrogate } from "../../src/surrogate/moe.js";
import { logisticSurrogate } from "../../src/surrogate/logistic.js";
import type { Surrogate } from "../../src/surrogate/types.js";
import { createRng, type Rng } from "../../src/core/rng.js";
import { specVectorTheta } from "../spec-vectors.js";
import { assertAllClose, assertClose } from "../helpers.js";

test("spec §8 vector: G1, s_xy and s_yy of one row", () => {
  const { L, t } = specVectorTheta();
  const sur = moeSurrogate(L);
  const s = new Float64Array(sur.statSize);
  sur.accumulate(s, 0, 1, t, [1, 0.5], 0, [0.7], 0, sur.createWorkspace());
  const S = sur.stats;
  // Our G1 rows are the spec's G1 columns (gate vectors contiguous). Spec gives 10 digits.
  assertAllClose(s.subarray(S.G1, S.G1 + 4), [0.3517860726, 0.1758930363, -0.0711295582, -0.0355647791], 1e-10);
  assertAllClose(s.subarray(S.sxy, S.sxy + 6), [0.4380046416, 0.2190023208, 0.1916471493, 0.0958235746, 0.0703482091, 0.0351741046], 1e-10);
  assertAllClose(s.subarray(S.syy, S.syy + 3), [0.3066032491, 0.1341530045, 0.0492437464], 1e-10);
});

/** g(θ; θ̄, z) = L(θ; S̄(θ̄; z)) − L(θ̄; S̄(θ̄; z)) + f(θ̄; z) (the constant c makes it tight). */
function surrogateAt<W>(sur: Surrogate<W>, anchor: Float64Array, x: number[], y: number[]) {
  const ws = sur.createWorkspace();
  const s = new Float64Array(sur.statSize);
  const fBar = sur.accumulate(s, 0, 1, anchor, x, 0, y, 0, ws);
  const c = fBar - sur.objective(anchor, s, ws);
  return {
    g: (th: Float64Array) => sur.objective(th, s, ws) + c,
    f: (th: Float64Array) => sur.loss(th, x, 0, y, 0, ws),
  };
}

function randomTheta(L: MoeLayout, rng: Rng, scale = 1): Float64Array {
  const t = new Float64Array(L.size);
  for (let i = 0; i < L.size; i++) t[i] = scale * rng.normal();
  for (let i = L.logSigma2; i < L.size; i++) t[i] = 0.5 * rng.normal(); // σ² around 1
  return t;
}

for (const [K, d, q] of [[2, 1, 1], [3, 2, 1], [4, 3, 2], [5, 2, 1]] as const) {
  test(`majorization, tightness and tangency (K=${K}, d=${d}, q=${q})`, () => {
    const L = moeLayout({ K, d, q });
    const sur = moeSurrogate(L);
    const rng = createRng(100 * K + d);
    let worst = -Infinity;
    for (let trial = 0; trial < 60; trial++) {
      const anchor = randomTheta(L, rng, 1.5);
      const x = [1, ...Array.from({ length: d }, () => 2 * rng.normal())];
      const y = Array.from({ length: q }, () => 2 * rng.normal());
      const { g, f } = surrogateAt(sur, anchor, x, y);
      // P1 tightness: g(θ̄) = f(θ̄) up to rounding of a sum of O(10) terms of size O(10).
      assertClose(g(anchor), f(anchor), 1e-12, 1e-13, "tightness");
      // P1 majorization at far and near points.
      for (let j = 0; j < 5; j++) {
        const th = randomTheta(L, rng, 1.5);
        const near = anchor.map((v) => v + 0.05 * rng.normal());
        for (const p of [th, near]) {
          const gap = f(p) - g(p);
          worst = Math.max(worst, gap);
          assert.ok(gap <= 1e-10 * (1 + Math.abs(f(p))), `majorization violated by ${gap}`);
        }
      }
      // P5 tangency: directional derivatives of g and f agree at θ̄ (central differences,
      // h = 1e-5: truncation O(h²)·f''' ≈ 1e-9, rounding O(ε·|f|/h) ≈ 1e-10).
      const h = 1e-5;
      for (let j = 0; j < 4; j++) {
        const dir = new Float64Array(L.size).map(() => rng.normal());
        const nrm = Math.hypot(...dir);
        for (let i = 0; i < dir.length; i++) dir[i] /= nrm;
        const plus = anchor.map((v, i) => v + h * dir[i]);
        const minus = anchor.map((v, i) => v - h * dir[i]);
        const dg = (g(plus) - g(minus)) / (2 * h);
        const df = (f(plus) - f(minus)) / (2 * h);
        assertClose(dg, df, 1e-6, 1e-6, "tangency");
      }
    }
    assert.ok(worst < 0 || worst <= 1e-10, `worst f − g = ${worst}`);
  });
}

test("the M-step minimizes L(·; s): no perturbation decreases it (q = 2)", () => {
  const L = moeLayout({ K: 3, d: 2, q: 2 });
  const sur = moeSurrogate(L);
  const rng = createRng(9);
  const ws = sur.createWorkspace();
  const s = new Float64Array(sur.statSize);
  const anchor = randomTheta(L, rng);
  const n = 200;
  for (let i = 0; i < n; i++) {
    const x = [1, rng.normal(), rng.normal()];
    sur.accumulate(s, 1, 1 / n, anchor, x, 0, [rng.normal() + x[1], rng.normal() - x[2]], 0, ws);
  }
  const th = anchor.slice();
  assert.ok(sur.mstep(s, th, ws));
  const best = sur.objective(th, s, ws);
  for (let trial = 0; trial < 200; trial++) {
    const scale = trial < 100 ? 1e-3 : 0.3;
    const p = th.map((v) => v + scale * rng.normal());
    // L is strictly convex around its minimizer: any move increases it (slack: rounding of L ≈ 1e-15).
    assert.ok(sur.objective(p, s, ws) >= best - 1e-13, `perturbation decreased L by ${best - sur.objective(p, s, ws)}`);
  }
  // And the surrogate at the new θ is no larger than at the anchor (descent of L).
  assert.ok(best <= sur.objective(anchor, s, ws));
});

test("logistic Böhning surrogate: majorization, tightness, tangency", () => {
  const p = 3;
  const sur = logisticSurrogate(p);
  const rng = createRng(5);
  for (let trial = 0; trial < 100; trial++) {
    const anchor = new Float64Array(p).map(() => 2 * rng.normal());
    const x = [1, rng.normal(), rng.normal()];
    const y = [rng.next() < 0.5 ? 0 : 1];
    const { g, f } = surrogateAt(sur, anchor, x, y);
    assertClose(g(anchor), f(anchor), 1e-13, 1e-13, "tightness");
    for (let j = 0; j < 5; j++) {
      const w = new Float64Array(p).map(() => 3 * rng.normal());
      assert.ok(f(w) <= g(w) + 1e-12, "majorization");
    }
    const h = 1e-5;
    for (let i = 0; i < p; i++) {
      const plus = anchor.slice();
      const minus = anchor.slice();
      plus[i] += h;
      minus[i] -= h;
      assertClose((g(plus) - g(minus)) / (2 * h), (f(plus) - f(minus)) / (2 * h), 1e-7, 1e-6, "tangency");
    }
  }
});
