import { test } from "node:test";
import assert from "node:assert/strict";
import { fmtInt } from "../../src/cli/context.js";

test("fmtInt groups digits exactly as toLocaleString('en-US') does", () => {
  const values = [0, 7, -7, 999, 1000, -1000, 12345, 999999, 1000000, 1234567.4, 1234567.5, -98765432.5, 2 ** 53, 1e20 + 12345];
  for (let e = 0; e < 18; e++) values.push(10 ** e - 1, 10 ** e, 3 * 10 ** e + 1);
  for (const v of values) assert.equal(fmtInt(v), Math.round(v).toLocaleString("en-US"), String(v));
});
