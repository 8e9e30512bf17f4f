/**
 * Which default criterion should `ismm select` use? Runs `ismm select --json` on seeded synthetic
 * streams with known K and counts how often AIC, BIC, ICL and the held-out NLL pick the true K.
 *
 *   npx tsx scripts/select-criterion.ts [--rows 4000] [--seeds 4] [--truth 2,3,4] [--d 2]
 *
 * Data: `randomMoeSpec(K, d, 1)` (the generator of `ismm simulate`), rows x ~ N(0, I).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createRng, randomMoeSpec, syntheticStream } from "../src/index.js";

const { values } = parseArgs({
  options: { rows: { type: "string", default: "4000" }, seeds: { type: "string", default: "4" }, truth: { type: "string", default: "2,3,4" }, d: { type: "string", default: "2" } },
});
const rows = Number(values.rows);
const seeds = Number(values.seeds);
const truths = values.truth.split(",").map(Number);
const d = Number(values.d);
const MAIN = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const CRITERIA = ["aic", "bic", "icl", "holdout"] as const;

function csv(K: number, seed: number): string {
  const root = createRng(seed);
  const s = syntheticStream(randomMoeSpec(K, d, 1, root.fork(1)), root.fork(2));
  const x = new Float64Array(d);
  const y = new Float64Array(1);
  const lines = [[...Array.from({ length: d }, (_, a) => `x${a + 1}`), "y"].join(",")];
  for (let i = 0; i < rows; i++) {
    s.next(x, y);
    lines.push([...x, ...y].join(","));
  }
  return lines.join("\n") + "\n";
}

interface Row { K: number; aic: number; bic: number; icl: number; holdoutNll: number | null }
const dir = mkdtempSync(join(tmpdir(), "ismm-select-"));
const hits: Record<string, number> = Object.fromEntries(CRITERIA.map((c) => [c, 0]));
let runs = 0;
try {
  console.log(`rows ${rows}, d ${d}, K = 1..6 compared, true K in {${truths.join(", ")}}, seeds 1..${seeds}`);
  console.log("trueK seed  aic bic icl holdout");
  for (const K of truths) {
    for (let seed = 1; seed <= seeds; seed++) {
      const path = join(dir, `k${K}s${seed}.csv`);
      writeFileSync(path, csv(K, 1000 * K + seed));
      const r = spawnSync(process.execPath, ["--import", "tsx", MAIN, "select", path, "-t", "y", "--experts", "1-6", "--json", "--seed", String(seed)], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(r.stderr);
      const table = (JSON.parse(r.stdout) as { table: Row[] }).table;
      const pick = (f: (t: Row) => number): number => table.reduce((b, t) => (f(t) < f(b) ? t : b)).K;
      const picks = { aic: pick((t) => t.aic), bic: pick((t) => t.bic), icl: pick((t) => t.icl), holdout: pick((t) => t.holdoutNll ?? Infinity) };
      for (const c of CRITERIA) if (picks[c] === K) hits[c]++;
      runs++;
      console.log(`${String(K).padStart(5)} ${String(seed).padStart(4)}  ${CRITERIA.map((c) => String(picks[c]).padStart(c === "holdout" ? 7 : 3)).join(" ")}`);
    }
  }
  console.log(`true K picked (of ${runs}): ${CRITERIA.map((c) => `${c} ${hits[c]}`).join(", ")}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
