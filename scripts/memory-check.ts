/**
 * Constant-memory check of `ismm fit` on stdin: pipes 1e5 and then 1e6 synthetic rows, generated
 * on the fly (never stored), into `ismm fit - …` and compares the child's peak resident set size.
 *
 * Peak RSS is read twice: VmHWM from /proc/<pid>/status (polled; Linux only) and the CLI's own
 * `process.resourceUsage().maxRSS`, which `--verbose` prints as "peak RSS … MiB". A streaming fit
 * must not use more memory for 10× the rows: the script fails (exit 1) when the ratio exceeds
 * RATIO_LIMIT.
 *
 *   node --import tsx scripts/memory-check.ts [--rows 100000,1000000] [--method ismm] [--features 4]
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRng, randomMoeSpec, syntheticStream } from "../src/index.js";

/** Allowed peak-RSS growth from 1e5 to 1e6 rows (GC timing noise, not growth with n). */
const RATIO_LIMIT = 1.25;
const ROOT = fileURLToPath(new URL("..", import.meta.url));

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

function vmHwmKiB(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

interface Measure {
  rows: number;
  seconds: number;
  vmHwmMiB: number;
  maxRssMiB: number;
}

async function measure(rows: number, d: number, method: string, dir: string): Promise<Measure> {
  const out = join(dir, `m-${rows}.json`);
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "src/cli/main.ts", "fit", "-", "--target", "y", "--out", out, "--method", method, "--verbose", "--no-progress"],
    { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] },
  );
  const pid = child.pid as number;
  let hwm = 0;
  const poll = setInterval(() => {
    hwm = Math.max(hwm, vmHwmKiB(pid));
  }, 20);
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  child.stdout.resume();
  const exited = new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? -1)));
  const t0 = performance.now();

  // Generate and write rows with backpressure; nothing is kept.
  const root = createRng(7);
  const spec = randomMoeSpec(2, d, 1, root.fork(1));
  const stream = syntheticStream(spec, root.fork(2));
  const x = new Float64Array(d);
  const y = new Float64Array(1);
  const header = [...Array.from({ length: d }, (_, a) => `x${a + 1}`), "y"].join(",") + "\n";
  const write = (s: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const ok = child.stdin.write(s, (err) => (err ? reject(err) : undefined));
      if (ok) resolve();
      else child.stdin.once("drain", () => resolve());
    });
  await write(header);
  const CHUNK = 4096;
  for (let done = 0; done < rows; done += CHUNK) {
    const m = Math.min(CHUNK, rows - done);
    let s = "";
    for (let i = 0; i < m; i++) {
      stream.next(x, y);
      s += `${x.join(",")},${y[0]}\n`;
    }
    await write(s);
  }
  child.stdin.end();
  const code = await exited;
  clearInterval(poll);
  hwm = Math.max(hwm, vmHwmKiB(pid));
  if (code !== 0) throw new Error(`ismm fit exited with ${code}: ${stderr}`);
  const m = /peak RSS ([\d.]+) MiB/.exec(stderr);
  return { rows, seconds: (performance.now() - t0) / 1000, vmHwmMiB: hwm / 1024, maxRssMiB: m ? Number(m[1]) : NaN };
}

async function mainScript(): Promise<void> {
  const rowsList = arg("rows", "100000,1000000").split(",").map(Number);
  const d = Number(arg("features", "4"));
  const method = arg("method", "ismm");
  const dir = mkdtempSync(join(tmpdir(), "ismm-mem-"));
  try {
    const results: Measure[] = [];
    for (const rows of rowsList) {
      const r = await measure(rows, d, method, dir);
      results.push(r);
      console.log(
        `rows ${rows.toLocaleString("en-US").padStart(10)}: peak RSS ${r.maxRssMiB.toFixed(1)} MiB (maxRSS), ${r.vmHwmMiB.toFixed(1)} MiB (VmHWM polled); ${r.seconds.toFixed(1)} s`,
      );
    }
    if (results.length >= 2) {
      const a = results[0];
      const b = results[results.length - 1];
      const ratio = b.maxRssMiB / a.maxRssMiB;
      console.log(`ratio ${b.rows.toLocaleString("en-US")} / ${a.rows.toLocaleString("en-US")} rows: ${ratio.toFixed(3)} (limit ${RATIO_LIMIT})`);
      if (!(ratio <= RATIO_LIMIT)) {
        console.error(`memory grows with the number of rows: ratio ${ratio.toFixed(3)} > ${RATIO_LIMIT}`);
        process.exitCode = 1;
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await mainScript();
