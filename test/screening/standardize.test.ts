import { test } from "node:test";
import assert from "node:assert/strict";
import { applyScaling, columnScaling, inferColumns, standardize } from "../../src/screening/standardize.js";
import { InputError, OptionError } from "../../src/core/errors.js";

test("columnScaling: means and sds by hand (ddof 0 and 1)", () => {
  // columns (1, 3, 5) and (10, 10, 40): means 3 and 20; centred sums of squares 8 and 600
  const X = Float64Array.of(1, 10, 3, 10, 5, 40);
  const p = columnScaling(X, 3, 0);
  assert.deepEqual(Array.from(p.mean), [3, 20]);
  assert.deepEqual(Array.from(p.sd), [Math.sqrt(8 / 3), Math.sqrt(200)]);
  const s = columnScaling(X, 3, 1);
  assert.deepEqual(Array.from(s.sd), [2, Math.sqrt(300)]);
});

test("standardize gives mean 0 and sd 1; a constant column maps to zeros", () => {
  const X = Float64Array.of(1, 7, 2, 7, 4, 7, 9, 7);
  const { Z, scaling } = standardize(X, 4, 1);
  assert.equal(scaling.sd[1], 0);
  assert.equal(scaling.scale[1], 1);
  let m = 0;
  let ss = 0;
  for (let i = 0; i < 4; i++) m += Z[i * 2];
  for (let i = 0; i < 4; i++) ss += Z[i * 2] ** 2;
  assert.ok(Math.abs(m) < 1e-15);
  assert.ok(Math.abs(ss / 3 - 1) < 1e-15);
  for (let i = 0; i < 4; i++) assert.equal(Z[i * 2 + 1], 0);
});

test("applyScaling uses the given (training) constants and does not touch its input", () => {
  const train = Float64Array.of(0, 2, 4);
  const sc = columnScaling(train, 3, 1); // mean 2, sd 2
  const test1 = Float64Array.of(6, -2);
  assert.deepEqual(Array.from(applyScaling(test1, 2, sc)), [2, -2]);
  assert.deepEqual(Array.from(test1), [6, -2]);
});

test("errors", () => {
  assert.throws(() => inferColumns(new Float64Array(5), 2, "f"), InputError);
  assert.throws(() => inferColumns(new Float64Array(4), 0, "f"), InputError);
  assert.throws(() => columnScaling(Float64Array.of(1, NaN), 2), InputError);
  assert.throws(() => columnScaling(Float64Array.of(1, 2), 1, 1), InputError);
  assert.throws(() => columnScaling(Float64Array.of(1, 2), 2, 2 as 1), OptionError);
  assert.throws(() => applyScaling(new Float64Array(3), 2, columnScaling(Float64Array.of(1, 2), 2)), InputError);
});

test("an exactly constant column gets sd 0 even when n·c/n rounds (c = 0.1, n = 3)", () => {
  const X = Float64Array.of(0.1, 1, 0.1, 2, 0.1, 4);
  assert.notEqual((0.1 + 0.1 + 0.1) / 3, 0.1); // the naive mean is off by rounding
  const s = columnScaling(X, 3, 1);
  assert.equal(s.mean[0], 0.1);
  assert.equal(s.sd[0], 0);
});
