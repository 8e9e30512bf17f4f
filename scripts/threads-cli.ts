/**
 * The two checks of issue 12 through the built CLI (bin/ismm.js, as a user runs it):
 *
 *   npm run build && npx tsx scripts/threads-cli.ts [--rounds 5] [--only 1,2,3,4]
 *
 * 1. Accuracy and thread invariance: `ismm simulate` a K = 4, d = 10 stream (100k training rows and
 *    20k held-out rows, seed 21), `ismm fit --batch-size 64` with `--threads 1` and `--threads 2`;
 *    prints whether the two model files are byte-identical and the held-out excess NLL over the true
 *    parameters (the truth's NLL computed by the library from `--params-out`).
 * 2. Speed: a K = 3, d = 100 file of 40k rows (seed 22), `ismm fit --batch-size 64` with a cheap
 *    initialization (`--init-starts 1 --init-iters 5 --refine-iters 5`) on 1 and on 2 threads, in
 *    interleaved rounds; prints the median wall seconds and their ratio. Then the same with the
 *    default batch size of `--threads` (256).
 * 3. The initialization's EM runs on threads: the first 1,000 rows of that file, fitted whole with
 *    `--experts 2` (a small file: 10 restarts of batch EM to convergence), on 1 and 2 threads, once
 *    (`--small-rounds N` for more): wall seconds, their ratio, and whether the model files are identical.
 * 4. Batch EM's iterations on threads: `ismm fit --method em` on the first 10,000 rows of that file,
 *    K = 3, with the cheap initialization and `--em-max-iter 3` (each iteration: an E-step, the expert
 *    statistic and up to 25 Newton steps of the gate over all rows), on 1 and 2 threads, once
 *    (`--em-rounds N` for more): wall seconds, their ratio, and whether the model files are identical.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parametersNll, readAll, type MoeParameters } from "../src/index.js";

const bin = fileURLToPath(new URL("../bin/ismm.js", import.meta.url));
const args = process.argv.slice(2);
const at = args.indexOf("--rounds");
const rounds = at >= 0 ? Number(args[at + 1]) : 5;
const atSmall = args.indexOf("--small-rounds");
const smallRounds = atSmall >= 0 ? Number(args[atSmall + 1]) : 1;
const atEm = args.indexOf("--em-rounds");
const emRounds = atEm >= 0 ? Number(args[atEm + 1]) : 1;
const atOnly = args.indexOf("--only");
const only = new Set((atOnly >= 0 ? args[atOnly + 1] : "1,2,3,4").split(",").map(Number));

function run(argv: string[]): { s: number; out: string } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, ...argv], { encoding: "utf8", maxBuffer: 1 << 26 });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`ismm ${argv.join(" ")} failed: ${r.stderr}`);
  return { s, out: r.stdout };
}
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

/**
 * `ismm fit …args --threads T --out <name>T.json` for T = 1 and 2, in `n` interleaved rounds: the
 * median wall seconds per thread count and whether the last two model files are byte-identical.
 */
function fitTimes(args: string[], name: string, n: number): { t1: number; t2: number; same: boolean } {
  const times: Record<string, number[]> = { "1": [], "2": [] };
  const files: Record<string, string> = {};
  for (let r = 0; r < n; r++) {
    for (const T of ["1", "2"]) {
      const out = `${name}${T}.json`;
      times[T].push(run(["fit", ...args, "--threads", T, "--out", out, "--quiet"]).s);
      files[T] = readFileSync(out, "utf8");
    }
  }
  return { t1: median(times["1"]), t2: median(times["2"]), same: files["1"] === files["2"] };
}
const secs = (v: number): string => `${v.toFixed(2)} s`;

const dir = mkdtempSync(join(tmpdir(), "ismm-threads-cli-"));
try {
  if (only.has(1)) {
    // 1. K = 4, d = 10, 100k rows, --batch-size 64, threads 1 and 2.
    const all = join(dir, "d10.csv");
    const params = join(dir, "d10.json");
    run(["simulate", "--rows", "120000", "--experts", "4", "--features", "10", "--seed", "21", "--out", all, "--params-out", params, "--quiet"]);
    const train = join(dir, "train.csv");
    const test = join(dir, "test.csv");
    spawnSync("sh", ["-c", `head -n 100001 '${all}' > '${train}' && (head -n 1 '${all}'; tail -n 20000 '${all}') > '${test}'`]);
    const files: string[] = [];
    for (const T of ["1", "2"]) {
      const out = join(dir, `m${T}.json`);
      run(["fit", train, "--target", "y", "--experts", "4", "--batch-size", "64", "--threads", T, "--out", out, "--quiet"]);
      files.push(readFileSync(out, "utf8"));
    }
    const ev = JSON.parse(run(["evaluate", "--model", join(dir, "m2.json"), test, "--json", "--quiet"]).out) as { nll: number };
    const spec = JSON.parse(readFileSync(params, "utf8")) as { params: MoeParameters; features: string[]; targets: string[] };
    const data = await readAll({ source: test, targets: spec.targets, features: spec.features });
    const truth = parametersNll(spec.params, data.X, data.Y, data.n);
    console.log(`K = 4, d = 10, 100k rows, --batch-size 64: --threads 1 and 2 model files ${files[0] === files[1] ? "byte-identical" : "DIFFER"}; held-out excess NLL ${(ev.nll - truth).toFixed(4)}`);

  }
  // The d = 100 file of checks 2–4, and their cheap initialization.
  const wide = join(dir, "d100.csv");
  run(["simulate", "--rows", "40000", "--experts", "3", "--features", "100", "--seed", "22", "--out", wide, "--quiet"]);
  const cheap = ["--init-starts", "1", "--init-iters", "5", "--refine-iters", "5"];
  if (only.has(2)) {
    // 2. K = 3, d = 100, 40k rows, cheap initialization, 1 against 2 threads.
    const a = fitTimes([wide, "--target", "y", "--experts", "3", "--batch-size", "64", ...cheap], join(dir, "w"), rounds);
    console.log(`K = 3, d = 100, 40k rows, --batch-size 64, cheap initialization: 1 thread ${secs(a.t1)}, 2 threads ${secs(a.t2)}, ratio ${(a.t2 / a.t1).toFixed(2)} (median of ${rounds} interleaved rounds, wall)`);
    const b = fitTimes([wide, "--target", "y", "--experts", "3", ...cheap], join(dir, "b"), rounds);
    console.log(`  the same with --threads alone (batches of 256 rows): 1 thread ${secs(b.t1)}, 2 threads ${secs(b.t2)}, ratio ${(b.t2 / b.t1).toFixed(2)}`);
  }
  const roundsNote = (n: number): string => `${n} round${n === 1 ? "" : "s"}, wall`;
  if (only.has(3)) {
    // 3. A small wide file fitted whole: the initialization's EM restarts on threads.
    const small = join(dir, "small.csv");
    spawnSync("sh", ["-c", `head -n 1001 '${wide}' > '${small}'`]);
    const c = fitTimes([small, "--target", "y", "--experts", "2", "--batch-size", "1"], join(dir, "s"), smallRounds);
    console.log(`1,000 rows of it fitted whole, K = 2 (10 EM restarts to convergence): 1 thread ${secs(c.t1)}, 2 threads ${secs(c.t2)}, ratio ${(c.t2 / c.t1).toFixed(2)}; model files ${c.same ? "byte-identical" : "DIFFER"} (${roundsNote(smallRounds)})`);
  }
  if (only.has(4)) {
    // 4. --method em: the EM iterations' row sums on threads.
    const mid = join(dir, "mid.csv");
    spawnSync("sh", ["-c", `head -n 10001 '${wide}' > '${mid}'`]);
    const e = fitTimes([mid, "--target", "y", "--experts", "3", "--method", "em", "--em-max-iter", "3", ...cheap], join(dir, "e"), emRounds);
    console.log(`10,000 rows of it, --method em (3 EM iterations), K = 3: 1 thread ${secs(e.t1)}, 2 threads ${secs(e.t2)}, ratio ${(e.t2 / e.t1).toFixed(2)}; model files ${e.same ? "byte-identical" : "DIFFER"} (${roundsNote(emRounds)})`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
