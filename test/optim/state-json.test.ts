/**
 * Optimizer state survives JSON exactly: 5 steps, snapshot through `JSON.stringify`/`JSON.parse`,
 * restore, 5 more steps is bit-identical to 10 uninterrupted steps (TFJS "continue training after
 * loading weights", done right), for every optimizer.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { InputError, ModelFormatError } from "../../src/core/errors.js";
import { createRng, rngFromState, type Rng } from "../../src/core/rng.js";
import {
  applyUpdate,
  makeOptimizer,
  stateFromJSON,
  stateToJSON,
  type Optimizer,
  type OptimizerName,
  type OptimizerState,
  type SophiaState,
} from "../../src/optim/index.js";
import { ROSENBROCK, isSophia } from "./conformance-table.js";

/** Bit pattern of each double (NaN payloads included), so equality is exact, −0 ≠ 0. */
function bits(x: ArrayLike<number>): bigint[] {
  return Array.from(new BigUint64Array(Float64Array.from(x).buffer));
}

/** Runs `n` steps on Rosenbrock; Sophia refreshes h from `rng` when due. */
function advance(opt: Optimizer, state: OptimizerState, theta: Float64Array, rng: Rng, n: number): void {
  const grad = new Float64Array(theta.length);
  const ghat = new Float64Array(theta.length);
  for (let s = 0; s < n; s++) {
    ROSENBROCK.grad(theta, grad, rng);
    opt.update(grad, state, theta);
    applyUpdate(theta, grad);
    if (isSophia(opt) && opt.hessianDue(state as SophiaState)) {
      ROSENBROCK.sampledGrad!(theta, ghat, rng);
      opt.updateHessian(state as SophiaState, ghat);
    }
  }
}

// Options chosen so every state field moves: SGD decays, Sophia refreshes h (k = 3 ⇒ after
// steps 3, 6, 9, on both sides of the snapshot) and applies weight decay.
const CASES: Array<[OptimizerName, Record<string, number>]> = [
  ["sgd", { learningRate: 1e-3, decay: 0.6 }],
  ["rmsprop", { learningRate: 3e-3 }],
  ["adam", { learningRate: 0.03 }],
  ["sophia", { learningRate: 0.05, rho: 0.05, hessianEvery: 3, weightDecay: 0.01 }],
];

describe("state JSON round trip", () => {
  for (const [name, options] of CASES) {
    it(`${name}: 5 steps + JSON snapshot/restore + 5 steps is bit-identical to 10 steps`, () => {
      // uninterrupted
      const optA = makeOptimizer(name, options);
      const stateA = optA.init(ROSENBROCK.dim);
      const thetaA = ROSENBROCK.theta0();
      advance(optA, stateA, thetaA, createRng(3), 10);

      // interrupted: the snapshot holds everything the caller owns (options, state, θ, rng)
      const optB = makeOptimizer(name, options);
      const stateB = optB.init(ROSENBROCK.dim);
      const thetaB = ROSENBROCK.theta0();
      const rngB = createRng(3);
      advance(optB, stateB, thetaB, rngB, 5);
      const text = JSON.stringify({
        options: optB.options,
        state: stateToJSON(stateB),
        theta: Array.from(thetaB),
        rng: rngB.getState(),
      });
      const snap = JSON.parse(text) as { options: Record<string, number>; state: unknown; theta: number[]; rng: number[] };
      const optC = makeOptimizer(name, snap.options);
      const stateC = stateFromJSON(snap.state);
      const thetaC = Float64Array.from(snap.theta);
      assert.equal(stateC.t, 5);
      advance(optC, stateC, thetaC, rngFromState(snap.rng), 5);

      assert.deepEqual(bits(thetaC), bits(thetaA), "θ after 10 steps");
      assert.deepEqual(stateToJSON(stateC), stateToJSON(stateA), "state after 10 steps");
      for (const [key, value] of Object.entries(stateA)) {
        if (value instanceof Float64Array) {
          const restored = stateC[key];
          assert.ok(restored instanceof Float64Array, `${key} is restored as a Float64Array`);
          assert.deepEqual(bits(restored), bits(value), `state.${key}`);
        }
      }
      if (name === "sophia") assert.equal((stateC as SophiaState).hessianUpdates, 3, "refreshes at t = 3, 6, 9");
    });
  }

  it("special doubles round-trip bit for bit (NaN, ±Infinity, −0, subnormals, extremes)", () => {
    const values = [NaN, Infinity, -Infinity, -0, 0, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 0.1 + 0.2, 1 / 3];
    const state: OptimizerState = { t: 7, v: Float64Array.from(values), hessianUpdates: 2 };
    const back = stateFromJSON(JSON.parse(JSON.stringify(stateToJSON(state))));
    assert.equal(back.t, 7);
    assert.equal(back.hessianUpdates, 2);
    assert.ok(back.v instanceof Float64Array);
    assert.deepEqual(bits(back.v as Float64Array), bits(values));
  });

  it("stateFromJSON checks the tag and the field shapes before trusting them", () => {
    const good = stateToJSON({ t: 1, m: new Float64Array([1, 2]) });
    const bad: unknown[] = [
      null,
      42,
      { ...good, kind: "model" },
      { ...good, version: 2 },
      { ...good, t: -1 },
      { ...good, t: 1.5 },
      { ...good, fields: null },
      { ...good, fields: { m: { float64: [1, "abc"] } } },
      { ...good, fields: { m: { float64: [1, null] } } },
      { ...good, fields: { m: [1, 2] } },
      { ...good, fields: { t: 3 } },
    ];
    for (const obj of bad) assert.throws(() => stateFromJSON(obj), ModelFormatError, JSON.stringify(obj));
  });

  it("stateToJSON refuses fields it cannot encode exactly", () => {
    assert.throws(() => stateToJSON({ t: 0, m: [1, 2] }), InputError);
    assert.throws(() => stateToJSON({ t: 0, c: NaN }), InputError);
  });
});
