/**
 * `ismm inspect`: the JSON has parameters.gate/beta and diagnostics, and the coefficients in
 * original units, named by column, reproduce `ismm predict`'s means, variances and gates.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ismm, parseCsv, syntheticCsv, tempDir, writeText } from "./helpers.js";

interface Expert {
  expert: number;
  gate: Record<string, number>;
  beta: Record<string, Record<string, number>>;
  sigma2: Record<string, number>;
}
interface InspectJson {
  parameters: { gate: number[][]; beta: number[][][]; sigma2: number[][]; terms: string[]; targets: string[]; experts: Expert[] };
  diagnostics: { experts: { expert: number; atVarianceFloor: boolean; gateAtMeanInput: number }[]; notes: string[] };
  training: { rowsLearned: number; method: string; seed: number; epochs: number; options: Record<string, unknown> };
}

let dir = "";
let cleanup = (): void => undefined;

before(() => {
  ({ dir, cleanup } = tempDir());
});
after(() => cleanup());

/** Fits K experts on q targets with d features and returns the data text, model path and inspect JSON. */
async function fitAndInspect(name: string, d: number, q: number, K: number): Promise<{ data: string; model: string; j: InspectJson }> {
  // Input scales far from 1 so that a mix-up of scaled and original units cannot pass.
  const raw = syntheticCsv(1200, 40 + d + q, d, q, K);
  const lines = raw.trim().split("\n");
  const csv = [lines[0], ...lines.slice(1).map((l) => l.split(",").map((v, i) => (i < d ? Number(v) * 100 + 7 : Number(v) * 3 - 2)).join(","))].join("\n") + "\n";
  const data = writeText(join(dir, `${name}.csv`), csv);
  const model = join(dir, `${name}.json`);
  const targets = q === 1 ? ["-t", "y"] : Array.from({ length: q }, (_, j) => ["-t", `y${j + 1}`]).flat();
  const f = await ismm(["fit", data, ...targets, "--experts", String(K), "-o", model, "--init-rows", "400", "--seed", "5"]);
  assert.equal(f.code, 0, f.stderr);
  const r = await ismm(["inspect", "-m", model, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  return { data, model, j: JSON.parse(r.stdout) as InspectJson };
}

describe("ismm inspect", { concurrency: 2 }, () => {
  for (const [d, q, K] of [[2, 1, 3], [3, 2, 2]] as const) {
    it(`d = ${d}, q = ${q}, K = ${K}: original-unit coefficients reproduce predict`, async () => {
      const { data, model, j } = await fitAndInspect(`m${d}${q}${K}`, d, q, K);
      assert.ok(Array.isArray(j.parameters.gate) && j.parameters.gate.length === K - 1);
      assert.ok(Array.isArray(j.parameters.beta) && j.parameters.beta.length === K);
      assert.ok(typeof j.diagnostics === "object" && Array.isArray(j.diagnostics.experts));
      assert.equal(j.training.rowsLearned, 1200);
      assert.equal(j.training.seed, 5);
      const features = j.parameters.terms.slice(1);
      const targets = j.parameters.targets;
      const pr = await ismm(["predict", "-m", model, data, "--no-log-density"]);
      assert.equal(pr.code, 0, pr.stderr);
      const t = parseCsv(pr.stdout);
      const text = readFileSync(data, "utf8").trim().split("\n");
      const header = text[0].split(",");
      const rows = text.slice(1).map((l) => l.split(",").map(Number));
      let worst = 0;
      for (let i = 0; i < rows.length; i += 7) {
        const x = Object.fromEntries(features.map((f) => [f, rows[i][header.indexOf(f)]]));
        const lin = (c: Record<string, number>): number => c["(intercept)"] + features.reduce((s, f) => s + c[f] * x[f], 0);
        const eta = j.parameters.experts.map((e) => lin(e.gate));
        const m = Math.max(...eta);
        const w = eta.map((e) => Math.exp(e - m));
        const z = w.reduce((a, b) => a + b, 0);
        const pi = w.map((v) => v / z);
        const out = t.rows[i];
        for (let k = 0; k < K; k++) worst = Math.max(worst, Math.abs(pi[k] - out[t.header.indexOf(`gate_${k + 1}`)]));
        targets.forEach((y) => {
          const mu = j.parameters.experts.map((e) => lin(e.beta[y]));
          const mean = mu.reduce((s, v, k) => s + pi[k] * v, 0);
          const second = mu.reduce((s, v, k) => s + pi[k] * (j.parameters.experts[k].sigma2[y] + v * v), 0);
          const pm = out[t.header.indexOf(`${y}_mean`)];
          const pv = out[t.header.indexOf(`${y}_var`)];
          // Relative 1e-8: the model computes in scaled units and maps back; the two routes differ
          // by rounding amplified by the input scale (×100) and the cancellation in E[y²] − E[y]².
          worst = Math.max(worst, Math.abs(mean - pm) / (1 + Math.abs(pm)), Math.abs(second - mean * mean - pv) / (1 + pv));
        });
      }
      assert.ok(worst < 1e-8, `largest relative difference ${worst}`);
    });
  }

  it("prints readable tables by default and rejects a data argument", async () => {
    const { model } = await fitAndInspect("text", 1, 1, 2);
    const r = await ismm(["inspect", "-m", model]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Gate \(log-odds/);
    assert.match(r.stdout, /\(intercept\)/);
    assert.match(r.stdout, /variance σ²/);
    assert.match(r.stdout, /Diagnostics/);
    const bad = await ismm(["inspect", "-m", model, "data.csv"]);
    assert.equal(bad.code, 2);
  });
});
