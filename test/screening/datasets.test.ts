/**
 * Bench data sets (bench/datasets/*). The loaders need the shared data folder (../shared/data or
 * $ISMM_SHARED_DATA); those tests are skipped when it is absent. The split and screening tests use
 * synthetic data.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { countInvalid, csvHeader, hasSharedData, medianOfPresent, readColumn, readDataset, type Dataset } from "../../bench/datasets/table.js";
import { CRIME_FILE, loadCrime } from "../../bench/datasets/crime.js";
import { MAIZE_FILE, loadMaize } from "../../bench/datasets/maize.js";
import { splitTrainTest, subsetRows } from "../../bench/datasets/split.js";
import { screenAndStandardize } from "../../bench/datasets/screen.js";
import { DataError, OptionError } from "../../src/core/errors.js";
import { createRng } from "../../src/core/rng.js";

test("bench tables through openTable: header, strict read, missing cells counted and placed as NaN", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "ismm-csv-"));
  const f = path.join(dir, "a.csv");
  writeFileSync(f, "name,a,b,c\r\nx,1,,4\r\ny,2.5,3,5\r\n");
  assert.deepEqual(await csvHeader(f, "a"), ["name", "a", "b", "c"]);
  const t = await readDataset(f, ["a"], "c");
  assert.deepEqual([Array.from(t.X), Array.from(t.y), t.n, t.d, t.names], [[1, 2.5], [4, 5], 2, 1, ["a"]]);
  assert.equal(await countInvalid(f, "b"), 1);
  assert.equal(await countInvalid(f, "a"), 0);
  const b = await readColumn(f, "b", 2);
  assert.ok(Number.isNaN(b[0]));
  assert.equal(b[1], 3);
  assert.equal(medianOfPresent(Float64Array.of(3, NaN, 1, 2, 10)), 2.5);
  // The strict read locates the missing cell; a string column is a located error too.
  await assert.rejects(readDataset(f, ["b"], "c"), (e: unknown) => e instanceof DataError && e.location.line === 2 && e.location.columnName === "b");
  await assert.rejects(readDataset(f, ["name"], "c"), (e: unknown) => e instanceof DataError && e.location.line === 2 && e.location.columnName === "name");
  await assert.rejects(readColumn(f, "b", 1), DataError);
  writeFileSync(f, "a,b\n1\n");
  await assert.rejects(readDataset(f, ["a"], "b"), DataError);
});

test("loadCrime: 1994 × 100, no missing values, OtherPerCap imputed by the median", { skip: !hasSharedData(CRIME_FILE) && "shared data not found" }, async () => {
  const c = await loadCrime();
  assert.equal(c.n, 1994);
  assert.equal(c.d, 100);
  assert.equal(c.names.length, 100);
  for (const gone of ["state", "fold", "communityname", "LemasSwornFT", "PolicCars", "PolicBudgPerPop", "PctPolicWhite"]) {
    assert.ok(!c.names.includes(gone), gone);
  }
  assert.ok(c.names.includes("LemasPctOfficDrugUn")); // a LEMAS column without missing values stays
  assert.ok(c.X.every(Number.isFinite) && c.y.every(Number.isFinite));
  // Row 131 (1-based data row, Natchezcity) had the missing OtherPerCap.
  const j = c.names.indexOf("OtherPerCap");
  const others = Float64Array.from({ length: c.n - 1 }, (_, i) => c.X[(i < 130 ? i : i + 1) * c.d + j]);
  assert.equal(c.X[130 * c.d + j], medianOfPresent(others));
  assert.equal(c.names[0], "population");
  assert.equal(c.y[0], 0.2); // spot value from the data README
});

test("loadMaize: 246 × 4173 SNPs, y = gy_WD_mean", { skip: !hasSharedData(MAIZE_FILE) && "shared data not found" }, async () => {
  const m = await loadMaize();
  assert.equal(m.n, 246);
  assert.equal(m.d, 4173);
  assert.ok(m.X.every((v) => v === 0 || v === 1 || v === 2));
  const mean = m.y.reduce((a, b) => a + b) / m.n;
  assert.ok(Math.abs(mean - 3.97) < 0.01, `mean ${mean}`);
  await assert.rejects(loadMaize("Variety_ID"), DataError);
  assert.equal((await loadMaize("gy_WW_mean")).y.length, 246);
});

test("splitTrainTest: seeded, disjoint, covering, sorted", () => {
  const a = splitTrainTest(101, 0.2, createRng(3));
  assert.equal(a.test.length, 20);
  assert.equal(a.train.length, 81);
  assert.deepEqual([...a.train, ...a.test].sort((x, y) => x - y), Array.from({ length: 101 }, (_, i) => i));
  assert.deepEqual(a.test, [...a.test].sort((x, y) => x - y));
  assert.deepEqual(splitTrainTest(101, 0.2, createRng(3)), a);
  assert.notDeepEqual(splitTrainTest(101, 0.2, createRng(4)).test, a.test);
  assert.throws(() => splitTrainTest(10, 0, createRng(1)), OptionError);
  assert.throws(() => splitTrainTest(1, 0.5, createRng(1)), OptionError);
});

test("screenAndStandardize: uses the training fold only; train is standardised, test uses train constants", () => {
  const rng = createRng(12);
  const n = 150;
  const d = 8;
  const X = Float64Array.from({ length: n * d }, (_, t) => 3 + (1 + (t % d)) * rng.normal());
  const y = Float64Array.from({ length: n }, (_, i) => X[i * d + 2] - 0.2 * X[i * d + 5] + rng.normal());
  const ds: Dataset = { X, y, n, d, names: Array.from({ length: d }, (_, j) => `x${j}`) };
  const { train, test: te } = splitTrainTest(n, 0.2, createRng(1));
  const tr = subsetRows(ds, train);
  const ts = subsetRows(ds, te);
  const s = screenAndStandardize(tr, ts, { maxFeatures: 3, folds: 5, seed: 1 });
  assert.deepEqual(s.names.slice(0, 2), ["x2", "x5"]);
  assert.ok(s.selected.length <= 3);
  assert.equal(s.train.d, s.selected.length);
  for (let c = 0; c < s.train.d; c++) {
    let m = 0;
    let ss = 0;
    for (let i = 0; i < s.train.n; i++) m += s.train.X[i * s.train.d + c];
    m /= s.train.n;
    for (let i = 0; i < s.train.n; i++) ss += (s.train.X[i * s.train.d + c] - m) ** 2;
    assert.ok(Math.abs(m) < 1e-12 && Math.abs(ss / (s.train.n - 1) - 1) < 1e-12);
    const j = s.selected[c];
    assert.ok(Math.abs(s.test.X[c] - (ts.X[j] - s.mean[c]) / s.sd[c]) < 1e-15);
  }
  assert.deepEqual(s.train.y, tr.y);
  // Test rows do not influence the selection: perturbing them changes nothing.
  const ts2 = { ...ts, X: ts.X.map((v) => v * 100), y: ts.y.map(() => 0) };
  assert.deepEqual(screenAndStandardize(tr, ts2, { maxFeatures: 3, folds: 5, seed: 1 }).selected, s.selected);
});
