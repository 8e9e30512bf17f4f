/**
 * Each update rule against values derived by hand in the comments (TFJS Adam test style), with the
 * ε convention in the test name. Decimal values were evaluated to 40 digits (Python `decimal`) from
 * the formulas shown; only the first 16–17 digits are kept.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { InputError } from "../../src/core/errors.js";
import { adam, applyUpdate, rmsprop, sgd, sophia, type Optimizer } from "../../src/optim/index.js";

/** |a − e| ≤ rtol·|e| elementwise, with index, actual, expected and tolerance in the message. */
function assertClose(actual: ArrayLike<number>, expected: readonly number[], rtol: number, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const tol = rtol * Math.abs(e);
    assert.ok(Math.abs(a - e) <= tol, `${label}[${i}]: actual ${a}, expected ${e}, |diff| ${Math.abs(a - e)} > tol ${tol}`);
  }
}

/** Runs one update on a copy of `g` and returns Δ. */
function step(opt: Optimizer, state: ReturnType<Optimizer["init"]>, g: readonly number[], theta?: Float64Array): Float64Array {
  const buf = Float64Array.from(g);
  opt.update(buf, state, theta ?? new Float64Array(g.length));
  return buf;
}

// Shared gradients: coordinate 2 (|g| = 1e-8 ~ ε) tells the ε conventions apart; coordinate 3 is 0.
const G1 = [0.5, -2, 1e-8, 0];
const G2 = [1, 1, 1e-8, 0];

describe("Adam", () => {
  // Tolerance for step 1: ≈ 10 roundings of ≤ 2^-53 ≈ 1.1e-16 each, plus η, ε not being exact in
  // binary (≤ 1.1e-16 relative): ≲ 1.5e-15, so rtol = 1e-14.
  // Tolerance for step 2: c2 = 1 − β2² cancels: the rounding of β2² (≤ 1.1e-16 absolute) becomes
  // ≤ 1.1e-16/0.001999 = 5.6e-14 relative in v̂, halved by the square root: ≈ 2.8e-14, so rtol = 1e-13.
  // (Measured: 7e-15.) Both are far below the gaps between ε conventions (factors > 10 on coord 2).
  it("ε outside √v̂, after bias correction (PyTorch/optax): first two steps match hand-derived values", () => {
    const opt = adam({ learningRate: 1e-3 }); // η = 1e-3 (the values below are derived for it); β1 = 0.9, β2 = 0.999, ε = 1e-8 (defaults)
    const state = opt.init(4);

    // Step 1: m1 = 0.1·g, v1 = 0.001·g², c1 = 1 − 0.9 = 0.1, c2 = 1 − 0.999 = 0.001,
    // so m̂ = g, v̂ = g², √v̂ = |g| and Δ1 = −η·g/(|g| + ε) = −η·sign(g)/(1 + ε/|g|):
    //   g = 0.5  : −1e-3/(1 + 2e-8)            = −9.999999800000004e-4
    //   g = −2   : +1e-3/(1 + 5e-9)            = +9.99999995000000025e-4
    //   g = 1e-8 : −1e-3·1e-8/(1e-8 + 1e-8)    = −5e-4
    //     (ε inside the root, √(v̂ + ε), would give −1e-3·1e-8/√(1e-16 + 1e-8) ≈ −1.0e-7; TensorFlow's
    //      ε̂ = ε on the uncorrected v, i.e. ε/√c2 = 3.16e-7 here, would give ≈ −3.06e-5)
    //   g = 0    : 0
    const d1 = step(opt, state, G1);
    assertClose(d1, [-9.999999800000004e-4, 9.99999995000000025e-4, -5e-4, 0], 1e-14, "Adam step 1");
    assert.ok(d1[3] === 0, "zero gradient gives a zero step");
    assert.equal(state.t, 1);

    // Step 2: m2 = 0.9·m1 + 0.1·g2 = 0.09·g1 + 0.1·g2, v2 = 0.999·v1 + 0.001·g2² = 0.000999·g1² + 0.001·g2²,
    // c1 = 1 − 0.81 = 0.19, c2 = 1 − 0.998001 = 0.001999.
    //   coord 0: m2 = 0.045 + 0.1 = 0.145,  m̂ = 0.145/0.19 = 0.7631578947368421
    //            v2 = 0.00024975 + 0.001 = 0.00124975, v̂ = 0.00124975/0.001999 = 0.6251875937968984
    //            √v̂ = 0.7906880508752478, Δ = −1e-3·0.7631578947368421/(0.7906880508752478 + 1e-8)
    //               = −9.651820136149124e-4
    //   coord 1: m2 = −0.18 + 0.1 = −0.08, m̂ = −0.42105263157894737
    //            v2 = 0.003996 + 0.001 = 0.004996, v̂ = 2.4992496248124062, √v̂ = 1.5809015228066567
    //            Δ = +1e-3·0.42105263157894737/(1.5809015228066567 + 1e-8) = +2.663370379756864e-4
    //   coord 2: m2 = 0.19e-8 ⇒ m̂ = 1e-8; v2 = 0.001999e-16 ⇒ v̂ = 1e-16; Δ = −1e-3·1e-8/(2e-8) = −5e-4
    //   coord 3: 0
    const d2 = step(opt, state, G2);
    assertClose(d2, [-9.651820136149124e-4, 2.663370379756864e-4, -5e-4, 0], 1e-13, "Adam step 2");
    assert.equal(state.t, 2);
  });

  it("first step is ≈ −η·sign(g) whatever the scale of g", () => {
    // Step 1 is −η·g/(|g| + ε) = −η·sign(g)/(1 + ε/|g|): relative distance to −η·sign(g) ≤ ε/|g|
    // (1e-5 for |g| = 1e-3, 1e-14 for |g| = 1e6), plus 1e-14 for rounding as in the test above.
    for (const scale of [1e-3, 1, 1e6]) {
      const opt = adam({ learningRate: 0.1 });
      const d = step(opt, opt.init(2), [scale, -3 * scale]);
      assertClose(d, [-0.1, 0.1], 1e-8 / scale + 1e-14, `scale ${scale}`);
    }
  });
});

describe("RMSProp", () => {
  // Tolerances: step 1 as for Adam (rtol 1e-14). Step 2: 1 − ρ = 1 − fl(0.99) is computed exactly
  // but fl(0.99) differs from 0.99 by ≤ 5.6e-17, i.e. ≤ 5.6e-15 relative in 1 − ρ and so in v2,
  // ≤ 2.8e-15 after the root: rtol 1e-14 still holds.
  it("ε outside √v, no bias correction (PyTorch): first two steps match hand-derived values", () => {
    const opt = rmsprop({ learningRate: 1e-2 }); // η = 1e-2, ρ = 0.99, ε = 1e-8
    const state = opt.init(4);

    // Step 1: v1 = 0.01·g², √v1 = 0.1·|g|, Δ1 = −η·g/(0.1|g| + ε) (≈ 10·η·sign(g): no bias correction)
    //   g = 0.5  : v1 = 0.0025, √ = 0.05, Δ = −0.01·0.5/(0.05 + 1e-8) = −0.1/(1 + 2e-7) = −0.0999999800000040
    //   g = −2   : v1 = 0.04,   √ = 0.2,  Δ = +0.02/(0.2 + 1e-8) = 0.1/(1 + 5e-8)     = +0.09999999500000025
    //   g = 1e-8 : v1 = 1e-18,  √ = 1e-9, Δ = −1e-10/(1e-9 + 1e-8)                   = −0.00909090909090909
    //     (ε inside the root: −1e-10/√(1e-18 + 1e-8) ≈ −1.0e-6)
    //   g = 0    : 0
    const d1 = step(opt, state, G1);
    assertClose(d1, [-0.099999980000004, 0.09999999500000025, -0.00909090909090909, 0], 1e-14, "RMSProp step 1");
    assert.ok(d1[3] === 0, "zero gradient gives a zero step");

    // Step 2: v2 = 0.99·v1 + 0.01·g2²
    //   coord 0: v2 = 0.002475 + 0.01 = 0.012475, √ = 0.11169153951844338,
    //            Δ = −0.01/(0.11169153951844338 + 1e-8) = −0.08953228819113770
    //   coord 1: v2 = 0.0396 + 0.01 = 0.0496, √ = 0.22271057451320088,
    //            Δ = −0.01/(0.22271057451320088 + 1e-8) = −0.04490132349056478
    //   coord 2: v2 = 0.99e-18 + 1e-18 = 1.99e-18, √ = 1.4106735979665884e-9,
    //            Δ = −1e-10/(1.4106735979665884e-9 + 1e-8) = −0.008763724519981034
    //   coord 3: 0
    const d2 = step(opt, state, G2);
    assertClose(
      d2,
      [-0.0895322881911377, -0.04490132349056478, -0.008763724519981034, 0],
      1e-14,
      "RMSProp step 2",
    );
    assert.equal(state.t, 2);
  });
});

describe("SGD", () => {
  it("constant step (decay = 0): Δ = −η0·g exactly, every step", () => {
    const opt = sgd({ learningRate: 0.1 });
    const state = opt.init(2);
    for (let n = 1; n <= 3; n++) {
      const d = step(opt, state, [2, -4]);
      // one multiplication −η0·g: exact up to the single rounding, which is the same in both
      assert.deepEqual(Array.from(d), [-0.1 * 2, -0.1 * -4]);
    }
  });

  it("decay: η_n = η0·n^(−decay) matches its formula", () => {
    // decay = 0.5, η0 = 0.1:
    //   n = 1: η = 0.1                      Δ = (−0.2, 0.4)
    //   n = 2: η = 0.1/√2 = 0.07071067811865475
    //   n = 3: η = 0.1/√3 = 0.05773502691896258
    //   n = 4: η = 0.1/2  = 0.05            Δ = (−0.1, 0.2)
    // decay = 1 (1/n): η_n = 0.1/n.
    // Tolerance: the code evaluates Math.pow(n, −decay) and the test 1/√n or 1/n; each is within
    // 1 ulp (V8's pow is not guaranteed correctly rounded), plus two multiplications: ≤ 4 ulp,
    // so rtol = 1e-15 (≈ 4.5·2^-52·½).
    const cases: Array<[number, (n: number) => number]> = [
      [0.5, (n) => 0.1 / Math.sqrt(n)],
      [1, (n) => 0.1 / n],
    ];
    for (const [decay, eta] of cases) {
      const opt = sgd({ learningRate: 0.1, decay });
      const state = opt.init(2);
      for (let n = 1; n <= 10; n++) {
        const d = step(opt, state, [2, -4]);
        assertClose(d, [-eta(n) * 2, eta(n) * 4], 1e-15, `decay ${decay}, n = ${n}`);
        assert.equal(state.t, n);
      }
    }
    const first = sgd({ learningRate: 0.1, decay: 0.5 });
    assert.deepEqual(Array.from(step(first, first.init(2), [2, -4])), [-0.2, 0.4], "n = 1 uses η0 exactly");
  });
});

describe("Sophia-G", () => {
  it("before the first Hessian refresh (h = 0) the step is exactly −η·sign(m), as in the official code", () => {
    // m1 = (1 − β1)·g = 0.035·g; ratio = |m|/(ρ·bs·0 + 1e-15) ≥ 1 ⇒ clipped to 1 ⇒ Δ = −η·sign(m),
    // except when |m| < 1e-15: g = 1e-20 gives m = 3.5e-22 and Δ = −η·3.5e-22/1e-15 = −3.5e-9.
    const opt = sophia({ learningRate: 0.01 });
    const state = opt.init(4);
    const d = step(opt, state, [3, -0.2, 0, 1e-20]);
    assert.ok(d[0] === -0.01 && d[1] === 0.01, `expected exactly ∓η, got ${d[0]}, ${d[1]}`);
    assert.ok(d[2] === 0, "m = 0 ⇒ sign(m) = 0 ⇒ no move");
    // 1 − 0.965 = 0.03500000000000003 in binary: rtol 1e-14 covers it (9e-16 relative) and 3 roundings
    assertClose([d[3]], [-3.5e-9], 1e-14, "|m| below the 1e-15 guard");
    assert.equal(state.hessianUpdates, 0);
  });

  it("clipping: when |m| ≫ ρ·bs·h the step is exactly ±η; below the threshold it is −η·m/(ρ·bs·h)", () => {
    // updateHessian with ĝ = 1 from h = 0: h = (1 − β2)·1 = 0.01, so ρ·bs·h = 0.04·1·0.01 = 4e-4.
    // Then g = (10, −10, 1e-3): m = 0.035·g = (0.35, −0.35, 3.5e-5); the denominator is
    // 4e-4 + 1e-15 (official guard), so the ratios are 875, 875 (clipped to 1) and
    // 3.5e-5/(4e-4 + 1e-15) = 0.0875/(1 + 2.5e-12):
    //   Δ = (−η, +η, −η·0.0875/(1 + 2.5e-12)) = (−0.01, 0.01, −8.749999999978125e-4).
    const opt = sophia({ learningRate: 0.01 });
    const state = opt.init(3);
    opt.updateHessian(state, new Float64Array([1, 1, 1]));
    assert.equal(state.hessianUpdates, 1);
    const d = step(opt, state, [10, -10, 1e-3]);
    assert.ok(d[0] === -0.01 && d[1] === 0.01, `expected exactly ∓η, got ${d[0]}, ${d[1]}`);
    // constants 0.035, 0.01, 0.04 are off by ≤ 1e-15 relative in binary, plus 4 roundings: rtol 1e-14
    assertClose([d[2]], [-8.749999999978125e-4], 1e-14, "unclipped coordinate");

    // batchSize scales the threshold: bs = 4 ⇒ ρ·bs·h = 1.6e-3, ratio 3.5e-5/(1.6e-3 + 1e-15)
    // = 0.021875/(1 + 6.25e-13), Δ = −0.01·that = −2.1874999999986328e-4.
    const opt4 = sophia({ learningRate: 0.01, batchSize: 4 });
    const s4 = opt4.init(1);
    opt4.updateHessian(s4, new Float64Array([1]));
    assertClose(step(opt4, s4, [1e-3]), [-2.1874999999986328e-4], 1e-14, "batchSize = 4");
  });

  it("decoupled weight decay adds −η·λ·θ (official: θ ← θ·(1 − η·λ) before the step)", () => {
    // h = 0, g = (1, 1, 1) ⇒ sign step −η on each coordinate; λ = 0.1, η = 0.01, θ = (2, −1, 0):
    //   Δ = −η·λ·θ − η = (−0.002 − 0.01, 0.001 − 0.01, 0 − 0.01) = (−0.012, −0.009, −0.01)
    const opt = sophia({ learningRate: 0.01, weightDecay: 0.1 });
    const theta = new Float64Array([2, -1, 0]);
    const d = step(opt, opt.init(3), [1, 1, 1], theta);
    assertClose(d, [-0.012, -0.009, -0.01], 1e-14, "weight decay"); // 3 roundings + constants
    assert.deepEqual(Array.from(theta), [2, -1, 0], "update reads θ but never writes it");
  });

  it("updateHessian is the EMA h ← β2·h + (1 − β2)·ĝ⊙ĝ and leaves t and m alone", () => {
    // ĝ1 = (2, 0, −1), ĝ2 = (1, 3, 1), β2 = 0.99:
    //   h1 = 0.01·(4, 0, 1) = (0.04, 0, 0.01)
    //   h2 = 0.99·h1 + 0.01·(1, 9, 1) = (0.0396 + 0.01, 0.09, 0.0099 + 0.01) = (0.0496, 0.09, 0.0199)
    const opt = sophia();
    const state = opt.init(3);
    opt.updateHessian(state, new Float64Array([2, 0, -1]));
    opt.updateHessian(state, new Float64Array([1, 3, 1]));
    assertClose(state.h, [0.0496, 0.09, 0.0199], 1e-14, "h after two refreshes"); // constants + 4 roundings
    assert.equal(state.t, 0);
    assert.deepEqual(Array.from(state.m), [0, 0, 0]);
    assert.equal(state.hessianUpdates, 2);
  });

  it("hessianDue follows the official schedule: after steps k, 2k, … (not before the first step)", () => {
    const opt = sophia({ hessianEvery: 3 });
    assert.equal(opt.hessianEvery, 3);
    const state = opt.init(1);
    const due: number[] = [];
    if (opt.hessianDue(state)) due.push(0);
    for (let t = 1; t <= 7; t++) {
      step(opt, state, [1]);
      if (opt.hessianDue(state)) due.push(state.t);
    }
    assert.deepEqual(due, [3, 6]);
  });
});

describe("shared contract", () => {
  const makers: Array<[string, () => Optimizer]> = [
    ["sgd", () => sgd()],
    ["rmsprop", () => rmsprop()],
    ["adam", () => adam()],
    ["sophia", () => sophia()],
  ];
  for (const [name, make] of makers) {
    it(`${name}: wrong lengths throw InputError; bad nParams throws InputError`, () => {
      const opt = make();
      const state = opt.init(3);
      if (name !== "sgd") {
        // SGD keeps no buffers, so it can only check grad against theta (next line)
        assert.throws(() => opt.update(new Float64Array(2), state, new Float64Array(2)), InputError);
      }
      assert.throws(() => opt.update(new Float64Array(3), state, new Float64Array(4)), InputError);
      assert.throws(() => opt.init(-1), InputError);
      assert.throws(() => opt.init(1.5), InputError);
      assert.equal(opt.init(0).t, 0, "nParams = 0 is allowed");
    });

    it(`${name}: options are frozen and update writes Δ into grad in place`, () => {
      const opt = make();
      assert.ok(Object.isFrozen(opt.options));
      const state = opt.init(2);
      const grad = new Float64Array([1, -1]);
      const theta = new Float64Array([0.5, 0.5]);
      opt.update(grad, state, theta);
      assert.ok(grad[0] < 0 && grad[1] > 0, "the first step opposes the gradient");
      assert.deepEqual(Array.from(theta), [0.5, 0.5]);
    });
  }

  it("applyUpdate adds Δ in place and checks lengths", () => {
    const theta = new Float64Array([1, 2]);
    assert.equal(applyUpdate(theta, new Float64Array([0.5, -1])), theta);
    assert.deepEqual(Array.from(theta), [1.5, 1]);
    assert.throws(() => applyUpdate(theta, new Float64Array(3)), InputError);
  });
});
