/**
 * `ismm predict`'s `row` and `log_density` columns: the mean of −log_density is evaluate's nll,
 * rows skipped with --skip-invalid leave a gap in `row`, and log_density appears only when the
 * data have the target columns.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ismm, parseCsv, syntheticCsv, tempDir, writeText } from "./helpers.js";

const ROWS = 1500;
let dir = "";
let cleanup = (): void => undefined;
let csv = "";
let data = "";
let model = "";

before(async () => {
  ({ dir, cleanup } = tempDir());
  csv = syntheticCsv(ROWS, 21);
  data = writeText(join(dir, "d.csv"), csv);
  model = join(dir, "m.json");
  const r = await ismm(["fit", data, "-t", "y", "-o", model, "--seed", "2", "--init-rows", "300"]);
  assert.equal(r.code, 0, r.stderr);
});
after(() => cleanup());

describe("ismm predict row and log_density", { concurrency: 4 }, () => {
  it("mean −log_density equals evaluate's nll within 1e-6", async () => {
    const [pr, ev] = await Promise.all([ismm(["predict", "-m", model, data]), ismm(["evaluate", "-m", model, data, "--json"])]);
    assert.equal(pr.code, 0, pr.stderr);
    assert.equal(ev.code, 0, ev.stderr);
    const t = parseCsv(pr.stdout);
    const col = t.header.indexOf("log_density");
    assert.equal(col, t.header.length - 1, "log_density is the last column");
    assert.equal(t.rows.length, ROWS);
    let s = 0;
    for (const r of t.rows) s -= r[col];
    const nll = (JSON.parse(ev.stdout) as { nll: number }).nll;
    // 1e-6: the requirement; both sides are the same per-row NLL printed with full double
    // precision (shortest round-trip), so the difference is summation rounding (~1e-13).
    assert.ok(Math.abs(s / ROWS - nll) <= 1e-6, `mean −log_density ${s / ROWS} vs nll ${nll}`);
    // Not a constant: the densities vary by row (a column of zeros would also fail the nll check
    // unless nll were 0, which a fitted Gaussian model on this data is not).
    assert.ok(Math.abs(nll) > 0.01, `nll ${nll}`);
  });

  it("skipped rows leave gaps in the 1-based row column", async () => {
    const lines = csv.trim().split("\n");
    lines[3] = lines[3].replace(/^[^,]*/, "oops"); // data row 3 invalid
    lines[10] = ""; // a blank line is not a data row
    lines[11] = lines[11].replace(/,[^,]*$/, ","); // data row 10: empty target → invalid when targets are read
    const p = writeText(join(dir, "gaps.csv"), lines.join("\n") + "\n");
    const r = await ismm(["predict", "-m", model, p, "--skip-invalid"]);
    assert.equal(r.code, 0, r.stderr);
    const t = parseCsv(r.stdout);
    const rows = t.rows.map((x) => x[0]);
    assert.deepEqual(rows.slice(0, 10), [1, 2, 4, 5, 6, 7, 8, 9, 11, 12]);
    assert.equal(rows.length, ROWS - 3);
    assert.equal(rows[rows.length - 1], ROWS - 1);
    // Without the targets, the empty target cell no longer invalidates data row 10.
    const r2 = await ismm(["predict", "-m", model, p, "--skip-invalid", "--no-log-density"]);
    const t2 = parseCsv(r2.stdout);
    assert.equal(t2.header.includes("log_density"), false);
    assert.deepEqual(t2.rows.slice(0, 10).map((x) => x[0]), [1, 2, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it("no log_density column when the data lack the targets", async () => {
    const noY = csv.trim().split("\n").map((l) => l.split(",").slice(0, 2).join(",")).join("\n") + "\n";
    const p = writeText(join(dir, "noy.csv"), noY);
    const [a, b] = await Promise.all([ismm(["predict", "-m", model, p]), ismm(["predict", "-m", model, data])]);
    assert.equal(a.code, 0, a.stderr);
    const ta = parseCsv(a.stdout);
    const tb = parseCsv(b.stdout);
    assert.deepEqual(ta.header, tb.header.slice(0, -1));
    // Same predictions whether or not the targets were read.
    assert.deepEqual(ta.rows, tb.rows.map((r) => r.slice(0, -1)));
  });
});
