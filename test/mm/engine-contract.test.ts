/**
 * Contracts of the generic ISMM engine (mm/ismm.ts): the Polyak average is the mean of the
 * iterates, the E-step is anchored at θ (not at the average θ̃), and without a buffer or burn-in no
 * M-step runs on a statistic outside the valid set (it is counted instead).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRng } from "../../src/core/rng.js";
import { moeLayout } from "../../src/model/dims.js";
import { ismmInit, ismmStep, type IsmmConfig } from "../../src/mm/ismm.js";
import { moeSurrogate } from "../../src/surrogate/moe.js";
import { assertAllClose } from "../helpers.js";

const L = moeLayout({ K: 2, d: 2, q: 1 });

function rows(n: number, seed: number): { X: Float64Array; Y: Float64Array } {
  const rng = createRng(seed);
  const X = new Float64Array(n * L.p);
  const Y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x1 = rng.normal();
    const x2 = rng.normal();
    X.set([1, x1, x2], i * L.p);
    Y[i] = (x1 > 0 ? 1.5 : -1) * x2 + 0.3 * rng.normal();
  }
  return { X, Y };
}

function startTheta(): Float64Array {
  const t = new Float64Array(L.size);
  t.set([0, 1, 0], L.gate);
  t.set([0.1, 0, 1, -0.1, 0, -1], L.beta);
  return t;
}

test("the Polyak average equals the arithmetic mean of the iterates θ_n after averageFrom", () => {
  const sur = moeSurrogate(L);
  const ws = sur.createWorkspace();
  const cfg: IsmmConfig = { schedule: { gamma0: 0.5, alpha: 0.6 }, burnIn: 20, averageFrom: 30 };
  const st = ismmInit(sur, startTheta());
  const { X, Y } = rows(400, 1);
  const sum = new Float64Array(L.size);
  let count = 0;
  for (let i = 0; i < 400; i++) {
    ismmStep(sur, cfg, st, X, i * L.p, Y, i, ws);
    if (st.n > 30) {
      for (let j = 0; j < L.size; j++) sum[j] += st.theta[j];
      count++;
    }
  }
  assert.equal(st.nAvg, count);
  // The running mean θ̃ += (θ − θ̃)/k rounds differently from Σθ/k: 370 steps of ~1e-16 each.
  assertAllClose(st.thetaAvg, sum.map((v) => v / count), 1e-12, 1e-12, "θ̃ vs mean of iterates");
});

test("the E-step is anchored at θ, not at the average θ̃: changing θ̃ changes nothing else", () => {
  const sur = moeSurrogate(L);
  const cfg: IsmmConfig = { schedule: { gamma0: 0.5, alpha: 0.6 }, burnIn: 20, averageFrom: 0 };
  const { X, Y } = rows(200, 2);
  const run = (scramble: boolean) => {
    const ws = sur.createWorkspace();
    const st = ismmInit(sur, startTheta());
    const losses: number[] = [];
    for (let i = 0; i < 200; i++) {
      if (scramble) st.thetaAvg.fill(1e3); // a wildly different θ̃ before every row
      losses.push(ismmStep(sur, cfg, st, X, i * L.p, Y, i, ws));
    }
    return { theta: Array.from(st.theta), s: Array.from(st.s), losses };
  };
  const a = run(false);
  const b = run(true);
  assert.deepEqual(b.theta, a.theta);
  assert.deepEqual(b.s, a.s);
  assert.deepEqual(b.losses, a.losses);
});

test("no buffer and no burn-in: M-steps wait for a valid statistic (counted), then learn", () => {
  const sur = moeSurrogate(L);
  const ws = sur.createWorkspace();
  const cfg: IsmmConfig = { schedule: { gamma0: 0.25, alpha: 0.6 }, burnIn: 0, averageFrom: null };
  const theta0 = startTheta();
  const st = ismmInit(sur, theta0);
  const { X, Y } = rows(3000, 3);
  // Row 1 and 2 span at most 2 of the p = 3 design directions: both M-steps must be refused.
  ismmStep(sur, cfg, st, X, 0, Y, 0, ws);
  ismmStep(sur, cfg, st, X, L.p, Y, 1, ws);
  assert.equal(st.skippedMsteps, 2);
  assert.deepEqual(Array.from(st.theta), Array.from(theta0));
  for (let i = 2; i < 3000; i++) ismmStep(sur, cfg, st, X, i * L.p, Y, i, ws);
  assert.equal(st.skippedMsteps, 2, "once valid, every M-step ran");
  // It learned: the two slopes on x2 separate (truth +1.5 for x1 > 0, −1 below); θ0 had ±1 on x1.
  const b1 = st.theta[L.beta + 2];
  const b2 = st.theta[L.beta + L.p + 2];
  assert.ok(Math.max(b1, b2) > 1 && Math.min(b1, b2) < -0.5, `slopes on x2: ${b1}, ${b2}`);
});
