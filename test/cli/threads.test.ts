/**
 * `fit --batch-size B --threads T` (issue 12): the model file does not depend on T, a run killed
 * with SIGKILL and resumed on another thread count ends with the uninterrupted run's bytes, and bad
 * values are one located line.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { assertOneLineError, collect, ismm, spawnIsmm, syntheticCsv, tempDir, writeText } from "./helpers.js";

let dir = "";
let cleanup = (): void => undefined;
let data = "";
// d = 25: a batch of 256 rows is worth splitting (≈ 270k multiply-adds, above MIN_PARALLEL_WORK).
const OPTS = ["-t", "y", "--init-rows", "200", "--seed", "3", "--batch-size", "256"];

before(() => {
  ({ dir, cleanup } = tempDir());
  data = writeText(join(dir, "data.csv"), syntheticCsv(3000, 12, 25));
});
after(() => cleanup());

describe("fit --threads", { concurrency: 3 }, () => {
  it("--threads 1, 2 and auto write the same model file", async () => {
    const files: string[] = [];
    for (const t of ["1", "2", "auto"]) {
      const out = join(dir, `t${t}.json`);
      const r = await ismm(["fit", data, ...OPTS, "--threads", t, "-o", out]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout + r.stderr, t === "1" ? /mini-batches of 256 rows on 1 thread\b/ : /mini-batches of 256 rows on \d+ threads?/);
      files.push(readFileSync(out, "utf8"));
    }
    assert.equal(files[1], files[0]);
    assert.equal(files[2], files[0]);
  });

  it("SIGKILL with 2 threads, then --resume with 1 thread: the uninterrupted run's bytes", async () => {
    const full = join(dir, "full.json");
    const resumed = join(dir, "resumed.json");
    const ck = join(dir, "ck.json");
    const args = ["fit", data, ...OPTS, "--epochs", "2"];
    const a = await ismm([...args, "--threads", "2", "-o", full]);
    assert.equal(a.code, 0, a.stderr);
    // A checkpoint every 7 rows (fsynced each time) is slow enough to be caught in the second epoch;
    // 7 does not divide 256, so the checkpoint holds rows of an unfinished mini-batch.
    const child = spawnIsmm([...args, "--threads", "2", "-o", resumed, "--checkpoint", ck, "--checkpoint-every", "7"]);
    const running = collect(child);
    const deadline = Date.now() + 150000;
    while (Date.now() < deadline) {
      if (existsSync(ck) && (JSON.parse(readFileSync(ck, "utf8")) as { progress: { rowsTotal: number } }).progress.rowsTotal > 3100) break;
      await sleep(10);
    }
    child.kill("SIGKILL");
    assert.equal((await running).signal, "SIGKILL");
    const doc = JSON.parse(readFileSync(ck, "utf8")) as { progress: { rowsTotal: number }; model: { learner: { batch: { pending: number } } } };
    assert.ok(doc.progress.rowsTotal > 3100 && doc.progress.rowsTotal < 6000, `killed in the second epoch: at ${doc.progress.rowsTotal}`);
    assert.equal(doc.model.learner.batch.pending, (doc.progress.rowsTotal - 200) % 256, "the unfinished batch is in the checkpoint");
    const r = await ismm([...args, "--threads", "1", "-o", resumed, "--checkpoint", ck, "--resume", ck]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(resumed, "utf8"), readFileSync(full, "utf8"));
  });

  it("--threads without --batch-size means batches of 256; other methods warn that they learn on one thread", async () => {
    const r = await ismm(["fit", data, "-t", "y", "--init-rows", "200", "--threads", "2", "-o", join(dir, "auto-b.json")]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout + r.stderr, /mini-batches of 256 rows on 2 threads/);
    const a = await ismm(["fit", data, "-t", "y", "--init-rows", "200", "--method", "adam", "--threads", "2", "-o", join(dir, "adam.json")]);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stderr, /warning: --threads: --method adam learns on one thread; only the initialization's EM starts use the threads/);
  });

  it("--threads 0 and --batch-size 0 are one line naming the flag (exit 2)", async () => {
    for (const [flag, v] of [["--threads", "0"], ["--batch-size", "0"], ["--threads", "many"]]) {
      const r = await ismm(["fit", data, "-t", "y", flag, v, "-o", join(dir, "x.json")]);
      assertOneLineError(r, 2, new RegExp(`${flag} must be an int`));
    }
  });
});
