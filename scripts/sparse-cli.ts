/**
 * Issue 14's sparse check as a CLI user runs it (the built bin/ismm.js): per seed, writes the
 * training (3000 rows), validation (3000) and test (20000) files of scripts/sparse-spec.ts, then
 *
 *   ismm select train.csv -t y --experts 3 --epochs 20 --l1 0.001,0.003,0.01,0.03,0.1 --validation valid.csv -o best.json
 *   ismm fit train.csv -t y --experts 3 --epochs 20 -o plain.json          (the unpenalized fit)
 *   ismm evaluate --model best.json|plain.json test.csv
 *
 * and prints the chosen λ1, both held-out excess NLLs over the true parameters, their ratio (target
 * ≤ 0.6) and the share of truly-zero slopes that are exactly 0 in the chosen model (target ≥ 80 %).
 *
 *   npm run build && npx tsx scripts/sparse-cli.ts [--seeds 5] [--d 60] [--order shuffle|sequential]
 *
 * (--order is passed to the unpenalized `fit`; `select` always uses its default, shuffled passes.)
 *
 * Order of the passes: `fit` and `select` read the first pass in file order (the model initializes on
 * the first 1000 rows) and shuffle the 19 later ones (`--order shuffle`, the default; the 3000 rows fit
 * in the shuffle buffer, so each pass is a uniformly random permutation). The library's
 * `fit(X, Y, n, {epochs})` (scripts/sparse-study.ts) shuffles every pass, the first included, so it
 * initializes on 1000 random rows: the two start from different initial fits, and the unpenalized
 * excess here need not equal the study's. Measured (5 seeds, excess NLL of the unpenalized fit):
 *   this script --order sequential (file order, as before --order)  0.0742 0.0934 0.0659 0.0693 0.0715
 *   this script (shuffled passes)                                    0.0741 0.4278 0.0654 0.0707 0.0714
 *   scripts/sparse-study.ts (library fit)                            0.0734 0.0611 0.0642 0.0702 0.0707
 * Seed 2's fit with --seed 2 starts from a poor initialization (excess 0.49 after the first pass): the
 * file-order passes drifted out of it to 0.093, the shuffled ones stay near 0.43. With --seed 1, 3–7
 * on the same seed-2 files (`ismm fit train.csv -t y --experts 3 --epochs 20 --seed S --order O`) both
 * orders reach 0.061–0.063, the shuffled passes lower by 0.0005–0.0012 each time.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { createRng, MoeRegressor, parametersNll, sampleSynthetic } from "../src/index.js";
import { K, sparseSpec, zeroShare } from "./sparse-spec.js";

const { values } = parseArgs({ options: { seeds: { type: "string", default: "5" }, d: { type: "string", default: "60" }, order: { type: "string", default: "shuffle" } } });
const seeds = Number(values.seeds);
const d = Number(values.d);
const bin = fileURLToPath(new URL("../bin/ismm.js", import.meta.url));
const GRID = "0.001,0.003,0.01,0.03,0.1";

function ismm(args: string[]): string {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`ismm ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

const dir = mkdtempSync(join(tmpdir(), "ismm-sparse-cli-"));
try {
  console.log(`sparse-cli: d = ${d}, K = ${K}, 3000 training rows × 20 epochs, λ1 ∈ {${GRID}} chosen by 'select --validation', 20000 test rows`);
  console.log("seed  λ1*    excess(λ1*)  excess(unpenalized)  ratio   zeros");
  const names = [...Array.from({ length: d }, (_, a) => `x${a + 1}`), "y"].join(",");
  const ratios: number[] = [];
  const shares: number[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const spec = sparseSpec(seed, d);
    const root = createRng(1000 + seed);
    const files: Record<string, string> = {};
    let truth = NaN;
    for (const [name, n, fork] of [["train", 3000, 1], ["valid", 3000, 2], ["test", 20000, 3]] as const) {
      const D = sampleSynthetic(spec, n, root.fork(fork));
      const lines = [names];
      for (let i = 0; i < n; i++) lines.push([...D.X.subarray(i * d, (i + 1) * d), D.Y[i]].join(","));
      files[name] = join(dir, `${name}.csv`);
      writeFileSync(files[name], lines.join("\n") + "\n");
      if (name === "test") truth = parametersNll(spec.params, D.X, D.Y, D.n);
    }
    const best = join(dir, "best.json");
    const plain = join(dir, "plain.json");
    const sel = JSON.parse(ismm(["select", files.train, "-t", "y", "--experts", "3", "--epochs", "20", "--seed", String(seed), "--l1", GRID, "--validation", files.valid, "--json", "-o", best, "--quiet"])) as { bestL1: number };
    ismm(["fit", files.train, "-t", "y", "--experts", "3", "--epochs", "20", "--seed", String(seed), "--order", String(values.order), "-o", plain, "--quiet"]);
    const nll = (model: string): number => (JSON.parse(ismm(["evaluate", "--model", model, files.test, "--json", "--quiet"])) as { nll: number }).nll;
    const excess = nll(best) - truth;
    const excess0 = nll(plain) - truth;
    const z = zeroShare(MoeRegressor.fromJSON(JSON.parse(readFileSync(best, "utf8"))).parameters(), spec.params, d);
    ratios.push(excess / excess0);
    shares.push(z.share);
    console.log(`${String(seed).padStart(4)}  ${String(sel.bestL1).padEnd(5)}  ${excess.toFixed(4).padStart(11)}  ${excess0.toFixed(4).padStart(19)}  ${(excess / excess0).toFixed(3).padStart(5)}  ${(100 * z.share).toFixed(1).padStart(5)}%`);
  }
  const mean = (v: number[]): number => v.reduce((a, c) => a + c, 0) / v.length;
  console.log(`mean ratio ${mean(ratios).toFixed(3)} (worst ${Math.max(...ratios).toFixed(3)}; target ≤ 0.6), mean zero share ${(100 * mean(shares)).toFixed(1)}% (worst ${(100 * Math.min(...shares)).toFixed(1)}%; target ≥ 80%)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
