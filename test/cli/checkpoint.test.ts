/**
 * Checkpoints and resume: after a SIGKILL the last checkpoint is intact, and resuming from it
 * finishes with the model of an uninterrupted run (same predictions to 1e-9; in fact the same
 * bytes, since the state round-trips exactly). A resume with other options or data is refused.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { assertOneLineError, assertTablesClose, collect, ismm, parseCsv, spawnIsmm, syntheticCsv, tempDir, writeText } from "./helpers.js";

let dir = "";
let cleanup = (): void => undefined;
let csv = "";
let data = "";
/** Options of every fit in this file (a small initialization buffer keeps the runs fast). */
const OPTS = ["-t", "y", "--init-rows", "200", "--seed", "5"];

before(() => {
  ({ dir, cleanup } = tempDir());
  csv = syntheticCsv(2500, 21);
  data = writeText(join(dir, "data.csv"), csv);
});
after(() => cleanup());

interface CheckpointDoc {
  format: string;
  version: number;
  progress: { epoch: number; epochs: number; rows: number; line: number; rowsTotal: number; skippedEpoch: number; skippedBefore: number };
  fingerprint: { run: Record<string, unknown>; data: { source: string; size: number | null; header: string[] } };
  model: { format: string };
}

function readCheckpoint(path: string): CheckpointDoc {
  return JSON.parse(readFileSync(path, "utf8")) as CheckpointDoc;
}

async function predictions(model: string): Promise<{ header: string[]; rows: number[][] }> {
  const r = await ismm(["predict", "-m", model, data]);
  assert.equal(r.code, 0, r.stderr);
  return parseCsv(r.stdout);
}

describe("checkpoint and resume", { concurrency: 5 }, () => {
  it("resume after SIGKILL (mid-epoch, 2 epochs, file) equals the uninterrupted run", async () => {
    const full = join(dir, "full.json");
    const resumed = join(dir, "resumed.json");
    const ck = join(dir, "ck-file.json");
    // File order in epoch 2, so that the checkpoint's line is a reader batch's (shuffled passes:
    // test/cli/shuffle.test.ts and train-order.test.ts).
    const args = ["fit", data, ...OPTS, "--epochs", "2", "--order", "sequential"];
    const a = await ismm([...args, "-o", full]);
    assert.equal(a.code, 0, a.stderr);
    // Killed from outside with SIGKILL in the middle of epoch 2. A checkpoint every 3 rows (each
    // one fsynced) makes the fit slow enough to be caught there by polling the checkpoint file.
    const child = spawnIsmm([...args, "-o", resumed, "--checkpoint", ck, "--checkpoint-every", "3"]);
    const running = collect(child);
    const deadline = Date.now() + 60000;
    while (Date.now() < deadline) {
      if (existsSync(ck) && readCheckpoint(ck).progress.rowsTotal >= 3000) break;
      await sleep(10);
    }
    child.kill("SIGKILL");
    const killed = await running;
    assert.equal(killed.signal, "SIGKILL");
    assert.equal(existsSync(resumed), false, "no model from the killed run");
    const doc = readCheckpoint(ck); // intact: parses
    assert.equal(doc.format, "ismm-checkpoint");
    const { epoch, rows, rowsTotal, line } = doc.progress;
    assert.equal(epoch, 2, "killed in epoch 2");
    assert.ok(rows >= 500 && rows < 2500, `mid-epoch: ${rows} rows of epoch 2 done`);
    assert.equal(rowsTotal, 2500 + rows);
    assert.equal(rowsTotal % 3, 0, "a checkpoint every 3 rows");
    // Rows are read in batches of 1,024 after the header (line 1): row r is in the batch at this line.
    assert.equal(line, 2 + 1024 * Math.floor((rows - 1) / 1024));
    assert.equal(doc.fingerprint.data.size, Buffer.byteLength(csv));
    assert.deepEqual(doc.fingerprint.data.header, ["x1", "x2", "y"]);
    const r = await ismm([...args, "-o", resumed, "--checkpoint", ck, "--checkpoint-every", "700", "--resume", ck]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`resuming from .*: epoch 2/2, ${rows.toLocaleString("en-US")} rows of the epoch done`));
    assertTablesClose(await predictions(full), await predictions(resumed), 1e-9);
    // Stronger: the model files are identical (the state round-trips bit for bit).
    assert.equal(readFileSync(resumed, "utf8"), readFileSync(full, "utf8"));
  });

  it("an external kill -9 while reading stdin: the checkpoint is intact and resume matches", async () => {
    const full = join(dir, "full-stdin.json");
    const resumed = join(dir, "resumed-stdin.json");
    const ck = join(dir, "ck-stdin.json");
    const args = ["fit", "-", ...OPTS];
    const a = await ismm([...args, "-o", full], { input: csv });
    assert.equal(a.code, 0, a.stderr);
    // Feed 1,500 rows and keep the pipe open: the fit learns the first batch (1,024 rows), writes
    // checkpoints at 500 and 1,000 rows, then waits for more input. Then: kill -9.
    const child = spawnIsmm([...args, "-o", resumed, "--checkpoint", ck, "--checkpoint-every", "500"]);
    const done = collect(child, null);
    const lines = csv.split("\n");
    child.stdin?.write(lines.slice(0, 1501).join("\n") + "\n");
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline) {
      if (existsSync(ck) && readCheckpoint(ck).progress.rows === 1000) break;
      await sleep(25);
    }
    child.kill("SIGKILL");
    const killed = await done;
    assert.equal(killed.signal, "SIGKILL");
    const doc = readCheckpoint(ck);
    assert.equal(doc.progress.rows, 1000);
    assert.equal(doc.fingerprint.data.source, "-");
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes("resumed-stdin")), []);
    const r = await ismm([...args, "-o", resumed, "--checkpoint", ck, "--checkpoint-every", "500", "--resume", ck], { input: csv });
    assert.equal(r.code, 0, r.stderr);
    assertTablesClose(await predictions(full), await predictions(resumed), 1e-9);
  });

  it("refuses to resume with other options (exit 2) or other data (exit 1)", async () => {
    const ck = join(dir, "ck-refuse.json");
    const a = await ismm(["fit", data, ...OPTS, "-o", join(dir, "m-refuse.json"), "--checkpoint", ck, "--checkpoint-every", "1000"]);
    assert.equal(a.code, 0, a.stderr);
    const other = join(dir, "m-other.json");
    assertOneLineError(
      await ismm(["fit", data, ...OPTS, "--experts", "3", "-o", other, "--resume", ck]),
      2,
      `cannot resume from '${ck}'`,
      "option nExperts was 2 and is now 3",
    );
    const shorter = writeText(join(dir, "shorter.csv"), csv.split("\n").slice(0, 1500).join("\n") + "\n");
    assertOneLineError(await ismm(["fit", shorter, ...OPTS, "-o", other, "--resume", ck]), 1, "the data source was");
    assert.equal(existsSync(other), false);
  });

  it("a corrupt or missing checkpoint is one clear line", async () => {
    const bad = writeText(join(dir, "bad-ck.json"), '{"format":"ismm-checkpoint","version":1,"finger');
    assertOneLineError(await ismm(["fit", data, ...OPTS, "-o", join(dir, "x.json"), "--resume", bad]), 1, bad, "corrupt JSON");
    assertOneLineError(await ismm(["fit", data, ...OPTS, "-o", join(dir, "x.json"), "--resume", join(dir, "none.json")]), 1, "cannot read checkpoint", "ENOENT");
    const wrongVersion = writeText(join(dir, "v9-ck.json"), '{"format":"ismm-checkpoint","version":9}');
    assertOneLineError(await ismm(["fit", data, ...OPTS, "-o", join(dir, "x.json"), "--resume", wrongVersion]), 1, "unsupported checkpoint version 9");
  });

  it("a checkpoint passed as a model is refused with a hint", async () => {
    const ck = join(dir, "ck-as-model.json");
    const a = await ismm(["fit", data, ...OPTS, "-o", join(dir, "m2.json"), "--checkpoint", ck, "--checkpoint-every", "2000"]);
    assert.equal(a.code, 0, a.stderr);
    assertOneLineError(await ismm(["predict", "-m", ck, data]), 1, "checkpoint, not a model file", "--resume");
  });
});
