/** `ismm simulate` (seeded, CSV/NDJSON, true parameters) and `ismm demo` (the README's main job). */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { csvToNdjson, ismm, tempDir } from "./helpers.js";

let dir = "";
let cleanup = (): void => undefined;
before(() => {
  ({ dir, cleanup } = tempDir());
});
after(() => cleanup());

describe("ismm simulate and demo", { concurrency: 4 }, () => {
  describe("ismm simulate", { concurrency: 4 }, () => {
    it("is deterministic for a seed, different for another", async () => {
      const [a, b, c] = await Promise.all([
        ismm(["simulate", "--rows", "500", "--seed", "4"]),
        ismm(["simulate", "--rows", "500", "--seed", "4"]),
        ismm(["simulate", "--rows", "500", "--seed", "5"]),
      ]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(a.stdout, b.stdout);
      assert.notEqual(a.stdout, c.stdout);
      const lines = a.stdout.trim().split("\n");
      assert.equal(lines[0], "x1,x2,y");
      assert.equal(lines.length, 501);
    });

    it("--features/--targets/--experts/--latent shape the columns; --params-out writes the truth", async () => {
      const params = join(dir, "truth.json");
      const out = join(dir, "sim.csv");
      const r = await ismm(["simulate", "-n", "50", "--experts", "3", "--features", "4", "--targets", "2", "--latent", "--params-out", params, "--out", out]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /50 rows \(K = 3, d = 4, q = 2, seed 0\) written to/);
      const lines = readFileSync(out, "utf8").trim().split("\n");
      assert.equal(lines[0], "x1,x2,x3,x4,y1,y2,expert");
      for (const l of lines.slice(1)) assert.ok([1, 2, 3].includes(Number(l.split(",")[6])));
      const truth = JSON.parse(readFileSync(params, "utf8")) as { K: number; params: { gate: number[][]; beta: number[][][]; sigma2: number[][] } };
      assert.equal(truth.K, 3);
      assert.equal(truth.params.gate.length, 2);
      assert.equal(truth.params.beta.length, 3);
      assert.equal(truth.params.beta[0].length, 2);
      assert.equal(truth.params.beta[0][0].length, 5);
    });

    it("--format ndjson writes the same rows as JSON lines", async () => {
      const [c, n] = await Promise.all([ismm(["simulate", "-n", "20", "--seed", "9"]), ismm(["simulate", "-n", "20", "--seed", "9", "--format", "ndjson"])]);
      assert.equal(n.stdout, csvToNdjson(c.stdout));
    });
  });

  describe("ismm demo", () => {
    it("fits and evaluates on the bundled data and prints the report (exit 0, well under a minute)", async () => {
      const t0 = Date.now();
      const r = await ismm(["demo"]);
      const secs = (Date.now() - t0) / 1000;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, "");
      // Alone it takes ~2 s; the bound leaves room for a loaded CI machine running tests in parallel.
      assert.ok(secs < 50, `demo took ${secs} s`);
      assert.match(r.stdout, /UCI Communities and Crime/);
      assert.match(r.stdout, /split .*: [\d,]+ train \/ [\d,]+ test rows/);
      const moe = /ISMM mixture, K = 2\s+(\S+)\s+(\S+)\s+(\S+)\s+[\d.]+ s/.exec(r.stdout);
      const lin = /linear regression, K = 1\s+(\S+)\s+(\S+)\s+(\S+)\s+[\d.]+ s/.exec(r.stdout);
      assert.ok(moe && lin, r.stdout);
      const [nll2, mse2, r22] = moe.slice(1).map(Number);
      const [nll1] = lin.slice(1).map(Number);
      assert.ok(Number.isFinite(nll2) && Number.isFinite(nll1));
      assert.ok(mse2 > 0 && r22 > 0.4 && r22 < 1, `MoE test R² ${r22}`);
    });
  });
});
