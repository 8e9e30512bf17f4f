/**
 * The row order of the CLI's training loop (src/cli/train.ts), in process: a recording model sees
 * which rows each pass learns. Pass 1 is in file order; with `shuffle` every later pass is exactly
 * the ShuffleBuffer's order for (seed, pass) over the kept rows; rows a `keep` split holds out
 * (decided by the row's position in the FILE) are never learned; a resume from any checkpoint of a
 * shuffled pass learns exactly the rows the interrupted run had not learned, in the same order.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openTable, type MoeRegressor, type TableReader } from "../../src/index.js";
import type { CheckpointProgress } from "../../src/cli/checkpoint.js";
import { passRng, RowBlock, ShuffleBuffer } from "../../src/cli/shuffle-buffer.js";
import { train, type TrainPlan } from "../../src/cli/train.js";
import { tempDir, writeText } from "./helpers.js";

const ROWS = 700;
let dir = "";
let cleanup = (): void => undefined;
let data = "";

before(() => {
  ({ dir, cleanup } = tempDir());
  // Row r (0-based) has y = r and sits on file line r + 2; a blank line after row 99 shifts the
  // later rows by one line (row r ≥ 100 is on line r + 3): lines are not positions.
  const lines = ["x,y"];
  for (let r = 0; r < ROWS; r++) {
    lines.push(`${(r % 7) / 7},${r}`);
    if (r === 99) lines.push("");
  }
  data = writeText(join(dir, "rows.csv"), lines.join("\n") + "\n");
});
after(() => cleanup());

const lineOf = (r: number): number => (r < 100 ? r + 2 : r + 3);

/** A stand-in for MoeRegressor that records the y of every row it learns, pass by pass. */
function recorder(): { model: MoeRegressor; learned: number[] } {
  const learned: number[] = [];
  const fake = {
    options: { method: "ismm" },
    isInitialized: true,
    initialization: null,
    progressiveNll: NaN,
    flush: () => undefined,
    learnMany: (_X: Float64Array, Y: Float64Array, n: number) => {
      for (let i = 0; i < n; i++) learned.push(Y[i]);
    },
  };
  return { model: fake as unknown as MoeRegressor, learned };
}

/** The expected order of a shuffled pass: `rows` (ids in file order) through a fresh buffer. */
function bufferOrder(rows: readonly number[], seed: number, pass: number, capacity: number): number[] {
  const buf = new ShuffleBuffer(1, 1, capacity);
  const out = new RowBlock(1, 1, 1);
  const order: number[] = [];
  const x = new Float64Array(1);
  const y = new Float64Array(1);
  const take = (): void => {
    if (out.n > 0) order.push(out.Y[0]);
    out.n = 0;
  };
  buf.start(passRng(seed, pass));
  for (const r of rows) {
    y[0] = r;
    buf.push(x, 0, y, 0, lineOf(r), out);
    take();
  }
  while (buf.drain(out)) take();
  return order;
}

const open = (): Promise<TableReader> => openTable({ source: data, targets: ["y"], batchRows: 64 });

describe("train(): the order of the passes", () => {
  it("pass 1 in file order, later passes the buffer's order; held-out rows (file positions) never learned", async () => {
    for (const bufferRows of [ROWS, 1000, 50]) {
      const { model, learned } = recorder();
      const keep = (i: number): boolean => i % 5 !== 3; // position among the valid rows of the file
      const res = await train({ model, open, label: "rows.csv", epochs: 3, keep, shuffle: { seed: 7, bufferRows, blockRows: 32 } });
      const kept = Array.from({ length: ROWS }, (_, r) => r).filter(keep);
      assert.equal(learned.length, 3 * kept.length);
      assert.deepEqual(learned.slice(0, kept.length), kept, "pass 1: file order");
      for (const pass of [2, 3]) {
        const got = learned.slice((pass - 1) * kept.length, pass * kept.length);
        assert.deepEqual(got, bufferOrder(kept, 7, pass, bufferRows), `pass ${pass}, buffer ${bufferRows}`);
        assert.deepEqual([...got].sort((a, b) => a - b), kept, "every kept row once");
        assert.notDeepEqual(got, kept, "not file order");
      }
      assert.notDeepEqual(learned.slice(kept.length, 2 * kept.length), learned.slice(2 * kept.length), "a fresh order every pass");
      assert.equal(res.rowsTotal, 3 * kept.length);
      assert.equal(res.rowsPerEpoch, ROWS, "valid rows read per epoch, kept or not");
    }
  });

  it("without shuffle every pass is in file order (the behaviour before --order)", async () => {
    const { model, learned } = recorder();
    await train({ model, open, label: "rows.csv", epochs: 3 });
    const all = Array.from({ length: ROWS }, (_, r) => r);
    assert.deepEqual(learned, [...all, ...all, ...all]);
  });

  it("a checkpoint in a shuffled pass records the emitted rows and the real file line; resuming from it learns the rest in order", async () => {
    const shuffle = { seed: 3, bufferRows: 200, blockRows: 16 };
    const { model, learned } = recorder();
    const saved: { progress: CheckpointProgress; learned: number }[] = [];
    const checkpoint = { every: 97, write: async (progress: CheckpointProgress) => void saved.push({ progress, learned: learned.length }) };
    await train({ model, open, label: "rows.csv", epochs: 3, checkpoint, shuffle });
    assert.equal(saved.length, Math.floor((3 * ROWS) / 97));
    const inPass = saved.filter((s) => s.progress.epoch >= 2);
    assert.ok(inPass.length > 10);
    for (const s of inPass) {
      const p = s.progress;
      assert.equal(s.learned, p.rowsTotal, "the checkpoint is written after its rows are learned");
      assert.equal(p.rowsTotal, (p.epoch - 1) * ROWS + p.rows, "rows = rows of this pass emitted and learned");
      assert.equal(p.line, lineOf(learned[p.rowsTotal - 1]), "line = the file line of the last row learned");
    }
    // Resume from a few of them: the rows learned after the resume are exactly the rest of the run.
    for (const s of [inPass[0], inPass[Math.floor(inPass.length / 2)], inPass[inPass.length - 1]]) {
      const r = recorder();
      const { epoch, rows, line, rowsTotal } = s.progress;
      const start = { epoch, rows, line, rowsTotal, skippedBefore: 0 };
      const res = await train({ model: r.model, open, label: "rows.csv", epochs: 3, start, shuffle });
      assert.deepEqual(r.learned, learned.slice(rowsTotal), `resumed at epoch ${epoch}, row ${rows}`);
      assert.equal(res.rowsTotal, 3 * ROWS);
    }
    // A checkpoint whose last row came from another line: the data changed.
    const p = inPass[0].progress;
    const bad: TrainPlan["start"] = { epoch: p.epoch, rows: p.rows, line: p.line + 1, rowsTotal: p.rowsTotal, skippedBefore: 0 };
    await assert.rejects(
      train({ model: recorder().model, open, label: "rows.csv", epochs: 3, start: bad, shuffle }),
      new RegExp(`the data differ from the checkpoint: row ${p.rows} of shuffled pass ${p.epoch} was line ${p.line + 1}, now line ${p.line}`),
    );
    // More rows consumed than the pass has.
    const long: TrainPlan["start"] = { epoch: 2, rows: ROWS + 5, line: 2, rowsTotal: 2 * ROWS + 5, skippedBefore: 0 };
    await assert.rejects(
      train({ model: recorder().model, open, label: "rows.csv", epochs: 3, start: long, shuffle }),
      new RegExp(`it consumed ${ROWS + 5} rows of shuffled pass 2 but the data have only ${ROWS}`),
    );
  });
});
