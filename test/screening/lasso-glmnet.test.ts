/**
 * Agreement with R glmnet 4.1-6 (fixture test/fixtures/lasso_glmnet.json, generator
 * test/fixtures/gen/lasso_glmnet.R): the same λ grid, `intercept = TRUE`, `standardize` FALSE and TRUE,
 * `thresh = 1e-20`, and cv.glmnet with the same fold ids.
 *
 * Tolerances. Both solvers stop on a coordinate-change criterion, so each returns an approximate
 * minimiser. Measured KKT residual max_j |x̃_jᵀr/n − λ s_j| of glmnet's fixture solution: 9.5e-10
 * (where glmnet stopped with thresh = 1e-20); ours at tol = 1e-12: 5.5e-12. A KKT
 * residual ε moves the solution by at most ‖(X̃_AᵀX̃_A/n)⁻¹‖·ε; the smallest eigenvalue of the full
 * X̃ᵀX̃/n of this design is 1.8e-3 (unstandardised) / 7.9e-3 (standardised), so the bound is
 * 9.5e-10 / 1.8e-3 ≈ 5e-7 on the working
 * (β_j s_j) scale: atol 1e-6 there (observed max 7e-8). The intercept β₀ = ȳ − Σ x̄_j β_j carries
 * column means up to 10: atol 1e-5 (observed 3e-7). CV curves are smooth in β: rtol 1e-6
 * (observed 7e-9). λ_min / λ_1se are grid values and must be identical.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { lassoPath } from "../../src/screening/lasso.js";
import { lassoCv } from "../../src/screening/lasso-cv.js";

interface GlmnetFit {
  standardize: boolean;
  lambda: number[];
  intercept: number[];
  beta: number[][];
  cvm: number[];
  cvsd: number[];
  lambdaMin: number;
  lambda1se: number;
}
interface Fixture {
  n: number;
  d: number;
  X: number[][];
  y: number[];
  foldid0: number[];
  unstandardized: GlmnetFit;
  standardized: GlmnetFit;
}

const fx = JSON.parse(readFileSync(new URL("../fixtures/lasso_glmnet.json", import.meta.url), "utf8")) as Fixture;
const X = Float64Array.from(fx.X.flat());
const y = Float64Array.from(fx.y);

function close(actual: number, expected: number, atol: number, rtol: number, what: string): void {
  const tol = atol + rtol * Math.max(Math.abs(actual), Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: actual ${actual}, expected ${expected}, tol ${tol}`);
}

for (const key of ["unstandardized", "standardized"] as const) {
  const g = fx[key];

  test(`glmnet path, standardize = ${g.standardize}: coefficients and intercepts`, () => {
    const p = lassoPath(X, y, { lambdas: g.lambda, standardize: g.standardize, tol: 1e-12 });
    assert.equal(p.lambdas.length, g.lambda.length);
    assert.ok(p.converged.every((c) => c === 1));
    g.lambda.forEach((_, k) => {
      for (let j = 0; j < fx.d; j++) {
        const s = p.scale[j];
        close(p.beta[k * fx.d + j] * s, g.beta[k][j] * s, 1e-6, 0, `β·s k=${k} j=${j}`);
        // exact zeros (inactive) agree as a set, except in a 1e-6 band where either may be tiny
        if (g.beta[k][j] === 0 && p.beta[k * fx.d + j] !== 0) assert.ok(Math.abs(p.beta[k * fx.d + j] * s) < 1e-6);
      }
      close(p.intercept[k], g.intercept[k], 1e-5, 0, `β₀ k=${k}`);
    });
  });

  test(`glmnet λ_max formula, standardize = ${g.standardize}`, () => {
    const p = lassoPath(X, y, { standardize: g.standardize, nLambda: 20 });
    // The R script computed the grid from the same formula; the first value is λ_max.
    close(p.lambdaMax, g.lambda[0], 0, 1e-13, "λ_max");
  });

  test(`cv.glmnet with the same folds, standardize = ${g.standardize}`, () => {
    const cv = lassoCv(X, y, { lambdas: g.lambda, standardize: g.standardize, foldId: fx.foldid0, tol: 1e-12 });
    g.cvm.forEach((c, k) => close(cv.cvm[k], c, 0, 1e-6, `cvm k=${k}`));
    g.cvsd.forEach((c, k) => close(cv.cvsd[k], c, 0, 1e-6, `cvsd k=${k}`));
    assert.equal(cv.lambdaMin, g.lambdaMin);
    assert.equal(cv.lambda1se, g.lambda1se);
  });
}
