/**
 * Option names are looked up as own keys of the option table: names inherited from
 * Object.prototype (`constructor`, `toString`, `hasOwnProperty`, `__proto__`) are unknown options.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { MoeRegressor, OptionError, resolveOptions } from "../../src/index.js";

test("Object.prototype names are unknown options, with the usual message", () => {
  for (const key of ["constructor", "toString", "hasOwnProperty", "valueOf", "__proto__"]) {
    const user = JSON.parse(`{${JSON.stringify(key)}: 1}`) as Record<string, unknown>; // an own key, even __proto__
    assert.throws(() => resolveOptions(user), (err: unknown) => err instanceof OptionError && err.message.startsWith(`Unknown option '${key}' for MoeRegressor`), key);
    assert.throws(() => new MoeRegressor(user), OptionError, key);
  }
});
