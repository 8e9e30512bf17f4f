/** The demo's race (web/src/engine.ts) in Node: what the page shows, computed without a browser. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MoeRegressor, createRng, parametersNll, randomMoeSpec, sampleSynthetic } from "../../src/index.js";
import { raceCsv, raceSynthetic, windowFor } from "../../web/src/engine.js";
import { SCENARIOS } from "../../web/src/scenarios.js";

test("raceSynthetic: both learners see every row; windows, held-out scores and model files are consistent", async () => {
  const rows = 6000;
  const r = await raceSynthetic("s1", rows, 1, () => false);
  assert.equal(r.rows, rows);
  assert.equal(r.window, windowFor(rows));
  assert.equal(r.curve.length, rows / r.window, "one point per window");
  // The truth's NLL of the test sample, recomputed here.
  const spec = SCENARIOS.s1.spec;
  const test = sampleSynthetic(spec, 5000, createRng(1).fork(2));
  assert.equal(r.truthNll, parametersNll(spec.params, test.X, test.Y, test.n));
  // Windows before and across the 1000-row initialization have no excess (not every row was scored).
  for (const p of r.curve) {
    if (p.rows <= 1000) assert.ok(Number.isNaN(p.ismm) && Number.isNaN(p.truth), `window ending at ${p.rows}`);
    else if (p.rows - r.window >= 1000) assert.ok(Number.isFinite(p.ismm) && Number.isFinite(p.adam) && Number.isFinite(p.truth), `window ending at ${p.rows}`);
  }
  // S1 after 6000 rows: both within 0.05 nats of the truth (measured ≈ 0.002–0.005 above).
  for (const m of ["ismm", "adam"] as const) {
    assert.ok(Math.abs(r.heldOut[m] - (r.truthNll as number)) < 0.05, `${m}: ${r.heldOut[m]} vs ${r.truthNll}`);
    const model = MoeRegressor.fromJSON(JSON.parse(r.modelJson[m]));
    assert.equal(model.method, m);
    assert.equal(model.nSeen, rows);
    assert.deepEqual(model.meta.features, ["x"]);
    assert.deepEqual(model.meta.targets, ["y"]);
    assert.equal(model.score(test.X, test.Y, test.n), r.heldOut[m], "the saved model scores as the page says");
    assert.ok(r.rate[m] > 0);
  }
  assert.equal(r.fit.kind, "1d");
});

test("raceSynthetic stops when the tick says so, and still scores and saves", async () => {
  let ticks = 0;
  const r = await raceSynthetic("plane2d", 50_000, 2, () => ++ticks === 3);
  assert.equal(r.rows, 1500, "three batches of 500 rows");
  assert.ok(Number.isFinite(r.heldOut.ismm));
  assert.equal(r.fit.kind, "2d");
});

test("raceCsv holds out every 5th row and learns the others in file order", async () => {
  const spec = randomMoeSpec(2, 1, 1, createRng(3));
  const data = sampleSynthetic(spec, 4000, createRng(4));
  const text = ["x,y", ...Array.from({ length: data.n }, (_, i) => `${data.X[i]},${data.Y[i]}`)].join("\n");
  const input = new Blob([text]).stream();
  const r = await raceCsv({ input, label: "mine.csv", K: 2, seed: 1 }, () => false);
  assert.equal(r.heldOutRows, 800);
  assert.equal(r.rows, 3200);
  assert.equal(r.truthNll, null);
  const Xt: number[] = [];
  const Yt: number[] = [];
  for (let i = 4; i < data.n; i += 5) {
    Xt.push(data.X[i]);
    Yt.push(data.Y[i]);
  }
  const ismm = MoeRegressor.fromJSON(JSON.parse(r.modelJson.ismm));
  assert.equal(ismm.score(Xt, Yt, Xt.length), r.heldOut.ismm, "held out = rows 5, 10, 15, …");
  assert.deepEqual(ismm.meta.features, ["x"]);
});
