/**
 * Communities & Crime against R flexmix (test/fixtures/crime_flexmix.json, made by
 * test/fixtures/gen/crime_flexmix.R: 30 flexmix restarts with an FLXPmultinom gate, each polished to
 * the exact MLE). Data: the bundled copy of the UCI file (byte-identical to the shared one), the
 * fixture's 6 Lasso-selected predictors, all 1994 rows, y in original units.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadCrime } from "../../bench/datasets/crime.js";
import { MoeRegressor } from "../../src/estimators/moe-regressor.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const fixture = JSON.parse(readFileSync(`${root}test/fixtures/crime_flexmix.json`, "utf8"));
const data = await loadCrime(`${root}data/communities_crime.csv`);
const features: string[] = fixture.data.features;
const cols = features.map((f) => data.names.indexOf(f));
const d = features.length;
const X = new Float64Array(data.n * d);
for (let i = 0; i < data.n; i++) for (let a = 0; a < d; a++) X[i * d + a] = data.X[i * data.d + cols[a]];

test("our batch EM reaches flexmix's MLE (K = 2 and 3) to 1e-6 nats per row", () => {
  assert.ok(cols.every((c) => c >= 0));
  for (const K of [2, 3]) {
    // flexmix fits the MLE: the MAP prior off (strength 0 is the MLE exactly).
    const m = new MoeRegressor({ nExperts: K, seed: 1, method: "em", initRows: data.n, variancePrior: 0, gateRidge: 0 });
    m.fit(X, data.y, data.n);
    const gap = m.score(X, data.y, data.n) - fixture[`K${K}`].meanNll;
    // Both are polished to a stationary point (flexmix's gradient max 2e-10): only EM's stopping
    // tolerance (1e-10 relative) separates them; measured 9e-10.
    assert.ok(Math.abs(gap) < 1e-6, `K=${K}: gap ${gap}`);
  }
});

for (const [K, epochs] of [[2, 10], [3, 20]] as const) {
  test(`ISMM after ${epochs} epochs reaches flexmix's MLE within 0.005 nats per row (K = ${K})`, () => {
    for (const seed of [1, 2]) {
      const m = new MoeRegressor({ nExperts: K, seed });
      m.fit(X, data.y, data.n, { epochs });
      const gap = m.score(X, data.y, data.n) - fixture[`K${K}`].meanNll;
      // Issue criterion 0.005 nats/row; measured 0.0002–0.0005 (K=2) and 0.0011–0.0023 (K=3).
      assert.ok(gap < 0.005, `K=${K}, seed ${seed}: gap ${gap}`);
      assert.ok(gap > -1e-6, `K=${K}, seed ${seed}: below the MLE by ${-gap} (fixture not optimal?)`);
    }
  });
}
