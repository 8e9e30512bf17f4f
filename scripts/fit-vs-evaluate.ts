/**
 * `ismm fit` (default options) against `ismm evaluate` on the same 20,000-row, d = 100 file:
 *
 *   npm run build && npx tsx scripts/fit-vs-evaluate.ts [--rounds 3] [--experts K ...]
 *
 * Writes the file with `ismm simulate --rows 20000 --features 100 --experts 3 --seed 13` into a
 * temporary directory, then times, in interleaved rounds, the built CLI (bin/ismm.js, as a user runs
 * it): `ismm fit FILE --target y [--experts K] --out M.json` and `ismm evaluate --model M.json FILE`,
 * and prints the median wall seconds of each and their ratio. Without --experts it runs the
 * defaults (K = 2) and K = 3 (the true K of the file).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../bin/ismm.js", import.meta.url));
const args = process.argv.slice(2);
const flag = (name: string): string[] => args.flatMap((a, i) => (a === name && i + 1 < args.length ? [args[i + 1]] : []));
const rounds = Number(flag("--rounds")[0] ?? 3);
const experts: (string | null)[] = flag("--experts").length ? flag("--experts") : [null, "3"];

function run(argv: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, ...argv], { encoding: "utf8" });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`ismm ${argv.join(" ")} failed: ${r.stderr}`);
  return s;
}
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

const dir = mkdtempSync(join(tmpdir(), "ismm-fit-vs-evaluate-"));
try {
  const file = join(dir, "d100.csv");
  run(["simulate", "--rows", "20000", "--features", "100", "--experts", "3", "--seed", "13", "--out", file, "--quiet"]);
  for (const K of experts) {
    const model = join(dir, `m${K ?? "default"}.json`);
    const fitArgs = ["fit", file, "--target", "y", ...(K === null ? [] : ["--experts", K]), "--out", model, "--quiet", "--no-progress"];
    const fit: number[] = [];
    const evaluate: number[] = [];
    for (let r = 0; r < rounds; r++) {
      fit.push(run(fitArgs));
      evaluate.push(run(["evaluate", "--model", model, file, "--quiet"]));
    }
    const f = median(fit);
    const e = median(evaluate);
    console.log(`K = ${K ?? "2 (default)"}: ismm fit ${f.toFixed(2)} s, ismm evaluate ${e.toFixed(2)} s, fit ÷ evaluate ${(f / e).toFixed(2)} (median of ${rounds}, wall)`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
