/** `--help` for the tool and every command, `--version`, and the usage errors of the dispatcher. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT, assertOneLineError, ismm } from "./helpers.js";

const COMMANDS = ["fit", "predict", "evaluate", "simulate", "demo"];

describe("ismm help and version", { concurrency: 8 }, () => {
  it("--help lists every command and the exit codes", async () => {
    const r = await ismm(["--help"]);
    assert.equal(r.code, 0);
    for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${c} `, "m"));
    assert.match(r.stdout, /Exit codes:/);
    assert.equal(r.stderr, "");
  });

  for (const c of COMMANDS) {
    it(`ismm ${c} --help shows usage, flags and examples`, async () => {
      const r = await ismm([c, "--help"]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^  ismm ${c}`, "m"));
      assert.match(r.stdout, /Examples:/);
      assert.match(r.stdout, /--quiet/);
      assert.match(r.stdout, new RegExp(`ismm ${c}\\b`));
    });
  }

  it("fit --help documents every estimator option flag", async () => {
    const r = await ismm(["fit", "-h"]);
    for (const flag of ["--experts", "--method", "--seed", "--lr", "--init-rows", "--step-scale", "--step-exponent", "--average-from", "--batch-size", "--epochs", "--checkpoint-every", "--resume", "--skip-invalid", "--format", "--progress, --no-progress"]) {
      assert.ok(r.stdout.includes(flag), `fit --help mentions ${flag}`);
    }
  });

  it("help <command> equals <command> --help", async () => {
    const [a, b] = await Promise.all([ismm(["help", "predict"]), ismm(["predict", "--help"])]);
    assert.equal(a.stdout, b.stdout);
  });

  it("--version prints the package version", async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    const r = await ismm(["--version"]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), `ismm ${pkg.version}`);
  });

  it("no arguments: help on stderr, exit 2", async () => {
    const r = await ismm([]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Usage: ismm <command>/);
  });

  it("an unknown command is a usage error (exit 2)", async () => {
    assertOneLineError(await ismm(["fitt"]), 2, "unknown command 'fitt'", "fit, predict");
  });

  it("an unknown flag is a usage error naming it, with a suggestion", async () => {
    assertOneLineError(await ismm(["fit", "x.csv", "--target", "y", "--out", "m.json", "--expert", "3"]), 2, "--expert", "did you mean --experts?");
  });
});
