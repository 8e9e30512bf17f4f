/** Shared test helpers: tolerance assertions with informative messages. */
import assert from "node:assert/strict";

/** |a − b| ≤ atol + rtol·max(|a|, |b|), with index/actual/expected/tolerance in the message. */
export function assertClose(actual: number, expected: number, atol: number, rtol = 0, what = "value"): void {
  const tol = atol + rtol * Math.max(Math.abs(actual), Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: actual ${actual}, expected ${expected}, |diff| ${Math.abs(actual - expected)} > tol ${tol}`);
}

export function assertAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol = 0, what = "array"): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs ${expected.length}`);
  for (let i = 0; i < actual.length; i++) assertClose(actual[i], expected[i], atol, rtol, `${what}[${i}]`);
}
