/**
 * One option-constraint system: the estimator's OPTION_TABLE and the optimizers' tables are checked
 * by core/constraints.ts, so the same kind of mistake reads the same for both owners.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkOption, describeConstraint, describeRange, resolveTable, type ConstraintTable } from "../../src/core/constraints.js";
import { MoeRegressor, OptionError, makeOptimizer, resolveOptions } from "../../src/index.js";

const message = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof OptionError, `expected OptionError, got ${String(e)}`);
    return e.message;
  }
  assert.fail("expected an OptionError");
};

test("estimator and optimizer options: one message format for a bad value and for an unknown key", () => {
  assert.equal(
    message(() => new MoeRegressor({ learningRate: -1 })),
    "The 'learningRate' option of MoeRegressor must be a float in the range (0, inf) or null. Got -1 instead",
  );
  assert.equal(
    message(() => makeOptimizer("sgd", { learningRate: -1 })),
    "The 'learningRate' option of sgd must be a float in the range (0, inf). Got -1 instead",
  );
  assert.equal(message(() => resolveOptions({ seed: "1" })), `The 'seed' option of MoeRegressor must be an int in the range [0, inf). Got "1" instead`);
  assert.equal(message(() => makeOptimizer("sophia", { batchSize: "1" })), `The 'batchSize' option of sophia must be an int in the range [1, inf). Got "1" instead`);
  assert.match(message(() => resolveOptions({ nExpert: 2 })), /^Unknown option 'nExpert' for MoeRegressor\. Valid options: nExperts, method, /);
  assert.equal(message(() => makeOptimizer("adam", { lr: 1 })), "Unknown option 'lr' for adam. Valid options: learningRate, beta1, beta2, eps");
  assert.equal(message(() => resolveOptions(null as never)), "The options of MoeRegressor must be a plain object. Got null instead");
  assert.equal(message(() => makeOptimizer("adam", null as never)), "The options of adam must be a plain object. Got null instead");
});

test("NaN is shown as NaN and inherited names are unknown keys", () => {
  assert.match(message(() => resolveOptions({ stepScale: NaN })), /Got NaN instead$/);
  assert.match(message(() => resolveOptions({ toString: 1 })), /^Unknown option 'toString'/);
  assert.match(message(() => makeOptimizer("sgd", { constructor: 1 })), /^Unknown option 'constructor'/);
});

test("resolveTable: defaults, undefined means default, frozen; every kind and both ends of a range", () => {
  const table: ConstraintTable = {
    k: { kind: "int", min: 1, max: 3, default: 2, doc: "" },
    r: { kind: "float", min: 0, max: 1, minOpen: true, default: 0.5, doc: "" },
    n: { kind: "float", min: 0, nullable: true, default: null, doc: "" },
    e: { kind: "enum", values: ["a", "b"], default: "a", doc: "" },
    b: { kind: "bool", default: true, doc: "" },
  };
  const out = resolveTable(table, { k: 3, r: 1, n: null, e: undefined }, "T");
  assert.deepEqual({ ...out }, { k: 3, r: 1, n: null, e: "a", b: true });
  assert.ok(Object.isFrozen(out));
  const bad: Array<[string, unknown, string]> = [
    ["k", 4, "an int in the range [1, 3]. Got 4"],
    ["k", 1.5, "an int in the range [1, 3]. Got 1.5"],
    ["r", 0, "a float in the range (0, 1]. Got 0"],
    ["r", Infinity, "a float in the range (0, 1]. Got Infinity"],
    ["n", -1, "a float in the range [0, inf) or null. Got -1"],
    ["e", "c", `one of 'a', 'b'. Got "c"`],
    ["b", 1, "a boolean. Got 1"],
    ["k", null, "an int in the range [1, 3]. Got null"],
  ];
  for (const [key, v, tail] of bad) {
    assert.equal(message(() => resolveTable(table, { [key]: v }, "T")), `The '${key}' option of T must be ${tail} instead`);
    assert.equal(message(() => checkOption(key, table[key], v, "T")), `The '${key}' option of T must be ${tail} instead`);
  }
  assert.equal(describeRange({ kind: "float", min: -Infinity, max: 1, maxOpen: true, default: 0, doc: "" }), "(-inf, 1)");
  assert.equal(describeConstraint(table.b), "a boolean");
});
