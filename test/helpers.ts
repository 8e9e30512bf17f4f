/** Shared test helpers: tolerance assertions with informative messages. */
import assert from "node:assert/strict";
import v8 from "node:v8";
import vm from "node:vm";

/**
 * gc() for the no-allocation tests: the global one under --expose-gc, else obtained by setting
 * --expose-gc at run time (v8.setFlagsFromString + vm.runInNewContext), so no special command line.
 */
export function getGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === "function") return existing;
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as unknown;
  if (typeof gc !== "function") throw new Error("could not obtain gc() via --expose-gc");
  return gc as () => void;
}

/** |a − b| ≤ atol + rtol·max(|a|, |b|), with index/actual/expected/tolerance in the message. */
export function assertClose(actual: number, expected: number, atol: number, rtol = 0, what = "value"): void {
  const tol = atol + rtol * Math.max(Math.abs(actual), Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: actual ${actual}, expected ${expected}, |diff| ${Math.abs(actual - expected)} > tol ${tol}`);
}

export function assertAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol = 0, what = "array"): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs ${expected.length}`);
  for (let i = 0; i < actual.length; i++) assertClose(actual[i], expected[i], atol, rtol, `${what}[${i}]`);
}
