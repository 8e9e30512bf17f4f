/**
 * Smoke test of the installed entry point bin/ismm.js, which runs the compiled dist/. The before
 * hook compiles dist/ from the current sources (as `npm run build` does), so the test never runs a
 * stale build.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { ROOT } from "./helpers.js";

describe("bin/ismm.js", () => {
  before(() => {
    execFileSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", join(ROOT, "tsconfig.build.json")], { stdio: "pipe" });
  });

  it("prints the version and runs a command", () => {
    const v = spawnSync(process.execPath, [join(ROOT, "bin", "ismm.js"), "--version"], { encoding: "utf8" });
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stdout, /^ismm \d+\.\d+\.\d+/);
    const s = spawnSync(process.execPath, [join(ROOT, "bin", "ismm.js"), "simulate", "--rows", "3"], { encoding: "utf8" });
    assert.equal(s.status, 0, s.stderr);
    assert.equal(s.stdout.trim().split("\n").length, 4);
    const e = spawnSync(process.execPath, [join(ROOT, "bin", "ismm.js"), "fit"], { encoding: "utf8" });
    assert.equal(e.status, 2);
  });
});
