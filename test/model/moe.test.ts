import { test } from "node:test";
import assert from "node:assert/strict";
import { moeLayout } from "../../src/model/dims.js";
import { createRowWorkspace, logGate, predictMoments, rowNll } from "../../src/model/moe.js";
import { thetaToOriginal, thetaToScaled, fitScaler, nllShift, scaleDesign, scaleTargets } from "../../src/model/scaling.js";
import { createRng } from "../../src/core/rng.js";
import { assertAllClose, assertClose } from "../helpers.js";
import { specVectorTheta } from "../spec-vectors.js";

test("spec §8 vector: π, τ and f", () => {
  const { L, t } = specVectorTheta();
  const ws = createRowWorkspace(L);
  const f = rowNll(L, t, [1, 0.5], 0, [0.7], 0, ws);
  // Spec values are given to 10 digits (f to 16).
  assertClose(f, 0.9227690506521994, 1e-15);
  assertAllClose(Array.from(ws.logPi, Math.exp), [0.4822681773, 0.2782445334, 0.2394872893], 1e-10);
  assertAllClose(ws.a, [0.6257209165, 0.2737816419, 0.1004974416], 1e-10);
});

test("K = 1: the NLL is the Gaussian linear-regression NLL", () => {
  const L = moeLayout({ K: 1, d: 2, q: 1 });
  const t = new Float64Array(L.size);
  t.set([0.5, -1, 2], L.beta);
  t[L.logSigma2] = Math.log(0.3);
  const ws = createRowWorkspace(L);
  const r = 1.1 - (0.5 - 1 * 0.2 + 2 * 0.7);
  const expected = 0.5 * Math.log(2 * Math.PI * 0.3) + (r * r) / (2 * 0.3);
  assertClose(rowNll(L, t, [1, 0.2, 0.7], 0, [1.1], 0, ws), expected, 1e-15, 1e-15);
});

test("huge gate logits neither overflow nor produce NaN", () => {
  const L = moeLayout({ K: 3, d: 1, q: 1 });
  const t = new Float64Array(L.size);
  t.set([0, 800, 0, -800], L.gate);
  const ws = createRowWorkspace(L);
  logGate(L, t, [1, 2], 0, ws.logPi);
  // No NaN and no +∞: every log-probability is finite or −∞ (a NaN fails both parts).
  assert.ok(ws.logPi.every((v) => Number.isFinite(v) || v === -Infinity), `log π = ${Array.from(ws.logPi)}`);
  assertClose(ws.logPi[0], 0, 1e-300);
  // Logits (1600, −1600, 0): log-sum-exp is 1600 exactly in doubles (1 + e^−1600 rounds to 1), so
  // log π = (0, −3200, −1600) exactly.
  assert.deepEqual(Array.from(ws.logPi), [0, -3200, -1600]);
  const f = rowNll(L, t, [1, 2], 0, [0.3], 0, ws);
  assert.ok(Number.isFinite(f));
});

test("permuting experts permutes gate probabilities and leaves predictions unchanged", () => {
  const { L, t } = specVectorTheta();
  // Swap experts 1 and 3: new gate vectors w'_k = w_{σ(k)} − w_{σ(K)} so that w'_K = 0.
  const perm = [2, 1, 0];
  const w = [t.slice(0, 2), t.slice(2, 4), new Float64Array(2)];
  const t2 = new Float64Array(L.size);
  for (let k = 0; k < 2; k++) for (let i = 0; i < 2; i++) t2[L.gate + 2 * k + i] = w[perm[k]][i] - w[perm[2]][i];
  for (let k = 0; k < 3; k++) {
    for (let i = 0; i < 2; i++) t2[L.beta + 2 * k + i] = t[L.beta + 2 * perm[k] + i];
    t2[L.logSigma2 + k] = t[L.logSigma2 + perm[k]];
  }
  const ws = createRowWorkspace(L);
  const m1 = new Float64Array(1), v1 = new Float64Array(1), m2 = new Float64Array(1), v2 = new Float64Array(1);
  const x = [1, -0.3];
  predictMoments(L, t, x, 0, ws, m1, v1);
  const g1 = ws.a.slice();
  predictMoments(L, t2, x, 0, ws, m2, v2);
  // Same mixture, reordered: identical up to rounding of the re-referenced logits.
  assertClose(m2[0], m1[0], 1e-14);
  assertClose(v2[0], v1[0], 1e-14);
  for (let k = 0; k < 3; k++) assertClose(ws.a[k], g1[perm[k]], 1e-15);
  assertClose(rowNll(L, t2, x, 0, [0.4], 0, ws), rowNll(L, t, x, 0, [0.4], 0, ws), 1e-14);
});

test("predictive variance: law of total variance against a direct mixture computation", () => {
  const { L, t } = specVectorTheta();
  const ws = createRowWorkspace(L);
  const mean = new Float64Array(1), variance = new Float64Array(1);
  const k = predictMoments(L, t, [1, 0.5], 0, ws, mean, variance);
  const pi = [0.4822681773, 0.2782445334, 0.2394872893];
  const mu = [1, 0.5, -0.75];
  const s2 = [0.5, 1, 2];
  const m = pi.reduce((s, p, i) => s + p * mu[i], 0);
  const v = pi.reduce((s, p, i) => s + p * (s2[i] + mu[i] * mu[i]), 0) - m * m;
  assertClose(mean[0], m, 1e-9); // π given to 10 digits
  assertClose(variance[0], v, 1e-9);
  assert.equal(k, 0);
});

test("scaling: θ maps between units exactly and the NLL shifts by Σ log σ_y", () => {
  const rng = createRng(3);
  const L = moeLayout({ K: 3, d: 2, q: 2 });
  const n = 50;
  const X = new Float64Array(n * 2).map(() => 10 + 5 * rng.normal());
  const Y = new Float64Array(n * 2).map(() => -3 + 2 * rng.normal());
  const sc = fitScaler(X, 2, Y, 2, n);
  const t = new Float64Array(L.size).map(() => 0.3 * rng.normal());
  const back = thetaToScaled(L, sc, thetaToOriginal(L, sc, t));
  assertAllClose(back, t, 1e-12, 1e-12);
  const ws = createRowWorkspace(L);
  const orig = thetaToOriginal(L, sc, t);
  const xd = new Float64Array(3), ys = new Float64Array(2);
  for (let i = 0; i < 5; i++) {
    const raw = new Float64Array([1, X[2 * i], X[2 * i + 1]]);
    scaleDesign(sc, X, 2 * i, 2, xd, 0);
    scaleTargets(sc, Y, 2 * i, 2, ys, 0);
    // Same density in two unit systems, up to the Jacobian; relative rounding ~1e-14.
    assertClose(rowNll(L, orig, raw, 0, Y, 2 * i, ws), rowNll(L, t, xd, 0, ys, 0, ws) + nllShift(sc), 1e-12, 1e-12);
  }
});
