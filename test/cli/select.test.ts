/**
 * `ismm select`: the criteria's arithmetic, the parameter count, the seeded split, and the
 * end-to-end choice of K on a seeded synthetic stream with known K = 3.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { criteria, freeParameters, holdoutSplit, parseExperts } from "../../src/cli/select.js";
import { ismm, syntheticCsv, tempDir, writeText } from "./helpers.js";

let dir = "";
let cleanup = (): void => undefined;
before(() => {
  ({ dir, cleanup } = tempDir());
});
after(() => cleanup());

interface SelectJson {
  best: number;
  criterion: string;
  table: { K: number; logLik: number; params: number; n: number; aic: number; bic: number; icl: number; holdoutNll: number | null; holdoutRows: number }[];
}

describe("ismm select", { concurrency: 2 }, () => {
  it("counts free parameters: gate (K−1)p, experts Kqp, variances Kq", () => {
    assert.equal(freeParameters(1, 1, 1), 0 + 2 + 1);
    assert.equal(freeParameters(3, 2, 1), 2 * 3 + 3 * 1 * 3 + 3);
    assert.equal(freeParameters(2, 4, 2), 1 * 5 + 2 * 2 * 5 + 2 * 2);
  });

  it("AIC, BIC and ICL follow their definitions", () => {
    const c = criteria(-100, 5, 1000, -20);
    assert.equal(c.aic, 200 + 10);
    assert.equal(c.bic, 200 + 5 * Math.log(1000));
    assert.equal(c.icl, c.bic + 40);
  });

  it("parses K ranges and lists; rejects nonsense", () => {
    assert.deepEqual(parseExperts("1-6", "select"), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(parseExperts("5,2,3-4,2", "select"), [2, 3, 4, 5]);
    for (const bad of ["0-3", "3-1", "a", "", "1-"]) assert.throws(() => parseExperts(bad, "select"), /--experts/);
  });

  it("the seeded split holds out about the requested share, and differs by seed", () => {
    const a = holdoutSplit(1, 0.2);
    const b = holdoutSplit(2, 0.2);
    let na = 0;
    let differ = 0;
    const N = 20000;
    for (let i = 0; i < N; i++) {
      if (a(i)) na++;
      if (a(i) !== b(i)) differ++;
    }
    // Binomial sd at N = 20000, f = 0.2 is 0.0028; 5 sd.
    assert.ok(Math.abs(na / N - 0.2) < 0.015, `share ${na / N}`);
    // Independent splits disagree on 2·0.2·0.8 = 32% of rows.
    assert.ok(differ / N > 0.25, `seeds 1 and 2 differ on ${differ / N}`);
    assert.equal(holdoutSplit(1, 0)(5), false);
  });

  it("BIC picks the true K = 3 on a seeded synthetic stream of 4000 rows", async () => {
    const data = writeText(join(dir, "k3.csv"), syntheticCsv(4000, 3, 2, 1, 3));
    const out = join(dir, "best.json");
    const r = await ismm(["select", data, "-t", "y", "--experts", "1-5", "--criterion", "bic", "--json", "--out", out, "--seed", "1"]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as SelectJson;
    assert.equal(j.criterion, "bic");
    assert.deepEqual(j.table.map((t) => t.K), [1, 2, 3, 4, 5]);
    assert.equal(j.best, 3, `BIC ${j.table.map((t) => `${t.K}: ${t.bic.toFixed(1)}`).join(", ")}`);
    // The split: 20% held out by default; n + held out = all rows.
    for (const t of j.table) assert.equal(t.n + t.holdoutRows, 4000);
    assert.ok(Math.abs(j.table[0].holdoutRows / 4000 - 0.2) < 0.04);
    // A mixture explains the data far better than one linear expert, on held-out rows too.
    assert.ok(j.table[2].logLik > j.table[0].logLik + 100);
    assert.ok((j.table[2].holdoutNll as number) < (j.table[0].holdoutNll as number) - 0.1);
    assert.ok(existsSync(out));
    const ins = await ismm(["inspect", "-m", out, "--json"]);
    assert.equal(ins.code, 0, ins.stderr);
    assert.equal((JSON.parse(ins.stdout) as { parameters: { beta: unknown[] } }).parameters.beta.length, 3);
  });

  it("the table does not depend on --jobs (worker threads or this process)", async () => {
    const data = writeText(join(dir, "jobs.csv"), syntheticCsv(1500, 9, 2, 1, 2));
    const args = ["select", data, "-t", "y", "--experts", "1-3", "--json", "--init-rows", "300"];
    const [a, b] = await Promise.all([ismm([...args, "--jobs", "1"]), ismm([...args, "--jobs", "3"])]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const strip = (text: string): unknown => {
      const j = JSON.parse(text) as SelectJson & { table: { seconds?: number }[] };
      for (const r of j.table) delete r.seconds;
      return j;
    };
    assert.deepEqual(strip(a.stdout), strip(b.stdout));
  });

  it("--order and --shuffle-buffer as in fit: later passes shuffled by default, sequential on request; bad values are one line", async () => {
    const data = writeText(join(dir, "order.csv"), syntheticCsv(1500, 4, 2, 1, 2));
    const args = ["select", data, "-t", "y", "--experts", "2", "--epochs", "3", "--json", "--init-rows", "300", "--jobs", "1"];
    const run = async (extra: string[]): Promise<number> => {
      const r = await ismm([...args, ...extra]);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as SelectJson).table[0].logLik;
    };
    const [shuffled, small, sequential, again] = await Promise.all([run([]), run(["--shuffle-buffer", "50"]), run(["--order", "sequential"]), run(["--order", "shuffle"])]);
    assert.equal(again, shuffled, "--order shuffle is the default");
    assert.notEqual(sequential, shuffled, "the later passes' order changes the fit");
    assert.notEqual(small, shuffled, "a 50-row buffer shuffles only locally: another order");
    const bad = await ismm([...args, "--order", "sequential", "--shuffle-buffer", "10"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--shuffle-buffer is for --order shuffle/);
  });

  it("stdin is refused (select reads the data several times); --criterion holdout needs a holdout", async () => {
    const r = await ismm(["select", "-", "-t", "y"], { input: "x,y\n1,2\n" });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /can be read only once/);
    const data = writeText(join(dir, "tiny.csv"), syntheticCsv(50, 1));
    const h = await ismm(["select", data, "-t", "y", "--criterion", "holdout", "--holdout-fraction", "0"]);
    assert.equal(h.code, 2);
    assert.match(h.stderr, /holdout-fraction/);
  });
  it("--validation scores every fit on a separate file: its NLL is what `ismm evaluate` reports for the saved model", async () => {
    const lines = syntheticCsv(3000, 5, 2, 1, 2).trimEnd().split("\n");
    const train = writeText(join(dir, "v-train.csv"), [lines[0], ...lines.slice(1, 2001)].join("\n") + "\n");
    // The validation file lists its columns in another order: they are matched by name.
    const perm = (line: string): string => {
      const c = line.split(",");
      return [c[2], c[0], c[1]].join(",");
    };
    const valid = writeText(join(dir, "v-valid.csv"), [perm(lines[0]), ...lines.slice(2001).map(perm)].join("\n") + "\n");
    const out = join(dir, "v-best.json");
    const r = await ismm(["select", train, "-t", "y", "--experts", "1-2", "--validation", valid, "--json", "--out", out, "--seed", "2"]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as SelectJson & { validation: string };
    assert.equal(j.criterion, "holdout"); // the default with --validation
    assert.equal(j.validation, valid);
    for (const t of j.table) {
      assert.equal(t.n, 2000); // the whole data file is learned
      assert.equal(t.holdoutRows, 1000);
    }
    // Two experts generated the data: one linear expert is clearly worse on the validation rows.
    assert.equal(j.best, 2);
    assert.ok((j.table[1].holdoutNll as number) < (j.table[0].holdoutNll as number) - 0.1, JSON.stringify(j.table));
    const ev = await ismm(["evaluate", "--model", out, valid, "--json"]);
    assert.equal(ev.code, 0, ev.stderr);
    // Same model, same rows, same per-row NLL: equal up to the order of summation (1e-12 relative).
    const nll = (JSON.parse(ev.stdout) as { nll: number }).nll;
    assert.ok(Math.abs(nll - (j.table[1].holdoutNll as number)) <= 1e-12 * Math.abs(nll), `${nll} vs ${j.table[1].holdoutNll}`);
  });

  it("--validation: one clear line for a conflicting split, a missing file, stdin, or --out naming it", async () => {
    const data = writeText(join(dir, "v-data.csv"), syntheticCsv(400, 6));
    const valid = writeText(join(dir, "v-val.csv"), syntheticCsv(100, 7));
    const both = await ismm(["select", data, "-t", "y", "--experts", "1", "--validation", valid, "--holdout-fraction", "0.2"]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--validation and --holdout-fraction/);
    const missing = await ismm(["select", data, "-t", "y", "--experts", "1", "--validation", join(dir, "nope.csv")]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /nope\.csv/);
    assert.equal(missing.stderr.trim().split("\n").length, 1, missing.stderr);
    const stdin = await ismm(["select", data, "-t", "y", "--experts", "1", "--validation", "-"]);
    assert.equal(stdin.code, 2);
    assert.match(stdin.stderr, /read only once/);
    const clash = await ismm(["select", data, "-t", "y", "--experts", "1", "--validation", valid, "--out", valid]);
    assert.equal(clash.code, 2);
    assert.match(clash.stderr, /validation file/);
  });
});
