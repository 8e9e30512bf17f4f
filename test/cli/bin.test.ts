/** Smoke test of the installed entry point bin/ismm.js (runs only when dist/ has been built). */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "./helpers.js";

const built = existsSync(join(ROOT, "dist", "cli", "main.js"));

describe("bin/ismm.js", () => {
  it("prints the version and runs a command", { skip: built ? false : "dist/ not built (npm run build)" }, () => {
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
