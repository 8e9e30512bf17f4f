/**
 * A data set smaller than the initialization buffer, given on a one-shot input: its first reading
 * only fills the buffer, and the learning pass reads it again from the copy kept meanwhile
 * (cli/replay-input.ts). Before, stdin failed with "empty file" and a named pipe hung waiting for a
 * new writer. The model equals the one fitted from a regular file (only meta.source differs).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { collect, ismm, spawnIsmm, syntheticCsv, tempDir, writeText } from "./helpers.js";

/** The model file without meta.source (the path differs by construction). */
function modelOf(path: string): unknown {
  const m = JSON.parse(readFileSync(path, "utf8")) as { meta: Record<string, unknown> };
  delete m.meta.source;
  return m;
}

describe("a small data set on a one-shot input", () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);
  const csv = syntheticCsv(300, 4); // 300 rows < the default buffer: fitted whole, then one learning pass
  const file = writeText(join(dir, "small.csv"), csv);
  const fromFile = join(dir, "file.json");

  it("stdin: fitted whole, then one learning pass from the kept rows; the file's model", async () => {
    const f = await ismm(["fit", file, "-t", "y", "-o", fromFile, "--seed", "2"]);
    assert.equal(f.code, 0, f.stderr);
    assert.match(f.stdout, /initialization: 300 rows, EM \(\d+ restarts\); then 1 ismm pass \(300 rows learned\)/);
    const out = join(dir, "stdin.json");
    const r = await ismm(["fit", "-", "-t", "y", "-o", out, "--seed", "2"], { input: csv });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /then 1 ismm pass \(300 rows learned\)/);
    assert.deepEqual(modelOf(out), modelOf(fromFile));
  });

  it("a named pipe: no hang waiting for a second writer; the file's model", { skip: process.platform === "win32" ? "no mkfifo" : false }, async () => {
    const fifo = join(dir, "pipe.csv");
    execFileSync("mkfifo", [fifo]);
    const out = join(dir, "fifo.json");
    const child = spawnIsmm(["fit", fifo, "-t", "y", "-o", out, "--seed", "2"]);
    const done = collect(child);
    createWriteStream(fifo).end(csv);
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(modelOf(out), modelOf(fromFile));
  });

  it("stdin larger than the buffer streams in one pass as before (nothing kept: no second reading)", async () => {
    const big = syntheticCsv(1200, 5);
    const out = join(dir, "big.json");
    const r = await ismm(["fit", "-", "-t", "y", "-o", out, "--init-rows", "400", "--seed", "2"], { input: big });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /1,200 rows/);
    assert.doesNotMatch(r.stdout, /EM \(\d+ restarts\)/);
  });
});
