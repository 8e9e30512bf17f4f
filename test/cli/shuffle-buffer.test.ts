/**
 * The shuffle buffer of `ismm fit`'s later passes (src/cli/shuffle-buffer.ts): every row comes out
 * exactly once with its values and file line; with at most N rows a pass is a permutation drawn by
 * the seeded generator alone (uniform: checked by position frequencies); the order is a function
 * of (seed, pass); no use of Math.random; no allocation once grown (measured as in
 * test/optim/no-alloc.test.ts).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PerformanceObserver, performance } from "node:perf_hooks";
import { defaultShuffleRows, passRng, RowBlock, ShuffleBuffer, SHUFFLE_BUFFER_BYTES } from "../../src/cli/shuffle-buffer.js";
import { getGc } from "../helpers.js";


const D = 3;
const Q = 2;

/** Runs one pass of `rows` rows (row r: x = (r, r + 0.25, r + 0.5), y = (−r, r·2), line r + 2) and returns the emitted rows' ids. */
function pass(rows: number, capacity: number, seed: number, passNo: number, block = 7, buf?: ShuffleBuffer): number[] {
  const b = buf ?? new ShuffleBuffer(D, Q, capacity);
  const out = new RowBlock(D, Q, block);
  const order: number[] = [];
  const take = (): void => {
    for (let i = 0; i < out.n; i++) {
      const r = out.X[i * D];
      // The row's values and line travel together.
      assert.equal(out.X[i * D + 1], r + 0.25);
      assert.equal(out.X[i * D + 2], r + 0.5);
      assert.equal(out.Y[i * Q], -r);
      assert.equal(out.Y[i * Q + 1], r * 2);
      assert.equal(out.lines[i], r + 2);
      order.push(r);
    }
    out.n = 0;
  };
  b.start(passRng(seed, passNo));
  const x = new Float64Array(D);
  const y = new Float64Array(Q);
  for (let r = 0; r < rows; r++) {
    x[0] = r;
    x[1] = r + 0.25;
    x[2] = r + 0.5;
    y[0] = -r;
    y[1] = r * 2;
    const held = b.size;
    const emitted = b.push(x, 0, y, 0, r + 2, out);
    assert.equal(emitted, held === capacity, "a row is emitted exactly when the buffer is full");
    if (out.full) take();
  }
  while (b.drain(out)) if (out.full) take();
  take();
  assert.equal(b.size, 0);
  return order;
}

function isPermutation(order: number[], n: number): boolean {
  const sorted = [...order].sort((a, b) => a - b);
  return sorted.length === n && sorted.every((v, i) => v === i);
}

describe("ShuffleBuffer", () => {
  it("rows ≤ N: each pass is a permutation of the rows, not the file order", () => {
    for (const [rows, cap] of [[1, 1], [50, 50], [50, 64], [1000, 4096]]) {
      const order = pass(rows, cap, 11, 2);
      assert.ok(isPermutation(order, rows), `${rows} rows, N = ${cap}`);
      if (rows >= 50) assert.notDeepEqual(order, order.slice().sort((a, b) => a - b), "shuffled");
    }
  });

  it("rows > N: every row is emitted exactly once, and the order is mixed over more than N rows", () => {
    for (const [rows, cap] of [[1000, 1], [1000, 10], [1000, 999], [5000, 128]]) {
      const order = pass(rows, cap, 3, 4);
      assert.ok(isPermutation(order, rows), `${rows} rows, N = ${cap}`);
    }
    // N = 1 emits the previous row as each new one arrives: file order (no draw matters).
    assert.deepEqual(pass(100, 1, 3, 4), Array.from({ length: 100 }, (_, i) => i));
    // With N = 128, the rows that come out first are not only the first rows read: a row read
    // before the buffer filled can wait far past row N (geometric delay, mean N).
    const order = pass(5000, 128, 3, 4);
    const displaced = order.filter((r, pos) => Math.abs(r - pos) > 128).length;
    assert.ok(displaced > 100, `${displaced} rows moved more than N places`);
  });

  it("same (seed, pass): same order; another pass or seed: another order", () => {
    const a = pass(300, 100, 5, 2);
    assert.deepEqual(pass(300, 100, 5, 2), a);
    assert.deepEqual(pass(300, 100, 5, 2, 1), a, "the output block size does not change the order");
    assert.notDeepEqual(pass(300, 100, 5, 3), a, "pass 3 differs from pass 2");
    assert.notDeepEqual(pass(300, 100, 6, 2), a, "seed 6 differs from seed 5");
    // One buffer reused for several passes gives each pass its own order, as fresh buffers do.
    const buf = new ShuffleBuffer(D, Q, 100);
    assert.deepEqual(pass(300, 100, 5, 2, 7, buf), a);
    assert.deepEqual(pass(300, 100, 5, 3, 7, buf), pass(300, 100, 5, 3));
  });

  it("rows ≤ N: the permutation is uniform (position frequencies of a 5-row file)", () => {
    // 5 rows, 6,000 passes: count how often row r lands at position p. Under uniformity each
    // count is Binomial(6000, 1/5): mean 1200, sd √(6000·0.2·0.8) ≈ 31; 5 sd (±155) would be
    // exceeded by chance with probability < 1e-5 over the 25 cells. File order every pass would
    // put 6000 on the diagonal.
    const counts = new Array<number>(25).fill(0);
    for (let p = 1; p <= 6000; p++) {
      const order = pass(5, 5, 9, p);
      order.forEach((r, pos) => counts[r * 5 + pos]++);
    }
    for (const c of counts) assert.ok(Math.abs(c - 1200) < 155, `count ${c} vs 1200: ${counts.join(" ")}`);
  });

  it("draws only from the seeded generator (Math.random is never called)", () => {
    const original = Math.random;
    Math.random = () => {
      throw new Error("Math.random called");
    };
    try {
      assert.ok(isPermutation(pass(500, 64, 1, 2), 500));
    } finally {
      Math.random = original;
    }
  });

  it("allocates nothing per row once grown to its capacity", async () => {
    // The method of test/optim/no-alloc.test.ts: after a warm-up and a full GC, 1e5 pushes (each
    // emitting a row once the buffer is full) must run without a GC and grow the heap by < 64 KiB.
    // One heap number per row would be 1.6 MB. Best of 3 attempts (a one-off JIT tier-up).
    const gc = getGc();
    const buf = new ShuffleBuffer(D, Q, 2048);
    pass(3000, 2048, 1, 2, 16, buf); // grows 1024 → 2048 rows
    const out = new RowBlock(D, Q, 16);
    const x = new Float64Array(D);
    const y = new Float64Array(Q);
    const drive = (rows: number): void => {
      for (let r = 0; r < rows; r++) {
        x[0] = r;
        buf.push(x, 0, y, 0, r, out);
        if (out.full) out.n = 0;
      }
    };
    buf.start(passRng(1, 3));
    gc();
    for (let k = 0; k < 60; k++) drive(1000);
    const gcStarts: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) gcStarts.push(entry.startTime);
    });
    observer.observe({ entryTypes: ["gc"] });
    const attempts: { heapGrowth: number; gcs: number }[] = [];
    try {
      for (let a = 0; a < 3; a++) {
        gc();
        const t0 = performance.now();
        const before = process.memoryUsage().heapUsed;
        for (let k = 0; k < 100; k++) drive(1000);
        const after = process.memoryUsage().heapUsed;
        const t1 = performance.now();
        await new Promise((resolve) => setTimeout(resolve, 20)); // GC entries arrive asynchronously
        const m = { heapGrowth: after - before, gcs: gcStarts.filter((t) => t >= t0 && t <= t1).length };
        attempts.push(m);
        if (m.gcs === 0 && m.heapGrowth < 64 * 1024) break;
      }
    } finally {
      observer.disconnect();
    }
    const last = attempts[attempts.length - 1];
    assert.ok(last.gcs === 0 && last.heapGrowth < 64 * 1024, `allocates: ${JSON.stringify(attempts)}`);
    assert.equal(buf.size, 2048);
  });

  it("refuses a bad capacity, a missing start and a full output block", () => {
    assert.throws(() => new ShuffleBuffer(D, Q, 0), RangeError);
    assert.throws(() => new ShuffleBuffer(D, Q, 1.5), RangeError);
    assert.throws(() => new RowBlock(D, Q, 0), RangeError);
    const b = new ShuffleBuffer(D, Q, 1);
    const out = new RowBlock(D, Q, 1);
    const x = new Float64Array(D);
    const y = new Float64Array(Q);
    assert.throws(() => b.push(x, 0, y, 0, 2, out), /start/);
    b.start(passRng(1, 2));
    b.push(x, 0, y, 0, 2, out);
    b.push(x, 0, y, 0, 3, out);
    assert.throws(() => b.push(x, 0, y, 0, 4, out), /full/);
  });

  it("the default capacity: the rows that fit in 64 MiB of doubles", () => {
    assert.equal(SHUFFLE_BUFFER_BYTES, 64 * 2 ** 20);
    assert.equal(defaultShuffleRows(60, 1), Math.floor(SHUFFLE_BUFFER_BYTES / (8 * 62)));
    assert.equal(defaultShuffleRows(60, 1), 135300);
    assert.equal(defaultShuffleRows(8, 1), 838860);
    assert.ok(defaultShuffleRows(1e9, 1) >= 1);
  });
});
