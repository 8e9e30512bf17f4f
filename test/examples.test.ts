/** Runs the README's examples so the documentation cannot rot. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runLibraryExample } from "../examples/library.js";

test("README library example runs and predicts a proper mixture", () => {
  const r = runLibraryExample();
  assert.ok(Number.isFinite(r.nll));
  assert.equal(r.prediction.gate.length, 3);
  // Gate probabilities form a distribution (rounding of three exps: 1e-12 is generous).
  assert.ok(Math.abs(r.prediction.gate.reduce((s, g) => s + g, 0) - 1) < 1e-12);
  assert.ok(r.prediction.variance > 0 && r.prediction.expert >= 0 && r.prediction.expert < 3);
});
