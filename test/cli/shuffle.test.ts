/**
 * `ismm fit --order shuffle|sequential --shuffle-buffer N` end to end: the model file equals the
 * library driven in the documented order (pass 1 in file order, later passes through the seeded
 * shuffle buffer; `--order sequential`: file order every pass, the behaviour before the option);
 * `--epochs 1` on a file larger than the initialization buffer is unchanged by the option; resume
 * in the middle of a shuffled pass gives the same bytes; refused rows name their real file line;
 * bad values are one line, exit 2.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { MoeRegressor, readAll } from "../../src/index.js";
import { defaultShuffleRows, passRng, RowBlock, ShuffleBuffer } from "../../src/cli/shuffle-buffer.js";
import { assertOneLineError, collect, ismm, spawnIsmm, syntheticCsv, tempDir, writeText } from "./helpers.js";

let dir = "";
let cleanup = (): void => undefined;
let csv = "";
let data = "";
const ROWS = 2500;
/** Options of every fit here (a small initialization buffer: the file is streamed, not fitted whole). */
const OPTS = ["-t", "y", "--init-rows", "200", "--seed", "5"];

before(() => {
  ({ dir, cleanup } = tempDir());
  csv = syntheticCsv(ROWS, 21);
  data = writeText(join(dir, "data.csv"), csv);
});
after(() => cleanup());

async function fit(args: readonly string[], out: string): Promise<string> {
  const r = await ismm(["fit", data, ...OPTS, ...args, "-o", out]);
  assert.equal(r.code, 0, r.stderr);
  return readFileSync(out, "utf8");
}

/** The model JSON without `meta` (which records the command line). */
function withoutMeta(text: string): string {
  const doc = JSON.parse(text) as Record<string, unknown>;
  delete doc.meta;
  return JSON.stringify(doc);
}

/**
 * The library, driven in the order the CLI documents: E passes, the first in file order, each later
 * one through a ShuffleBuffer of `bufferRows` rows seeded by passRng(seed, pass) (null: file order).
 * `whole`: a file smaller than the initialization buffer, read once to fill it (pass 1) and fitted
 * whole, then E learning passes (2 … E + 1).
 */
async function libraryFit(epochs: number, bufferRows: number | null, source = data, whole = false): Promise<string> {
  const D = await readAll({ source, targets: ["y"] });
  const model = new MoeRegressor({ initRows: 200, seed: 5 });
  const d = D.featureNames.length;
  const last = whole ? epochs + 1 : epochs;
  for (let pass = 1; pass <= last; pass++) {
    if (pass === 1 || bufferRows === null) {
      model.learnMany(D.X, D.Y, D.n);
      if (pass === 1 && whole) model.flush();
      continue;
    }
    const buf = new ShuffleBuffer(d, 1, bufferRows);
    const out = new RowBlock(d, 1, 64);
    const learn = (): void => {
      model.learnMany(out.X.subarray(0, out.n * d), out.Y.subarray(0, out.n), out.n);
      out.n = 0;
    };
    buf.start(passRng(5, pass));
    for (let i = 0; i < D.n; i++) {
      buf.push(D.X, i * d, D.Y, i, i + 2, out);
      if (out.full) learn();
    }
    while (buf.drain(out)) if (out.full) learn();
    learn();
  }
  model.finish();
  return JSON.stringify(model.toJSON());
}

describe("ismm fit --order", { concurrency: 4 }, () => {
  it("--order sequential: every pass in file order (the library fed the file E times)", async () => {
    const text = await fit(["--epochs", "3", "--order", "sequential"], join(dir, "seq.json"));
    assert.equal(withoutMeta(text), withoutMeta(await libraryFit(3, null)));
    const meta = (JSON.parse(text) as { meta: Record<string, unknown> }).meta;
    assert.equal(meta.order, undefined, "a file-order fit writes the model file it wrote before --order existed");
  });

  it("default (shuffle): pass 1 in file order, later passes in the seeded buffer's order; differs from sequential", async () => {
    const def = await fit(["--epochs", "3"], join(dir, "shuffle.json"));
    // The default buffer (64 MiB of rows of d + q + 1 = 4 doubles: 2,097,152 rows) holds the whole file.
    assert.equal(defaultShuffleRows(2, 1), 2097152);
    assert.equal(withoutMeta(def), withoutMeta(await libraryFit(3, defaultShuffleRows(2, 1))));
    const meta = (JSON.parse(def) as { meta: Record<string, unknown> }).meta;
    assert.equal(meta.order, "shuffle");
    assert.equal(meta.shuffleBuffer, 2097152);
    const seq = await fit(["--epochs", "3", "--order", "sequential"], join(dir, "seq2.json"));
    assert.notEqual(withoutMeta(def), withoutMeta(seq));
    // A buffer smaller than the file: rows are emitted while the file streams.
    const small = await fit(["--epochs", "3", "--shuffle-buffer", "300"], join(dir, "small.json"));
    assert.equal(withoutMeta(small), withoutMeta(await libraryFit(3, 300)));
    assert.notEqual(withoutMeta(small), withoutMeta(def));
    // Same seed, same file: the same bytes.
    assert.equal(await fit(["--epochs", "3", "--shuffle-buffer", "300"], join(dir, "small.json")), small);
  });

  it("--epochs 1 on a streamed file: one pass in file order, the same file for every --order", async () => {
    const def = await fit([], join(dir, "e1.json"));
    assert.equal(await fit(["--order", "sequential"], join(dir, "e1.json")), def);
    assert.equal(await fit(["--shuffle-buffer", "10"], join(dir, "e1.json")), def);
    assert.equal(withoutMeta(def), withoutMeta(await libraryFit(1, null)));
    assert.equal((JSON.parse(def) as { meta: Record<string, unknown> }).meta.order, undefined);
  });

  it("a file smaller than the initialization buffer: filled once, then every learning pass shuffled (--epochs 1 too)", async () => {
    const small = writeText(join(dir, "small.csv"), csv.split("\n").slice(0, 151).join("\n") + "\n");
    for (const epochs of [1, 3]) {
      const run = async (order: string): Promise<string> => {
        const out = join(dir, `small-${order}-${epochs}.json`);
        const r = await ismm(["fit", small, ...OPTS, "--epochs", String(epochs), "--order", order, "-o", out]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`initialization: 150 rows, EM \\(10 restarts\\); then ${epochs} ismm pass`));
        return withoutMeta(readFileSync(out, "utf8"));
      };
      const shuffled = await run("shuffle");
      assert.equal(shuffled, withoutMeta(await libraryFit(epochs, 1000, small, true)));
      assert.equal(await run("sequential"), withoutMeta(await libraryFit(epochs, null, small, true)));
      assert.notEqual(shuffled, await run("sequential"));
    }
  });

  it("resume in the middle of a shuffled pass writes the bytes of the uninterrupted run", async () => {
    for (const buffer of [[], ["--shuffle-buffer", "300"]]) {
      const tag = buffer.length === 0 ? "default" : "small";
      const full = await fit(["--epochs", "3", ...buffer], join(dir, `full-${tag}.json`));
      // The last checkpoint of a complete run stays on disk: with one every 7,000 rows it is at row
      // 2,000 of pass 3 (7,500 rows in all), in the middle of a shuffled pass.
      const ck = join(dir, `ck-${tag}.json`);
      await fit(["--epochs", "3", ...buffer, "--checkpoint", ck, "--checkpoint-every", "7000"], join(dir, `first-${tag}.json`));
      const progress = (JSON.parse(readFileSync(ck, "utf8")) as { progress: { epoch: number; rows: number; rowsTotal: number; line: number } }).progress;
      assert.deepEqual([progress.epoch, progress.rows, progress.rowsTotal], [3, 2000, 7000]);
      const resumed = join(dir, `resumed-${tag}.json`);
      const r = await ismm(["fit", data, ...OPTS, "--epochs", "3", ...buffer, "--resume", ck, "-o", resumed]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /resuming from .*: epoch 3\/3, 2,000 rows of the epoch done/);
      assert.equal(readFileSync(resumed, "utf8"), full, `resume (${tag} buffer)`);
    }
  });

  it("killed (SIGKILL) in a shuffled pass: resume equals the uninterrupted run", async () => {
    const args = ["fit", data, ...OPTS, "--epochs", "2", "--shuffle-buffer", "500"];
    const full = join(dir, "kill-full.json");
    const a = await ismm([...args, "-o", full]);
    assert.equal(a.code, 0, a.stderr);
    // As in checkpoint.test.ts: a checkpoint every 3 rows (each fsynced) makes the fit slow enough
    // to be caught in pass 2 by polling the checkpoint file.
    const ck = join(dir, "ck-kill.json");
    const resumed = join(dir, "kill-resumed.json");
    const child = spawnIsmm([...args, "-o", resumed, "--checkpoint", ck, "--checkpoint-every", "3"]);
    const running = collect(child);
    const deadline = Date.now() + 60000;
    const progress = (): { epoch: number; rows: number; rowsTotal: number } | null =>
      existsSync(ck) ? (JSON.parse(readFileSync(ck, "utf8")) as { progress: { epoch: number; rows: number; rowsTotal: number } }).progress : null;
    while (Date.now() < deadline) {
      if ((progress()?.rowsTotal ?? 0) >= ROWS + 600) break;
      await sleep(10);
    }
    child.kill("SIGKILL");
    assert.equal((await running).signal, "SIGKILL");
    const p = progress();
    assert.ok(p !== null && p.epoch === 2 && p.rows > 0 && p.rows < ROWS, `mid pass 2: ${JSON.stringify(p)}`);
    const r = await ismm([...args, "-o", resumed, "--resume", ck]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(resumed, "utf8"), readFileSync(full, "utf8"));
  });

  it("a refused row in a shuffled pass names its real file line; --prequential-out and checkpoints work", async () => {
    // Line 1,301 (data row 1,300) holds a value the model refuses (its square overflows).
    const lines = csv.split("\n");
    lines[1300] = lines[1300].replace(/^[^,]+/, "1e200");
    const bad = writeText(join(dir, "bad.csv"), lines.join("\n"));
    const out = join(dir, "bad.json");
    const preq = join(dir, "preq.csv");
    const ck = join(dir, "ck-bad.json");
    const args = ["fit", bad, ...OPTS, "--epochs", "3", "--shuffle-buffer", "400", "--skip-invalid"];
    const r = await ismm([...args, "--prequential-out", preq, "--checkpoint", ck, "--checkpoint-every", "7000", "-o", out]);
    assert.equal(r.code, 0, r.stderr);
    // The reasons reported are those of the last pass, a shuffled one: the line is the file's.
    assert.match(r.stderr, /skipped 1 invalid row of .*bad\.csv per epoch \(first: .*bad\.csv:1301:1 \(column 'x1'\): value 1e\+200/);
    const last = readFileSync(preq, "utf8").trim().split("\n").at(-1) as string;
    // `rows` counts the rows offered to the model over the 3 passes, the refused one included (as in file order).
    assert.equal(Number(last.split(",")[0]), 3 * ROWS);
    // The last checkpoint (row 2,000 of pass 3) resumes to the same model state, and to the same
    // row counts: the checkpoint carries the rows refused before it in the resumed pass (refusedEpoch).
    const resumed = join(dir, "bad-resumed.json");
    const rr = await ismm([...args, "--resume", ck, "-o", resumed]);
    assert.equal(rr.code, 0, rr.stderr);
    assert.match(rr.stderr, /epoch 3\/3, 2,000 rows of the epoch done/);
    assert.equal(withoutMeta(readFileSync(resumed, "utf8")), withoutMeta(readFileSync(out, "utf8")));
    const counts = (text: string): unknown => {
      const m = (JSON.parse(text) as { meta: Record<string, unknown> }).meta;
      return [m.rowsPerEpoch, m.skippedRowsPerEpoch, m.rows];
    };
    assert.deepEqual(counts(readFileSync(resumed, "utf8")), counts(readFileSync(out, "utf8")));
    assert.equal((JSON.parse(readFileSync(out, "utf8")) as { meta: { skippedRowsPerEpoch: number } }).meta.skippedRowsPerEpoch, 1);
    assertOneLineError(await ismm(["fit", bad, ...OPTS, "--epochs", "3", "-o", join(dir, "bad2.json")]), 1, "bad.csv:1301:1");
  });

  it("bad values are one line, exit 2", async () => {
    const out = join(dir, "never.json");
    assertOneLineError(await ismm(["fit", data, ...OPTS, "--epochs", "2", "--order", "random", "-o", out]), 2, "--order must be one of 'shuffle', 'sequential'");
    for (const v of ["0", "-3", "1.5", "abc", ""]) {
      assertOneLineError(await ismm(["fit", data, ...OPTS, "--epochs", "2", "--shuffle-buffer", v, "-o", out]), 2, "--shuffle-buffer must be an int in the range [1, 10000000]");
    }
    assertOneLineError(await ismm(["fit", data, ...OPTS, "--epochs", "2", "--shuffle-buffer", "20000000", "-o", out]), 2, "--shuffle-buffer must be an int in the range [1, 10000000]");
    assertOneLineError(await ismm(["fit", data, ...OPTS, "--epochs", "2", "--order", "sequential", "--shuffle-buffer", "5", "-o", out]), 2, "--shuffle-buffer is for --order shuffle");
    assertOneLineError(await ismm(["fit", "-", ...OPTS, "--epochs", "2", "-o", out], { input: csv }), 2, "--epochs 2 needs a file");
    assert.equal(existsSync(out), false);
  });
});
