/**
 * Consistency of test/fixtures/crime_flexmix.json (generators: test/fixtures/gen/crime_export.ts,
 * test/fixtures/gen/crime_flexmix.R): recompute the mean NLL of the reported MoE parameters on the
 * raw Communities & Crime CSV with a self-contained log-sum-exp (no other project code), check the
 * recorded standardisation constants, and sanity-check the fixture's structure.
 *
 * Tolerance 1e-9 on the mean NLL (per row): both sides evaluate the same closed formula in double
 * precision; only summation order and exp/log rounding differ, ≈ n·ε·max|term| ≈ 2000·1.1e-16·5
 * ≈ 1e-12 on the total, i.e. ~1e-15 per row, far inside 1e-9.
 * Skipped when the shared data folder (../shared/data or $ISMM_SHARED_DATA) is absent.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

interface Fit {
  K: number;
  logLik: number;
  meanNll: number;
  gate: number[][];
  experts: number[][];
  sigma: number[];
  gradMax: number;
  hessianMaxEigen: number;
  restarts: number;
  degenerate: number;
  agreeWithin1e4: number;
}
interface Fixture {
  data: { n: number; target: string; features: string[]; mean: number[]; sd: number[] };
  K2: Fit;
  K3: Fit;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const fx = JSON.parse(readFileSync(path.join(here, "../fixtures/crime_flexmix.json"), "utf8")) as Fixture;
const dataDir = process.env.ISMM_SHARED_DATA || path.resolve(here, "../../../shared/data");
const csv = path.join(dataDir, "communities_crime.csv");
const skip = !existsSync(csv) && `crime data not found at ${csv}`;

/** log Σ exp(a_k), shifted by the max. */
function logSumExp(a: number[]): number {
  const m = Math.max(...a);
  let s = 0;
  for (const v of a) s += Math.exp(v - m);
  return m + Math.log(s);
}

/** The selected raw columns and the target; an empty cell is imputed by the column median. */
function readColumns(): { Z: number[][]; y: number[] } {
  const lines = readFileSync(csv, "utf8").split(/\r?\n/).filter((l) => l !== "");
  const header = lines[0].split(",");
  const rows = lines.slice(1).map((l) => l.split(","));
  const col = (name: string): number[] => {
    const j = header.indexOf(name);
    assert.ok(j >= 0, `column ${name}`);
    const v = rows.map((r) => (r[j] === "" ? NaN : Number(r[j])));
    const present = v.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
    const h = present.length >> 1;
    const med = present.length % 2 ? present[h] : (present[h - 1] + present[h]) / 2;
    return v.map((x) => (Number.isNaN(x) ? med : x));
  };
  return { Z: fx.data.features.map(col), y: col(fx.data.target) };
}

test("crime fixture: standardisation constants match the data (mean, sample sd)", { skip }, () => {
  const { Z, y } = readColumns();
  assert.equal(y.length, fx.data.n);
  Z.forEach((z, j) => {
    const n = z.length;
    const m = z.reduce((a, b) => a + b) / n;
    const sd = Math.sqrt(z.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1));
    assert.ok(Math.abs(m - fx.data.mean[j]) <= 1e-13 * Math.abs(m), `mean ${j}: ${m} vs ${fx.data.mean[j]}`);
    assert.ok(Math.abs(sd - fx.data.sd[j]) <= 1e-13 * sd, `sd ${j}: ${sd} vs ${fx.data.sd[j]}`);
  });
});

for (const key of ["K2", "K3"] as const) {
  const fit = fx[key];

  test(`crime fixture ${key}: mean NLL recomputed from the parameters`, { skip }, () => {
    const { Z, y } = readColumns();
    const n = y.length;
    const K = fit.K;
    const p = Z.length + 1;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const x = [1, ...Z.map((z, j) => (z[i] - fx.data.mean[j]) / fx.data.sd[j])];
      const eta = Array.from({ length: K }, (_, k) => x.reduce((s, xr, r) => s + xr * fit.gate[r][k], 0));
      const lse = logSumExp(eta);
      const a = Array.from({ length: K }, (_, k) => {
        const mu = x.reduce((s, xr, r) => s + xr * fit.experts[r][k], 0);
        const s2 = fit.sigma[k] ** 2;
        return eta[k] - lse - 0.5 * Math.log(2 * Math.PI * s2) - (y[i] - mu) ** 2 / (2 * s2);
      });
      total -= logSumExp(a);
      assert.equal(x.length, p);
    }
    const meanNll = total / n;
    assert.ok(Math.abs(meanNll - fit.meanNll) <= 1e-9, `mean NLL ${meanNll} vs fixture ${fit.meanNll}`);
    assert.ok(Math.abs(-fit.logLik / n - fit.meanNll) <= 1e-12);
  });

  test(`crime fixture ${key}: structure (reference gate column, optimum checks, restarts)`, () => {
    const K = fit.K;
    const p = fx.data.features.length + 1;
    assert.equal(fit.gate.length, p);
    assert.equal(fit.experts.length, p);
    for (const row of fit.gate) {
      assert.equal(row.length, K);
      assert.equal(row[K - 1], 0);
    }
    assert.ok(fit.sigma.every((s) => s > 0.005));
    assert.ok(fit.gradMax < 1e-6, `gradient ${fit.gradMax}`);
    assert.ok(fit.hessianMaxEigen < 0, "local maximum");
    assert.ok(fit.agreeWithin1e4 >= 2, "best optimum reached by at least two restarts");
  });
}
