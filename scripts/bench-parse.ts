/**
 * Quick throughput check of the streaming table reader (not part of the tests).
 *
 *     node --import tsx scripts/bench-parse.ts [rows] [cols]
 *
 * Writes temporary CSV files of `rows` × `cols` (default 200000 × 100: cols−1 features and one
 * target) in two number styles, then times `openTable` iteration over each, best of 3 runs after
 * one warm-up run:
 *   - short: `toFixed(4)` values such as `-12.3457` (all on the exact fast path);
 *   - full:  shortest round-trip doubles such as `0.8472061965079643` (16–17 digits: the exact
 *            Eisel–Lemire path of src/stream/parse-number.ts; `Number()` before it).
 * Prints rows/s, MB/s and the heap in use after the run. The files are deleted at the end.
 * Then, for each style, the cost of the number conversion alone: `parseNumberStrict` and
 * `Number()` over 200,000 cells held in memory (ns per cell, best of 5; no file, less noise).
 */

import { createWriteStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { createRng, openTable, parseNumberStrict } from "../src/index.js";

const rows = Number(process.argv[2] ?? 200_000);
const cols = Number(process.argv[3] ?? 100);

async function writeCsv(path: string, format: (v: number) => string): Promise<void> {
  const rng = createRng(42);
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  const names = Array.from({ length: cols - 1 }, (_, j) => `x${j}`);
  out.write(`${names.join(",")},y\n`);
  const cells = new Array<string>(cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) cells[j] = format((rng.next() - 0.5) * 200);
    if (!out.write(cells.join(",") + "\n")) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

async function timeRead(path: string): Promise<{ seconds: number; checksum: number }> {
  const t0 = process.hrtime.bigint();
  const reader = await openTable({ source: path, targets: ["y"] });
  let checksum = 0;
  let n = 0;
  for await (const batch of reader.batches()) {
    checksum += batch.X[0] + batch.Y[batch.n - 1];
    n += batch.n;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (n !== rows) throw new Error(`read ${n} rows, expected ${rows}`);
  return { seconds, checksum };
}

/**
 * Best-of-5 ns per cell of `parseNumberStrict` (or of `Number()`) over `cells`; one loop per
 * function keeps each call site monomorphic. The checksum keeps the work observable.
 */
function timeCells(cells: string[], builtin: boolean): number {
  let best = Infinity;
  let checksum = 0;
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    if (builtin) for (let i = 0; i < cells.length; i++) checksum += Number(cells[i]);
    else for (let i = 0; i < cells.length; i++) checksum += parseNumberStrict(cells[i]);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / cells.length);
  }
  if (Number.isNaN(checksum)) throw new Error("a cell did not parse");
  return best;
}

const dir = await mkdtemp(join(tmpdir(), "ismm-bench-parse-"));
try {
  const styles: [string, (v: number) => string][] = [
    ["short", (v) => v.toFixed(4)],
    ["full", (v) => String(v)],
  ];
  console.log(`node ${process.version}, ${rows} rows x ${cols} columns`);
  for (const [name, format] of styles) {
    const path = join(dir, `${name}.csv`);
    await writeCsv(path, format);
    const bytes = (await stat(path)).size;
    await timeRead(path); // warm-up
    let best = Infinity;
    for (let r = 0; r < 3; r++) best = Math.min(best, (await timeRead(path)).seconds);
    const heapMiB = process.memoryUsage().heapUsed / 2 ** 20;
    console.log(
      `${name.padEnd(5)}  ${(bytes / 2 ** 20).toFixed(0).padStart(5)} MiB  ` +
        `${(rows / best).toFixed(0).padStart(9)} rows/s  ${(bytes / 2 ** 20 / best).toFixed(1).padStart(6)} MiB/s  ` +
        `${((rows * cols) / best / 1e6).toFixed(1)} M cells/s  heap ${heapMiB.toFixed(0)} MiB`,
    );
    await rm(path);
  }
  for (const [name, format] of styles) {
    const rng = createRng(42);
    const cells = Array.from({ length: 200_000 }, () => format((rng.next() - 0.5) * 200));
    const ours = timeCells(cells, false);
    const builtin = timeCells(cells, true);
    console.log(`${name.padEnd(5)}  conversion only: parseNumberStrict ${ours.toFixed(1)} ns/cell, Number() ${builtin.toFixed(1)} ns/cell`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
