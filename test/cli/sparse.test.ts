/**
 * Sparse experts on the command line (docs/SPARSE.md): `fit --l1` writes a model whose irrelevant
 * expert slopes are exactly 0, and `select --l1 grid` compares (K, λ1) pairs, counting only nonzero
 * coefficients in the criteria.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createRng, randomMoeSpec, sampleSynthetic } from "../../src/index.js";
import { parseL1Grid } from "../../src/cli/select-lambda.js";
import { assertOneLineError, ismm, tempDir, writeText } from "./helpers.js";

let dir = "";
let cleanup = (): void => undefined;
before(() => {
  ({ dir, cleanup } = tempDir());
});
after(() => cleanup());

const D = 10;
/** K = 2 experts on d = 10 inputs; expert k uses only inputs 2k and 2k+1 (slopes 1.5 and −1, noise 0.3). */
function sparseCsv(rows: number, seed: number): string {
  const spec = randomMoeSpec(2, D, 1, createRng(seed), { noise: 0.3 });
  const beta = spec.params.beta.map((bk, k) => bk.map((row) => row.map((v, i) => (i === 0 ? v : i === 1 + 2 * k ? 1.5 : i === 2 + 2 * k ? -1 : 0))));
  const data = sampleSynthetic({ ...spec, params: { ...spec.params, beta } }, rows, createRng(seed + 1));
  const lines = [[...Array.from({ length: D }, (_, a) => `x${a + 1}`), "y"].join(",")];
  for (let i = 0; i < rows; i++) lines.push([...data.X.subarray(i * D, (i + 1) * D), data.Y[i]].join(","));
  return lines.join("\n") + "\n";
}

describe("sparse experts on the command line", { concurrency: 2 }, () => {
  for (const [method, minZeros] of [["em", 10], ["ismm", 4]] as const) {
  it(`fit --l1 --method ${method} zeroes irrelevant slopes exactly and keeps the relevant ones`, async () => {
    const data = writeText(join(dir, `sparse-${method}.csv`), sparseCsv(3000, 4));
    const out = join(dir, `sparse-${method}.json`);
    const r = await ismm(["fit", data, "-t", "y", "--experts", "2", "--l1", "0.1", "--method", method, "--epochs", "10", "-o", out, "--seed", "1"]);
    assert.equal(r.code, 0, r.stderr);
    const ins = await ismm(["inspect", "-m", out, "--json"]);
    assert.equal(ins.code, 0, ins.stderr);
    const beta = (JSON.parse(ins.stdout) as { parameters: { beta: number[][][] } }).parameters.beta;
    let zeros = 0;
    let kept = 0;
    for (const bk of beta) {
      const slopes = bk[0].slice(1);
      // Each fitted expert should match one true expert: its two largest slopes are a true pair.
      const order = slopes.map((v, a) => a).sort((a, b) => Math.abs(slopes[b]) - Math.abs(slopes[a]));
      const pair = Math.min(order[0], order[1]);
      assert.ok(pair % 2 === 0 && Math.abs(order[0] - order[1]) === 1, `expert slopes ${slopes.map((v) => v.toFixed(2)).join(" ")}`);
      for (let a = 0; a < D; a++) {
        if (a === pair || a === pair + 1) kept += slopes[a] !== 0 ? 1 : 0;
        else zeros += slopes[a] === 0 ? 1 : 0;
      }
    }
    assert.equal(kept, 4, "a relevant slope was zeroed");
    // 16 irrelevant slopes (an unpenalized fit has none at 0). λ1 = 0.1 puts the batch lasso's threshold near
    // 1.2 standard errors here (EM: 11 zeros measured); ISMM's last iterate sees a statistic averaged over
    // ~2/γ_n rows, noisier than the batch one, so fewer slopes reach 0 (6 measured; docs/SPARSE.md).
    assert.ok(zeros >= minZeros, `only ${zeros} of 16 irrelevant slopes are exactly 0`);
  });
  }

  it("select --l1 compares (K, λ1) pairs and counts only nonzero coefficients", async () => {
    const data = writeText(join(dir, "sel.csv"), sparseCsv(2000, 6));
    const r = await ismm(["select", data, "-t", "y", "--experts", "2", "--l1", "0,0.1", "--criterion", "bic", "--json", "--jobs", "1", "--seed", "2", "--method", "em"]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { best: number; bestL1: number; table: { K: number; l1: number; params: number; bic: number }[] };
    assert.deepEqual(j.table.map((t) => [t.K, t.l1]), [[2, 0], [2, 0.1]]);
    const full = (2 - 1) * 11 + 2 * 11 + 2;
    assert.equal(j.table[0].params, full);
    assert.ok(j.table[1].params < full - 8, `λ1 = 0.1 counts ${j.table[1].params} parameters`);
    // With 12 of 20 slopes irrelevant, BIC prefers the sparse fit.
    assert.equal(j.bestL1, 0.1, `BIC ${j.table.map((t) => t.bic.toFixed(1)).join(" vs ")}`);
  });

  it("parses the λ1 grid and rejects nonsense with one line", async () => {
    assert.deepEqual(parseL1Grid("0.1,0.001,0.1", "select"), [0.001, 0.1]);
    assert.deepEqual(parseL1Grid("auto", "select"), [0, 0.001, 0.003, 0.01, 0.03, 0.1]);
    assert.equal(parseL1Grid(undefined, "select"), null);
    for (const bad of ["", "-1", "a", "0.1,,0.2"]) assert.throws(() => parseL1Grid(bad, "select"), /--l1 must be/);
    const data = writeText(join(dir, "tiny.csv"), sparseCsv(50, 1));
    assertOneLineError(await ismm(["fit", data, "-t", "y", "--l1", "-1", "-o", join(dir, "x.json")]), 2, "--l1");
  });
});
