import { test } from "node:test";
import assert from "node:assert/strict";
import { logSumExp, softmaxInPlace } from "../../src/core/logsumexp.js";
import { cholSolve, cholUpper, cholWithRidge, mirrorUpper, quadFormUpper, symRank1Blend } from "../../src/core/dense.js";
import { createRng, rngFromState } from "../../src/core/rng.js";
import { assertAllClose, assertClose } from "../helpers.js";

test("logSumExp: hand values and overflow safety", () => {
  // log(e^0 + e^0) = log 2 exactly representable up to rounding of Math.log (1 ulp).
  assertClose(logSumExp([0, 0]), Math.LN2, 1e-16);
  // Huge logits: LSE(1000, 1000) = 1000 + log 2; naive exp would overflow to Infinity.
  assertClose(logSumExp([1000, 1000]), 1000 + Math.LN2, 1e-12);
  assert.equal(logSumExp([]), -Infinity);
  assert.equal(logSumExp([-Infinity, -Infinity]), -Infinity);
  assert.ok(Number.isNaN(logSumExp([0, NaN])));
});

test("softmax sums to 1 and is invariant to a shift of all logits", () => {
  const a = new Float64Array([1, 2, 3]);
  const b = new Float64Array([101, 102, 103]);
  softmaxInPlace(a);
  softmaxInPlace(b);
  // e^k/Σ: the two differ only by rounding in exp/log of the shifted values (≲ 10 ulps relative).
  assertAllClose(a, b, 0, 1e-14);
  assertClose(a[0] + a[1] + a[2], 1, 1e-15);
  // Hand value: e/(e + e² + e³) = 1/(1 + e + e²) = 0.09003057317038046
  assertClose(a[0], 0.09003057317038046, 1e-16);
});

test("Cholesky of a hand 2×2 and solve", () => {
  // A = [[4, 2], [2, 3]] ⇒ R = [[2, 1], [0, √2]]; A z = (2, 5) ⇒ z = (−0.5, 2).
  const A = new Float64Array([4, 2, 0, 3]); // upper triangle only
  const R = new Float64Array(4);
  assert.ok(cholUpper(2, A, 0, R, 0));
  assertAllClose([R[0], R[1], R[3]], [2, 1, Math.SQRT2], 1e-15);
  const b = new Float64Array([2, 5]);
  cholSolve(2, R, 0, b, 0);
  assertAllClose(b, [-0.5, 2], 1e-15);
});

test("Cholesky rejects an indefinite matrix; ridge fallback recovers a singular one", () => {
  const R = new Float64Array(4);
  assert.equal(cholUpper(2, new Float64Array([1, 2, 0, 1]), 0, R, 0), false); // eigenvalues 3, −1
  const singular = new Float64Array([1, 1, 0, 1]); // rank one
  assert.ok(cholWithRidge(2, singular, 0, R, 0) > 0);
});

test("symRank1Blend writes the upper triangle of aA + b xxᵀ; quadFormUpper reads it", () => {
  const A = new Float64Array(9);
  symRank1Blend(3, A, 0, 0, 2, [1, 2, 3], 0);
  mirrorUpper(3, A, 0);
  assertAllClose(A, [2, 4, 6, 4, 8, 12, 6, 12, 18], 0);
  // vᵀ(2xxᵀ)w = 2(xᵀv)(xᵀw) with v = (1,0,0), w = (0,1,1): 2·1·5 = 10
  assertClose(quadFormUpper(3, A, 0, [1, 0, 0], 0, [0, 1, 1], 0), 10, 1e-14);
});

test("rng.fill writes the values of as many next() calls, and leaves the generator where they would", () => {
  const a = createRng(11);
  const b = createRng(11);
  const out = new Float64Array(300);
  a.fill(out);
  assert.deepEqual(Array.from(out), Array.from({ length: 300 }, () => b.next()));
  assert.equal(a.next(), b.next());
  assert.deepEqual(a.getState(), b.getState());
  assert.ok(out.every((u) => u >= 0 && u < 1) && new Set(out).size === 300);
});

test("rng: seeded, reproducible, state round trip, forks differ, uniform moments", () => {
  const a = createRng(42);
  const b = createRng(42);
  const xs = Array.from({ length: 5 }, () => a.next());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b.next()));
  const st = a.getState();
  const v1 = [a.next(), a.normal(), a.int(10)];
  const c = rngFromState(st);
  assert.deepEqual([c.next(), c.normal(), c.int(10)], v1);
  assert.notEqual(createRng(42).fork(1).next(), createRng(42).fork(2).next());
  const r = createRng(7);
  let m = 0;
  let m2 = 0;
  const n = 100000;
  for (let i = 0; i < n; i++) {
    const z = r.normal();
    m += z;
    m2 += z * z;
  }
  // Mean of n N(0,1): sd 1/√n ≈ 0.0032 — 5 sd bound 0.016; variance sd √(2/n) ≈ 0.0045 — bound 0.025.
  assertClose(m / n, 0, 0.016);
  assertClose(m2 / n, 1, 0.025);
});

test("cholUpper (right-looking, four steps at a time) is bit-identical to the left-looking dot-product form", () => {
  // The reference: R_ij = (A_ij − Σ_{k<i} R_ki R_kj) / R_ii with the sum subtracted in k order — the
  // order the blocked right-looking loop keeps, so every entry must match to the bit.
  const rng = createRng(11);
  for (const p of [1, 3, 4, 5, 8, 9, 17, 33]) {
    const A = new Float64Array(p * p);
    for (let r = 0; r < p + 3; r++) {
      const x = Array.from({ length: p }, () => rng.normal());
      for (let i = 0; i < p; i++) for (let j = i; j < p; j++) A[i * p + j] += x[i] * x[j];
    }
    const ref = new Float64Array(p * p);
    for (let i = 0; i < p; i++) {
      let s = A[i * p + i];
      for (let k = 0; k < i; k++) s -= ref[k * p + i] * ref[k * p + i];
      const rii = Math.sqrt(s);
      ref[i * p + i] = rii;
      for (let j = i + 1; j < p; j++) {
        let v = A[i * p + j];
        for (let k = 0; k < i; k++) v -= ref[k * p + i] * ref[k * p + j];
        ref[i * p + j] = v / rii;
      }
    }
    const R = new Float64Array(p * p);
    assert.ok(cholUpper(p, A, 0, R, 0));
    for (let i = 0; i < p; i++) for (let j = i; j < p; j++) assert.ok(Object.is(R[i * p + j], ref[i * p + j]), `p = ${p}: R[${i},${j}]`);
  }
});
