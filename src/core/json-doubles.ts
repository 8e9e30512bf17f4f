/**
 * The one encoding of doubles in saved files (model files, checkpoints, optimizer states). Finite
 * numbers other than −0 are JSON numbers, which round-trip exactly (ECMAScript `Number#toString`
 * prints the shortest string that parses back to the same double). JSON has no NaN, ±Infinity or
 * −0, so those four are spelled as strings: every double survives `JSON.stringify` → `JSON.parse`
 * bit for bit (NaN payloads aside), which is what makes save → load → continue bit-identical.
 */

/** A double as JSON. */
export type JsonDouble = number | "NaN" | "Infinity" | "-Infinity" | "-0";

export function encodeDouble(x: number): JsonDouble {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  if (Object.is(x, -0)) return "-0";
  return x;
}

/** The double `v` encodes, or undefined when `v` is not an encoded double. */
export function decodeDouble(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  if (v === "-0") return -0;
  return undefined;
}

/** Encodes a buffer. O(n); allocates the result. */
export function encodeDoubles(a: ArrayLike<number>): JsonDouble[] {
  return Array.from(a, encodeDouble);
}
