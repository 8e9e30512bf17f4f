/** Smoke test of the benchmark runner on a reduced S1 scenario: CSV, summary, tuning, plots. */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { emSpec, gradientSpec, ismmSpec } from "../../bench/methods.js";
import { parseCurveNdjson } from "../../src/index.js";
import { logCheckpoints } from "../../bench/engine.js";
import { parseArgs, resummarize, runBenchmark } from "../../bench/run.js";
import { allScenarios, filterScenarios } from "../../bench/scenarios/index.js";
import { S1_SPEC, syntheticScenario } from "../../bench/scenarios/synthetic.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "ismm-bench-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("bench runner", () => {
  it("parses its arguments", () => {
    assert.deepEqual(parseArgs(["--quick", "--out", "x", "--scenarios", "S1"]), { profile: "quick", out: "x", scenarios: "S1", plots: true });
    assert.equal(parseArgs(["--help"]), "help");
    assert.equal((parseArgs(["--summarize", "d"]) as { summarize?: string }).summarize, "d");
    assert.throws(() => parseArgs(["--bogus"]), /unknown argument/);
    assert.throws(() => parseArgs(["--out"]), /needs a value/);
  });

  it("log-spaced checkpoints include both ends and increase strictly", () => {
    const c = logCheckpoints(100, 20000, 16);
    assert.equal(c[0], 100);
    assert.equal(c[c.length - 1], 20000);
    for (let i = 1; i < c.length; i++) assert.ok(c[i] > c[i - 1]);
    assert.deepEqual(logCheckpoints(5, 5, 3), [5]);
  });

  it("filters scenarios by name prefix and rejects unknown names", () => {
    const all = allScenarios("quick");
    assert.deepEqual(filterScenarios(all, "S1").map((s) => s.name), ["S1-perturbed", "S1-default"]);
    assert.throws(() => filterScenarios(all, "nope"), /matches no scenario/);
  });

  it("runs a tiny scenario end to end and writes CSV, summary, tuning and plots", async () => {
    const scenario = syntheticScenario({
      name: "tiny-S1", description: "S1, 600 rows", spec: S1_SPEC, nTrain: 600, nTest: 300, nValidation: 300,
      seeds: [1, 2], perturbed: true, initRows: 100, checkpoints: 4, profile: "quick", fitted1d: true,
      methods: [ismmSpec([0.6, 0.75], [0.25]), gradientSpec("sgd", [1e-3, 1e-2]), gradientSpec("adam", [1e-3, 1e-2]), emSpec()],
    });
    const logs: string[] = [];
    const res = await runBenchmark({ profile: "quick", outDir: dir, scenarios: [scenario], plots: true, command: "test", log: (m) => logs.push(m) });
    const rows = parseCurveNdjson(readFileSync(path.join(dir, "results.ndjson"), "utf8"));
    assert.ok(existsSync(path.join(dir, "results.csv")));
    assert.equal(rows.length, res.rows.length);
    // 2 reps × (2 ismm configs + sgd + adam) × 4 checkpoints + 2 reps × 1 EM point
    assert.equal(rows.length, 2 * 4 * 4 + 2);
    for (const r of rows) {
      assert.equal(r.scenario, "tiny-S1");
      assert.ok(r.test_nll !== null && Number.isFinite(r.test_nll));
      assert.ok(r.excess_nll !== null && r.param_error !== null && r.test_mse !== null);
      assert.ok(r.seconds >= 0);
    }
    // same checkpoints for every streaming run; EM once at n
    const ismm = rows.filter((r) => r.method === "ismm" && r.rep === 1 && r.config === "alpha=0.6 g0=0.25").map((r) => r.samples);
    assert.deepEqual(ismm, logCheckpoints(100, 600, 4));
    assert.deepEqual(rows.filter((r) => r.method === "em").map((r) => r.samples), [600, 600]);
    // only the tuned learning rate is run on the repetitions
    assert.equal(new Set(rows.filter((r) => r.method === "sgd").map((r) => r.config)).size, 1);
    // every method starts from the same (perturbed) parameters: identical NLL at the first checkpoint
    const first = rows.filter((r) => r.rep === 1 && r.samples === 100);
    assert.equal(first.length, 4);
    for (const r of first) assert.ok(Math.abs((r.test_nll as number) - (first[0].test_nll as number)) < 1e-9);
    // excess NLL = test NLL − truth NLL, the same reference within a rep
    const refs = rows.filter((r) => r.rep === 1).map((r) => (r.test_nll as number) - (r.excess_nll as number));
    for (const v of refs) assert.ok(Math.abs(v - refs[0]) < 1e-12);

    const summary = readFileSync(path.join(dir, "summary.md"), "utf8");
    assert.match(summary, /## tiny-S1/);
    assert.match(summary, /Machine: .*cores/);
    assert.match(summary, /Command: `test`/);
    // The verdict on excess NLL is the one the CSV implies: recompute every streaming method's mean
    // final excess NLL (ISMM at the configuration the summary names) and compare.
    const verdict = /\*\*ISMM (wins|loses)\*\* on final excess test NLL: ismm \(([^)]*)\) (?:has the lowest mean \(([^)]+)\)|ranks \d+ of \d+ \(mean ([^)]+)\))/.exec(summary);
    assert.ok(verdict, "summary has the ISMM verdict on final excess test NLL");
    const finalMean = (method: string, config: string): number => {
      const last = new Map<number, (typeof rows)[number]>();
      for (const r of rows.filter((x) => x.method === method && x.config === config)) {
        const cur = last.get(r.rep);
        if (cur === undefined || r.samples > cur.samples) last.set(r.rep, r);
      }
      assert.equal(last.size, 2, `${method} (${config}): a final row for each of the 2 reps`);
      return [...last.values()].reduce((a, r) => a + (r.excess_nll as number), 0) / last.size;
    };
    const ismmMean = finalMean("ismm", verdict[2]);
    const otherMeans = ["sgd", "adam"].map((m) => finalMean(m, rows.find((r) => r.method === m)!.config));
    assert.equal(verdict[1], ismmMean < Math.min(...otherMeans) ? "wins" : "loses", `ISMM ${ismmMean}, others ${otherMeans}`);
    // The summary prints 3 significant digits.
    const shown = Number(verdict[3] ?? verdict[4]);
    assert.ok(Math.abs(shown - ismmMean) <= 5e-3 * Math.abs(ismmMean), `summary shows ${shown}, CSV gives ${ismmMean}`);
    const tuning = readFileSync(path.join(dir, "tuning.csv"), "utf8").trim().split("\n");
    assert.equal(tuning.length, 1 + 2 + 2 + 2);
    for (const f of ["tiny-S1-nll-vs-samples.png", "tiny-S1-param-error-vs-samples.svg", "S1-fitted-1d.png"]) {
      assert.ok(existsSync(path.join(dir, "plots", f)), f);
    }
    assert.ok(logs.some((l) => l.includes("tune tiny-S1 sgd")));
    // the summary can be regenerated from the output files alone, identically
    resummarize(dir);
    assert.equal(readFileSync(path.join(dir, "summary.md"), "utf8"), summary);
  });
});
