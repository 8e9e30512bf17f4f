/**
 * Quick throughput check of the streaming table reader (not part of the tests).
 *
 *     node --import tsx scripts/bench-parse.ts [rows] [cols]
 *
 * Writes temporary CSV files of `rows` × `cols` (default 200000 × 100: cols−1 features and one
 * target) in two number styles, then times `openTable` iteration over each, best of 3 runs after
 * one warm-up run:
 *   - short: `toFixed(4)` values such as `-12.3457` (all on the exact fast path);
 *   - full:  shortest round-trip doubles such as `0.8472061965079643` (17 digits, `Number()` path).
 * Prints rows/s, MB/s and the heap in use after the run. The files are deleted at the end.
 */

import { createWriteStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { createRng, openTable } from "../src/index.js";

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
} finally {
  await rm(dir, { recursive: true, force: true });
}
