/**
 * Bad input, end to end: every case exits non-zero (2 for usage/option errors, 1 for data/model
 * errors) with ONE line on stderr naming the file, the line and the column where they apply, and
 * no stack trace. Also: a failed fit never leaves a partial --out file.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { FIXTURES, assertOneLineError, ismm, syntheticCsv, tempDir, writeText } from "./helpers.js";

let dir = "";
let cleanup = (): void => undefined;
let model = "";
let goodCsv = "";

before(async () => {
  ({ dir, cleanup } = tempDir());
  goodCsv = writeText(join(dir, "good.csv"), syntheticCsv(600, 2));
  model = join(dir, "model.json");
  const r = await ismm(["fit", goodCsv, "-t", "y", "-o", model, "--init-rows", "200", "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
});
after(() => cleanup());

const fx = (name: string): string => join(FIXTURES, name);
const fit = (data: string, ...more: string[]) => ismm(["fit", data, "-t", "y", "-o", join(dir, "out.json"), ...more]);

describe("ismm bad input", { concurrency: 8 }, () => {
  describe("bad data files (exit 1, file:line:column)", { concurrency: 4 }, () => {
    it("non-numeric cell", async () => {
      assertOneLineError(await fit(fx("bad-cell.csv")), 1, `${fx("bad-cell.csv")}:3:2 (column 'b')`, "non-numeric", '"x7"');
    });
    it("empty cell", async () => {
      assertOneLineError(await fit(fx("empty-cell.csv")), 1, `${fx("empty-cell.csv")}:3:2 (column 'b')`, /missing value|empty/);
    });
    it("NaN cell", async () => {
      assertOneLineError(await fit(fx("nan-cell.csv")), 1, `${fx("nan-cell.csv")}:4:2 (column 'b')`, "NaN");
    });
    it("Infinity cell", async () => {
      assertOneLineError(await fit(fx("inf-cell.csv")), 1, `${fx("inf-cell.csv")}:3:3 (column 'y')`, "Infinity");
    });
    it("ragged row", async () => {
      assertOneLineError(await fit(fx("ragged.csv")), 1, `${fx("ragged.csv")}:3:`, /fields/);
    });
    it("bad NDJSON value", async () => {
      assertOneLineError(await fit(fx("bad-value.ndjson")), 1, `${fx("bad-value.ndjson")}:2`, "'b'");
    });
    it("a bad cell on stdin names <stdin> and the line", async () => {
      const r = await ismm(["fit", "-", "-t", "y", "-o", join(dir, "o.json")], { input: "a,b,y\n1,2,3\n4,x7,6\n" });
      assertOneLineError(r, 1, "<stdin>:3:2 (column 'b')");
    });
    it("unknown target column", async () => {
      assertOneLineError(await ismm(["fit", goodCsv, "-t", "nope", "-o", join(dir, "o.json")]), 1, `${goodCsv}:1`, "unknown target column 'nope'", "'x1', 'x2', 'y'");
    });
    it("unknown feature column", async () => {
      assertOneLineError(await ismm(["fit", goodCsv, "-t", "y", "--features", "x1,zz", "-o", join(dir, "o.json")]), 1, "unknown feature column 'zz'");
    });
    it("empty file", async () => {
      assertOneLineError(await fit(fx("empty.csv")), 1, fx("empty.csv"), "empty file");
    });
    it("header only", async () => {
      assertOneLineError(await fit(fx("header-only.csv")), 1, fx("header-only.csv"), "no data rows");
    });
    it("too few rows for the requested experts (wrapped with the file name)", async () => {
      assertOneLineError(await fit(fx("few-rows.csv"), "--experts", "2"), 1, `${fx("few-rows.csv")}: 4 rows are too few for 2 experts`);
    });
    it("missing file", async () => {
      assertOneLineError(await fit(join(dir, "nope.csv")), 1, join(dir, "nope.csv"), "ENOENT");
    });
    it("unreadable path (a directory)", async () => {
      const d = join(dir, "a-directory");
      mkdirSync(d, { recursive: true });
      assertOneLineError(await fit(d), 1, d, "EISDIR");
    });
  });

  describe("bad options (exit 2, the flag named)", { concurrency: 4 }, () => {
    it("K < 1", async () => {
      assertOneLineError(await fit(goodCsv, "--experts", "0"), 2, "--experts must be an int in the range [1, inf). Got 0 instead");
    });
    it("a non-numeric option value", async () => {
      assertOneLineError(await fit(goodCsv, "--step-scale", "fast"), 2, '--step-scale must be a float in the range (0, inf) or null. Got "fast" instead');
    });
    it("an unknown method", async () => {
      assertOneLineError(await fit(goodCsv, "--method", "newton"), 2, "--method must be one of 'ismm'");
    });
    it("--step-exponent out of (0.5, 1]", async () => {
      assertOneLineError(await fit(goodCsv, "--step-exponent", "0.5"), 2, "--step-exponent");
    });
    it("missing --target / --out / data", async () => {
      assertOneLineError(await ismm(["fit", goodCsv, "-o", join(dir, "o.json")]), 2, "--target");
      assertOneLineError(await ismm(["fit", goodCsv, "-t", "y"]), 2, "--out");
      assertOneLineError(await ismm(["fit", "-t", "y", "-o", "m.json"]), 2, "data file");
    });
    it("a column both target and feature", async () => {
      assertOneLineError(await fit(goodCsv, "--features", "x1,y"), 2, "'y' is both");
    });
    it("--checkpoint-every without --checkpoint", async () => {
      assertOneLineError(await fit(goodCsv, "--checkpoint-every", "10"), 2, "--checkpoint-every needs --checkpoint");
    });
    it("predict without --model", async () => {
      assertOneLineError(await ismm(["predict", goodCsv]), 2, "--model");
    });
    it("simulate with a bad --rows", async () => {
      assertOneLineError(await ismm(["simulate", "--rows", "-5"]), 2);
      assertOneLineError(await ismm(["simulate", "--rows=-5"]), 2, "--rows must be an int");
    });
  });

  describe("bad model files and model/data mismatch (exit 1)", { concurrency: 4 }, () => {
    it("corrupt JSON", async () => {
      assertOneLineError(await ismm(["predict", "-m", fx("corrupt-model.json"), goodCsv]), 1, fx("corrupt-model.json"), "corrupt JSON");
    });
    it("wrong version", async () => {
      assertOneLineError(await ismm(["evaluate", "-m", fx("wrong-version-model.json"), goodCsv]), 1, fx("wrong-version-model.json"), "version 999");
    });
    it("wrong format", async () => {
      assertOneLineError(await ismm(["predict", "-m", fx("wrong-format-model.json"), goodCsv]), 1, "not an ismm model file");
    });
    it("missing model file", async () => {
      assertOneLineError(await ismm(["predict", "-m", join(dir, "none.json"), goodCsv]), 1, "cannot read model file", "ENOENT");
    });
    it("predict: data lacking model features names every missing column", async () => {
      const p = writeText(join(dir, "mismatch.csv"), "x3,y\n1,2\n");
      assertOneLineError(await ismm(["predict", "-m", model, p]), 1, `${p}:1`, "missing columns 'x1', 'x2'", model);
    });
    it("evaluate: data lacking the target column", async () => {
      const p = writeText(join(dir, "notarget.csv"), "x1,x2\n1,2\n");
      assertOneLineError(await ismm(["evaluate", "-m", model, p]), 1, `${p}:1`, "missing column 'y'");
    });
    it("mismatch on stdin is caught from the header too", async () => {
      assertOneLineError(await ismm(["evaluate", "-m", model, "-"], { input: "x1,q\n1,2\n" }), 1, "<stdin>:1", "missing columns 'x2', 'y'");
    });
    it("bad cell while predicting", async () => {
      const p = writeText(join(dir, "pbad.csv"), "x1,x2\n1,2\n3,oops\n");
      assertOneLineError(await ismm(["predict", "-m", model, p]), 1, `${p}:3:2 (column 'x2')`);
    });
  });

  describe("a failed fit never leaves a partial --out", { concurrency: 2 }, () => {
    it("no file when there was none; the old file intact when there was one; no temp files", async () => {
      const sub = join(dir, "atomic");
      mkdirSync(sub, { recursive: true });
      const lines = syntheticCsv(800, 3).trim().split("\n");
      lines[700] = "1,2,not-a-number"; // after initialization (300 rows): learning had begun
      const bad = writeText(join(sub, "late-error.csv"), lines.join("\n") + "\n");
      const out1 = join(sub, "new.json");
      const r1 = await ismm(["fit", bad, "-t", "y", "-o", out1, "--init-rows", "300"]);
      assertOneLineError(r1, 1, `${bad}:701:3 (column 'y')`);
      assert.equal(existsSync(out1), false);
      const out2 = join(sub, "old.json");
      writeFileSync(out2, "OLD CONTENT");
      const r2 = await ismm(["fit", bad, "-t", "y", "-o", out2, "--init-rows", "300"]);
      assert.equal(r2.code, 1);
      assert.equal(readFileSync(out2, "utf8"), "OLD CONTENT");
      assert.deepEqual(readdirSync(sub).sort(), ["late-error.csv", "old.json"]);
    });

    it("predict --out is not created when predicting fails", async () => {
      const p = writeText(join(dir, "pbad2.csv"), "x1,x2\n1,2\n3,oops\n");
      const out = join(dir, "preds-never.csv");
      assert.equal((await ismm(["predict", "-m", model, p, "--out", out])).code, 1);
      assert.equal(existsSync(out), false);
    });

    it("an unwritable --out directory is one line, exit 1", async () => {
      const r = await ismm(["fit", goodCsv, "-t", "y", "--init-rows", "200", "-o", join(dir, "no-such-dir", "m.json")]);
      assertOneLineError(r, 1, "cannot write", "ENOENT");
    });
  });
});
