/**
 * `ismm fit` on data that used to fail silently (issue 9): a y = 1e160 row is a located error or,
 * with --skip-invalid, skipped with a loadable model close to the clean fit; a small file runs
 * real learning passes and says so; an over-large K prints a warning.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { MoeRegressor } from "../../src/index.js";
import { assertOneLineError, ismm, syntheticCsv, tempDir, writeText } from "./helpers.js";

describe("ismm fit: trustworthy fits", () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);
  const clean = syntheticCsv(3000, 5);
  const lines = clean.trimEnd().split("\n");
  const header = lines[0].split(",");
  const yCol = header.indexOf("y");
  const bad = lines.slice();
  const cells = bad[1501].split(","); // data row 1501, file line 1502
  cells[yCol] = "1e160";
  bad[1501] = cells.join(",");
  const badPath = writeText(join(dir, "bad.csv"), bad.join("\n") + "\n");
  const cleanPath = writeText(join(dir, "clean.csv"), lines.filter((_, i) => i !== 1501).join("\n") + "\n");

  it("a row with y = 1e160 stops fit with its file:line:column, exit 1, and no model file", async () => {
    const out = join(dir, "m-bad.json");
    const r = await ismm(["fit", badPath, "-t", "y", "-o", out]);
    assertOneLineError(r, 1, `bad.csv:1502:${yCol + 1} (column 'y')`, "1e+160", "--skip-invalid");
    assert.throws(() => readFileSync(out), /ENOENT/);
  });

  it("with --skip-invalid the row is skipped and counted; the model loads and is within 0.05 nats of the clean fit", async () => {
    const mBad = join(dir, "m-skip.json");
    const mClean = join(dir, "m-clean.json");
    const r = await ismm(["fit", badPath, "-t", "y", "-o", mBad, "--skip-invalid"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /skipped 1 invalid row/);
    assert.equal((await ismm(["fit", cleanPath, "-t", "y", "-o", mClean])).code, 0);
    const score = async (m: string) => JSON.parse((await ismm(["evaluate", "--model", m, cleanPath, "--json"])).stdout).nll as number;
    const gap = Math.abs((await score(mBad)) - (await score(mClean)));
    // Skipping one of 3000 rows moves the one-pass fit by ~1e-3 (issue 9's bound is 0.05).
    assert.ok(gap < 0.05, `gap ${gap}`);
    const model = MoeRegressor.fromJSON(JSON.parse(readFileSync(mBad, "utf8")));
    assert.equal(model.diagnostics().rejected, 1);
  });

  it("a file smaller than the buffer: initialization on all rows with restarts, then --epochs learning passes", async () => {
    const small = writeText(join(dir, "small.csv"), syntheticCsv(150, 8));
    const out = join(dir, "m-small.json");
    const r = await ismm(["fit", small, "-t", "y", "-o", out, "--epochs", "4"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /150 rows; initialization: 150 rows, EM \(10 restarts\); then 4 ismm passes \(600 rows learned\)/);
    const model = MoeRegressor.fromJSON(JSON.parse(readFileSync(out, "utf8")));
    assert.equal(model.nLearned, 600);
    assert.equal(model.initialization?.wholeData, true);
  });

  it("K far too large for the data prints a warning naming the parameters and rows", async () => {
    const small = writeText(join(dir, "tiny.csv"), syntheticCsv(60, 9));
    const r = await ismm(["fit", small, "-t", "y", "-o", join(dir, "m-tiny.json"), "--experts", "8"]);
    assert.equal(r.code, 0, r.stderr);
    // d = 2: (K−1)p + Kp + K = 7·3 + 8·3 + 8 = 53 free parameters for 60 rows.
    assert.match(r.stderr, /ismm: warning: K = 8 experts have 53 free parameters for 60 rows .*prior was strengthened/);
  });
});
