/** Streaming metrics against direct two-pass computations, a large-offset case, and merging. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RegressionMetrics, createRng } from "../../src/index.js";

function direct(y: number[], m: number[]): { mse: number; mae: number; r2: number } {
  const n = y.length;
  const ybar = y.reduce((s, v) => s + v, 0) / n;
  let sse = 0;
  let sae = 0;
  let sst = 0;
  for (let i = 0; i < n; i++) {
    sse += (y[i] - m[i]) ** 2;
    sae += Math.abs(y[i] - m[i]);
    sst += (y[i] - ybar) ** 2;
  }
  return { mse: sse / n, mae: sae / n, r2: 1 - sse / sst };
}

const close = (a: number, b: number, rtol: number, what: string): void =>
  assert.ok(Math.abs(a - b) <= rtol * Math.max(Math.abs(a), Math.abs(b)), `${what}: ${a} vs ${b}`);

describe("RegressionMetrics", () => {
  it("hand-computed values", () => {
    const m = new RegressionMetrics(1);
    m.update([1], 0, [1.5], 0, 0.7);
    m.update([3], 0, [2.5], 0, 0.9);
    const s = m.summary();
    // e = (−0.5, 0.5): MSE 0.25, MAE 0.5; ȳ = 2, SST = 2, SSE = 0.5, R² = 0.75; NLL (0.7+0.9)/2.
    assert.equal(s.mse, 0.25);
    assert.equal(s.mae, 0.5);
    assert.equal(s.r2, 0.75);
    close(s.nll, 0.8, 1e-15, "nll");
  });

  it("matches a two-pass computation on random data (rtol 1e-12: rounding of ~1000 updates)", () => {
    const rng = createRng(1);
    const y: number[] = [];
    const p: number[] = [];
    const m = new RegressionMetrics(1);
    for (let i = 0; i < 1000; i++) {
      y.push(rng.normal() * 3 + 1);
      p.push(y[i] + rng.normal());
      m.update(y, i, p, i, NaN);
    }
    const s = m.summary();
    const d = direct(y, p);
    close(s.mse, d.mse, 1e-12, "mse");
    close(s.mae, d.mae, 1e-12, "mae");
    close(s.r2, d.r2, 1e-12, "r2");
    assert.ok(Number.isNaN(s.nll), "no NLL given");
  });

  it("R² stays accurate with a huge target offset (centered updates; STYLE §c2)", () => {
    const m = new RegressionMetrics(1);
    const y = [1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4];
    const p = [1e9 + 1.5, 1e9 + 2, 1e9 + 3, 1e9 + 3.5];
    for (let i = 0; i < 4; i++) m.update(y, i, p, i, 0);
    // SST = 5 exactly, SSE = 0.5: R² = 0.9. Raw Σy² − nȳ² would lose every digit at 1e18.
    close(m.summary().r2, 0.9, 1e-9, "r2");
  });

  it("merge equals the sequential accumulator; q > 1 aggregates as documented", () => {
    const rng = createRng(2);
    const all = new RegressionMetrics(2);
    const a = new RegressionMetrics(2);
    const b = new RegressionMetrics(2);
    for (let i = 0; i < 300; i++) {
      const y = [rng.normal(), 5 + 2 * rng.normal()];
      const p = [y[0] + 0.1 * rng.normal(), y[1] + rng.normal()];
      const nll = rng.next();
      all.update(y, 0, p, 0, nll);
      (i < 120 ? a : b).update(y, 0, p, 0, nll);
    }
    const s = all.summary();
    const t = a.merge(b).summary();
    assert.equal(t.n, 300);
    for (const k of ["mse", "mae", "r2", "nll"] as const) close(t[k], s[k], 1e-12, k);
    for (let j = 0; j < 2; j++) close(t.perTarget.r2[j], s.perTarget.r2[j], 1e-12, `r2[${j}]`);
    close(s.mse, (s.perTarget.mse[0] + s.perTarget.mse[1]) / 2, 1e-15, "mse is the mean over targets");
    close(s.r2, (s.perTarget.r2[0] + s.perTarget.r2[1]) / 2, 1e-15, "r2 is the uniform average");
  });

  it("a constant target has undefined R²; non-finite input throws", () => {
    const m = new RegressionMetrics(1);
    m.update([2], 0, [1], 0, 0);
    m.update([2], 0, [3], 0, 0);
    assert.ok(Number.isNaN(m.summary().r2));
    assert.throws(() => m.update([NaN], 0, [1], 0, 0), RangeError);
    assert.throws(() => new RegressionMetrics(0), RangeError);
  });
});

describe("RegressionMetrics: finite inputs whose error overflows", () => {
  it("a squared error or NLL beyond the doubles is refused (RangeError) and the row not counted", () => {
    const m = new RegressionMetrics(1);
    m.update([1], 0, [1.5], 0, 0.7);
    // (1.7e308 − 2)² overflows to Infinity; accumulating it would make MSE/R² Inf/NaN.
    assert.throws(() => m.update([1.7e308], 0, [2], 0, 1), /squared error of target 0 overflows/);
    assert.throws(() => m.update([3], 0, [2], 0, Infinity), /negative log-likelihood is Infinity/);
    assert.equal(m.n, 1);
    assert.equal(m.summary().mse, 0.25);
    m.update([1e150], 0, [0], 0, NaN); // 1e300 is finite: accepted
    assert.equal(m.n, 2);
  });
});
