/**
 * End-to-end fit → predict → evaluate on CSV, NDJSON and stdin, several targets, feature subsets,
 * every method, and the output/logging contract (quiet, progress, warnings).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createWriteStream, existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { assertOneLineError, assertTablesClose, collect, csvToNdjson, ismm, parseCsv, spawnIsmm, syntheticCsv, tempDir, writeText } from "./helpers.js";

const ROWS = 2000;
/** Small initialization buffer: keeps each fit well under a second. */
const FAST = ["--init-rows", "300"];

let dir = "";
let cleanup = (): void => undefined;
let csv = "";
let csvPath = "";
let ndjsonPath = "";
let model = "";

before(async () => {
  ({ dir, cleanup } = tempDir());
  csv = syntheticCsv(ROWS, 11);
  csvPath = writeText(join(dir, "train.csv"), csv);
  ndjsonPath = writeText(join(dir, "train.ndjson"), csvToNdjson(csv));
  model = join(dir, "model.json");
  const r = await ismm(["fit", csvPath, "--target", "y", "--out", model, "--seed", "3", ...FAST]);
  assert.equal(r.code, 0, r.stderr);
});
after(() => cleanup());

describe("ismm fit/predict/evaluate", { concurrency: 8 }, () => {
  describe("fit / predict / evaluate round trip", { concurrency: 4 }, () => {
    it("fit writes a versioned model with the column names and prints a summary", () => {
      const m = JSON.parse(readFileSync(model, "utf8")) as { format: string; version: number; meta: Record<string, unknown>; options: Record<string, unknown> };
      assert.equal(m.format, "ismm-model");
      assert.equal(m.version, 1);
      assert.deepEqual(m.meta.features, ["x1", "x2"]);
      assert.deepEqual(m.meta.targets, ["y"]);
      assert.equal(m.meta.format, "csv");
      assert.equal(m.options.seed, 3);
      assert.equal(m.options.initRows, 300);
      // No temporary files left beside the model.
      assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith(".tmp")), []);
    });

    it("predict writes mean, variance, gates and the MAP expert, one row per input row", async () => {
      const r = await ismm(["predict", "--model", model, csvPath]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, "");
      const t = parseCsv(r.stdout);
      assert.deepEqual(t.header, ["row", "y_mean", "y_var", "gate_1", "gate_2", "expert", "log_density"]);
      assert.equal(t.rows.length, ROWS);
      t.rows.forEach((r, i) => assert.equal(r[0], i + 1, "row is the 1-based data row"));
      for (const [, mean, v, g1, g2, e] of t.rows) {
        assert.ok(Number.isFinite(mean));
        assert.ok(v > 0);
        assert.ok(Math.abs(g1 + g2 - 1) < 1e-12, "gates sum to 1");
        assert.equal(e, g1 >= g2 ? 1 : 2);
      }
    });

    it("evaluate --json agrees with metrics recomputed from predict's output", async () => {
      const [ev, pr] = await Promise.all([ismm(["evaluate", "-m", model, csvPath, "--json"]), ismm(["predict", "-m", model, csvPath])]);
      assert.equal(ev.code, 0, ev.stderr);
      const lines = ev.stdout.trim().split("\n");
      assert.equal(lines.length, 1, "one JSON object");
      const j = JSON.parse(lines[0]) as { n: number; nll: number; mse: number; mae: number; r2: number; perTarget: { mse: number[]; r2: number[] } };
      assert.equal(j.n, ROWS);
      for (const k of ["nll", "mse", "mae", "r2"] as const) assert.equal(typeof j[k], "number", k);
      assert.ok(j.r2 > 0.5, `r2 ${j.r2}`);
      const ys = csv.trim().split("\n").slice(1).map((l) => Number(l.split(",")[2]));
      const means = parseCsv(pr.stdout).rows.map((r) => r[1]);
      let sse = 0;
      let sae = 0;
      for (let i = 0; i < ROWS; i++) {
        sse += (ys[i] - means[i]) ** 2;
        sae += Math.abs(ys[i] - means[i]);
      }
      const ybar = ys.reduce((s, v) => s + v, 0) / ROWS;
      const sst = ys.reduce((s, v) => s + (v - ybar) ** 2, 0);
      // Tolerance: running means vs. plain sums over 2000 rows differ by rounding only (~1e-13 relative).
      assert.ok(Math.abs(j.mse - sse / ROWS) <= 1e-10 * (sse / ROWS), `mse ${j.mse} vs ${sse / ROWS}`);
      assert.ok(Math.abs(j.mae - sae / ROWS) <= 1e-10 * (sae / ROWS));
      assert.ok(Math.abs(j.r2 - (1 - sse / sst)) <= 1e-10);
      assert.deepEqual(j.perTarget.mse, [j.mse]);
    });

    it("evaluate prints an aligned table by default", async () => {
      const r = await ismm(["evaluate", "-m", model, csvPath]);
      assert.equal(r.code, 0, r.stderr);
      const rows = r.stdout.trim().split("\n").slice(1);
      assert.match(rows[0], /^metric\s+value$/);
      for (const m of ["n", "nll", "mse", "mae", "r2"]) assert.ok(rows.some((l) => new RegExp(`^${m}\\s+\\S+$`).test(l)), m);
      const widths = new Set(rows.map((l) => l.length));
      assert.equal(widths.size, 1, "right-aligned columns");
    });

    it("NDJSON data give the same model as CSV (predictions equal)", async () => {
      const m2 = join(dir, "model-ndjson.json");
      const r = await ismm(["fit", ndjsonPath, "-t", "y", "-o", m2, "--seed", "3", ...FAST]);
      assert.equal(r.code, 0, r.stderr);
      const meta = (JSON.parse(readFileSync(m2, "utf8")) as { meta: { format: string } }).meta;
      assert.equal(meta.format, "ndjson");
      const [a, b] = await Promise.all([ismm(["predict", "-m", model, csvPath]), ismm(["predict", "-m", m2, ndjsonPath])]);
      assertTablesClose(parseCsv(a.stdout), parseCsv(b.stdout), 0);
      const ev = await ismm(["evaluate", "-m", m2, ndjsonPath, "--json"]);
      assert.equal(ev.code, 0, ev.stderr);
    });

    it("stdin ('-') gives the same model and predictions as the file", async () => {
      const m3 = join(dir, "model-stdin.json");
      const r = await ismm(["fit", "-", "-t", "y", "-o", m3, "--seed", "3", ...FAST], { input: csv });
      assert.equal(r.code, 0, r.stderr);
      const [a, b] = await Promise.all([ismm(["predict", "-m", model, csvPath]), ismm(["predict", "-m", m3, "-"], { input: csv })]);
      assert.equal(b.code, 0, b.stderr);
      assertTablesClose(parseCsv(a.stdout), parseCsv(b.stdout), 0);
      const ev = await ismm(["evaluate", "-m", m3, "-", "--json"], { input: csv });
      assert.equal(ev.code, 0, ev.stderr);
      assert.equal((JSON.parse(ev.stdout) as { n: number }).n, ROWS);
    });

    it("a named pipe (one-shot input) is read once: header peek replayed", { skip: process.platform === "win32" ? "no mkfifo" : false }, async () => {
      const fifo = join(dir, "pipe.csv");
      execFileSync("mkfifo", [fifo]);
      const child = spawnIsmm(["predict", "-m", model, fifo]);
      const done = collect(child);
      const w = createWriteStream(fifo);
      w.end(csv);
      const [b, a] = await Promise.all([done, ismm(["predict", "-m", model, csvPath])]);
      assert.equal(b.code, 0, b.stderr);
      assertTablesClose(parseCsv(a.stdout), parseCsv(b.stdout), 0);
    });

    it("stdin with --format ndjson", async () => {
      const m4 = join(dir, "model-stdin-nd.json");
      const r = await ismm(["fit", "-", "--format", "ndjson", "-t", "y", "-o", m4, ...FAST], { input: csvToNdjson(csv) });
      assert.equal(r.code, 0, r.stderr);
    });

    it("two targets: per-target columns, joint NLL, averaged scalars", async () => {
      const text = syntheticCsv(1500, 5, 2, 2);
      const p = writeText(join(dir, "q2.csv"), text);
      const m = join(dir, "q2.json");
      const f = await ismm(["fit", p, "-t", "y1", "-t", "y2", "-o", m, ...FAST]);
      assert.equal(f.code, 0, f.stderr);
      const pr = await ismm(["predict", "-m", m, p]);
      assert.deepEqual(parseCsv(pr.stdout).header, ["row", "y1_mean", "y2_mean", "y1_var", "y2_var", "gate_1", "gate_2", "expert", "log_density"]);
      const ev = await ismm(["evaluate", "-m", m, p, "--json"]);
      const j = JSON.parse(ev.stdout) as { q: number; mse: number; r2: number; targets: string[]; perTarget: { mse: number[]; r2: number[] } };
      assert.equal(j.q, 2);
      assert.deepEqual(j.targets, ["y1", "y2"]);
      assert.equal(j.perTarget.mse.length, 2);
      assert.ok(Math.abs(j.mse - (j.perTarget.mse[0] + j.perTarget.mse[1]) / 2) < 1e-12);
      assert.ok(Math.abs(j.r2 - (j.perTarget.r2[0] + j.perTarget.r2[1]) / 2) < 1e-12);
      const table = await ismm(["evaluate", "-m", m, p]);
      assert.match(table.stdout, /metric\s+overall\s+y1\s+y2/);
    });

    it("a feature subset; predict finds the model's columns by name in any order", async () => {
      const m = join(dir, "sub.json");
      const f = await ismm(["fit", csvPath, "-t", "y", "--features", "x2", "-o", m, ...FAST]);
      assert.equal(f.code, 0, f.stderr);
      assert.deepEqual((JSON.parse(readFileSync(m, "utf8")) as { meta: { features: string[] } }).meta.features, ["x2"]);
      // Reordered columns and no target column: predict still works.
      const lines = csv.trim().split("\n").map((l) => l.split(","));
      const reordered = lines.map(([x1, x2]) => `${x2},extra,${x1}`).join("\n") + "\n";
      const p = writeText(join(dir, "reordered.csv"), reordered);
      const [a, b] = await Promise.all([ismm(["predict", "-m", m, csvPath, "--no-log-density"]), ismm(["predict", "-m", m, p])]);
      assert.equal(b.code, 0, b.stderr);
      assertTablesClose(parseCsv(a.stdout), parseCsv(b.stdout), 0);
    });

    it("predict --out writes the file atomically and reports it", async () => {
      const out = join(dir, "preds.csv");
      const r = await ismm(["predict", "-m", model, csvPath, "--out", out]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /2,000 rows predicted/);
      assert.equal(parseCsv(readFileSync(out, "utf8")).rows.length, ROWS);
    });

    it("--epochs re-reads the file; stdin allows one epoch only (exit 2)", async () => {
      const m = join(dir, "ep.json");
      const r = await ismm(["fit", csvPath, "-t", "y", "-o", m, "--epochs", "3", ...FAST]);
      assert.equal(r.code, 0, r.stderr);
      // 300 buffered rows initialize; the first pass learns the other 1,700, two more passes 2 × 2,000.
      assert.match(r.stdout, /2,000 rows; initialization: 300 rows, EM; then 3 ismm passes \(5,700 rows learned\)/);
      assertOneLineError(await ismm(["fit", "-", "-t", "y", "-o", m, "--epochs", "2"], { input: csv }), 2, "--epochs 2", "stdin");
    });

    it("--skip-invalid skips bad rows and reports how many", async () => {
      const lines = csv.trim().split("\n");
      lines[5] = "1.0,,2.0";
      lines[9] = "abc,1,2";
      const p = writeText(join(dir, "dirty.csv"), lines.join("\n") + "\n");
      const m = join(dir, "dirty.json");
      const r = await ismm(["fit", p, "-t", "y", "-o", m, "--skip-invalid", ...FAST]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /skipped 2 invalid rows of .*dirty\.csv \(first: .*dirty\.csv:6:2/);
      assert.match(r.stdout, /1,998 rows/);
      const q = await ismm(["fit", p, "-t", "y", "-o", m, "--skip-invalid", "--quiet", ...FAST]);
      assert.equal(q.stderr, "");
    });
  });

  describe("output and logging", { concurrency: 4 }, () => {
    it("--quiet prints nothing on success", async () => {
      const r = await ismm(["fit", csvPath, "-t", "y", "-o", join(dir, "q.json"), "--quiet", ...FAST]);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, "");
      assert.equal(r.stderr, "");
    });

    it("no progress on a pipe by default; --progress forces it; CI=1 keeps it off", async () => {
      const [plain, forced, ci] = await Promise.all([
        ismm(["fit", csvPath, "-t", "y", "-o", join(dir, "p1.json"), ...FAST]),
        ismm(["fit", csvPath, "-t", "y", "-o", join(dir, "p2.json"), "--progress", ...FAST]),
        ismm(["fit", csvPath, "-t", "y", "-o", join(dir, "p3.json"), ...FAST], { env: { CI: "1" } }),
      ]);
      assert.equal(plain.stderr, "");
      assert.equal(ci.stderr, "");
      assert.match(forced.stderr, /fit\s+\[#+\]\s+100%\s+2,000 rows\s+[\d,]+ rows\/s\s+loss -?\d/);
    });

    it("--verbose adds options, timings and peak memory", async () => {
      const r = await ismm(["fit", csvPath, "-t", "y", "-o", join(dir, "v.json"), "--verbose", ...FAST]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /options: \{"nExperts":2/);
      assert.match(r.stderr, /peak RSS [\d.]+ MiB/);
      assert.match(r.stderr, /rows\/s/);
    });

    it("--method em warns that it stores the rows (not with --quiet)", async () => {
      const [loud, quiet] = await Promise.all([
        ismm(["fit", csvPath, "-t", "y", "-o", join(dir, "em.json"), "--method", "em", ...FAST]),
        ismm(["fit", csvPath, "-t", "y", "-o", join(dir, "em2.json"), "--method", "em", "--quiet", ...FAST]),
      ]);
      assert.equal(loud.code, 0, loud.stderr);
      assert.match(loud.stderr, /^ismm: warning: --method em is batch EM: it keeps every row in memory/m);
      assert.equal(quiet.stderr, "");
      assert.ok(existsSync(join(dir, "em2.json")));
    });
  });

  describe("every method runs through the CLI", { concurrency: 4 }, () => {
    for (const method of ["ismm", "sgd", "rmsprop", "adam", "sophia", "em"] as const) {
      it(`--method ${method}`, async () => {
        const m = join(dir, `method-${method}.json`);
        const extra = method === "ismm" || method === "em" ? [] : ["--lr", "0.01", "--batch-size", "4"];
        const r = await ismm(["fit", csvPath, "-t", "y", "-o", m, "--method", method, "--quiet", ...extra, ...FAST]);
        assert.equal(r.code, 0, r.stderr);
        const ev = await ismm(["evaluate", "-m", m, csvPath, "--json"]);
        assert.equal(ev.code, 0, ev.stderr);
        const j = JSON.parse(ev.stdout) as { nll: number };
        assert.ok(Number.isFinite(j.nll), `${method}: nll ${j.nll}`);
      });
    }
  });
});
