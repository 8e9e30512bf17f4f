/**
 * The elastic-net M-step with a full Σ_k (surrogate/moe-lasso-full.ts, docs/SPARSE.md "Full
 * covariance"): q = 1 reduces to the diagonal solver, the KKT conditions of the penalized surrogate
 * G(B, Σ) at the converged M-step with strongly correlated noise, descent of G from random starts,
 * monotone penalized batch EM, and an end-to-end fit where the full model must beat the diagonal one.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRng, type Rng } from "../../src/core/rng.js";
import { moeLayout, type MoeLayout } from "../../src/model/dims.js";
import { expertCovariance } from "../../src/model/full-covariance.js";
import { thetaFromParameters } from "../../src/model/parameters.js";
import { meanNll } from "../../src/model/moe.js";
import { moeSurrogate, type MoeSurrogate, type MoeSurrogateOptions } from "../../src/surrogate/moe.js";
import { moeFastSurrogate } from "../../src/surrogate/moe-fast.js";
import { createLassoWorkspace, elasticNetPenalty, penalizedExperts } from "../../src/surrogate/moe-lasso.js";
import { createFullLassoWorkspace, penalizedExpertsFull } from "../../src/surrogate/moe-lasso-full.js";
import { batchStats } from "../../src/mm/batch-mm.js";
import { ismmInit, ismmStep } from "../../src/mm/ismm.js";
import { batchEM, createEmWorkspace, expertStatsFromTau } from "../../src/mm/batch-em.js";
import { createRng as createRngPublic, MoeRegressor, parametersNll, randomMoeSpec, sampleSynthetic, type MoeParameters } from "../../src/index.js";
import { assertAllClose, assertClose } from "../helpers.js";

/** A q×q inverse by Gauss–Jordan with partial pivoting (an independent reference; q is small). */
function inverse(M: ArrayLike<number>, q: number): Float64Array {
  const A = Array.from({ length: q }, (_, i) => [...Array.from({ length: q }, (_, j) => M[i * q + j]), ...Array.from({ length: q }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < q; c++) {
    let piv = c;
    for (let r = c + 1; r < q; r++) if (Math.abs(A[r][c]) > Math.abs(A[piv][c])) piv = r;
    [A[c], A[piv]] = [A[piv], A[c]];
    const d = A[c][c];
    for (let k = 0; k < 2 * q; k++) A[c][k] /= d;
    for (let r = 0; r < q; r++) {
      if (r === c) continue;
      const f = A[r][c];
      for (let k = 0; k < 2 * q; k++) A[r][k] -= f * A[c][k];
    }
  }
  const out = new Float64Array(q * q);
  for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) out[i * q + j] = A[i][q + j];
  return out;
}

/** Dense pieces of expert k's statistic: Syy (q×q), Sxy (p×q), Sxx (p×p, both triangles). */
function expertStats(L: MoeLayout, sur: MoeSurrogate, s: Float64Array, k: number) {
  const { q, p } = L;
  const S = sur.stats;
  const Syy = new Float64Array(q * q);
  for (let i = 0; i < q; i++) {
    Syy[i * q + i] = s[S.syy + k * q + i];
    for (let j = 0; j < i; j++) {
      const v = s[S.syx + k * L.nChol + (i * (i - 1)) / 2 + j];
      Syy[i * q + j] = v;
      Syy[j * q + i] = v;
    }
  }
  const Sxy = new Float64Array(p * q);
  for (let j = 0; j < q; j++) for (let a = 0; a < p; a++) Sxy[a * q + j] = s[S.sxy + (k * q + j) * p + a];
  const Sxx = new Float64Array(p * p);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) Sxx[a * p + b] = s[S.Sxx + k * p * p + Math.min(a, b) * p + Math.max(a, b)];
  return { s0: s[S.s0 + k], Syy, Sxy, Sxx };
}

/** B_k (p×q, column j = β_kj) from θ. */
function slopes(L: MoeLayout, theta: Float64Array, k: number): Float64Array {
  const { q, p } = L;
  const B = new Float64Array(p * q);
  for (let j = 0; j < q; j++) for (let a = 0; a < p; a++) B[a * q + j] = theta[L.beta + (k * q + j) * p + a];
  return B;
}

/** R(B) = Syy − BᵀSxy − SxyᵀB + BᵀSxxB, dense (q×q). */
function residualCross(L: MoeLayout, st: ReturnType<typeof expertStats>, B: Float64Array): Float64Array {
  const { q, p } = L;
  const R = new Float64Array(q * q);
  for (let i = 0; i < q; i++) {
    for (let j = 0; j < q; j++) {
      let v = st.Syy[i * q + j];
      for (let a = 0; a < p; a++) {
        v -= B[a * q + i] * st.Sxy[a * q + j] + st.Sxy[a * q + i] * B[a * q + j];
        for (let b = 0; b < p; b++) v += B[a * q + i] * st.Sxx[a * p + b] * B[b * q + j];
      }
      R[i * q + j] = v;
    }
  }
  return R;
}

/** The prior's shape Ψ̂ = R/g, g the geometric mean of R's diagonal (docs/COVARIANCE.md). */
function shapeOf(R: Float64Array, q: number): Float64Array {
  let lg = 0;
  for (let i = 0; i < q; i++) lg += Math.log(R[i * q + i]);
  const g = Math.exp(lg / q);
  return R.map((v) => v / g);
}

/**
 * G(B, Σ) of expert k by dense formulas, independent of the solver: ½tr(ΩR(B)) + ½(s0 + ν)log|Σ| +
 * ½νσ0² tr(Ψ̂Ω) + λ1Σ|B_aj| + (λ2/2)ΣB_aj² (a ≥ 1).
 */
function expertG(L: MoeLayout, sur: MoeSurrogate, s: Float64Array, theta: Float64Array, k: number, l1: number, l2: number, nu: number, nuSigma0: number, shape: Float64Array | null): number {
  const { q, p } = L;
  const st = expertStats(L, sur, s, k);
  const B = slopes(L, theta, k);
  const Sig = new Float64Array(q * q);
  expertCovariance(L, theta, k, Sig, 0);
  const Om = inverse(Sig, q);
  const R = residualCross(L, st, B);
  let tr = 0;
  let trPrior = 0;
  for (let i = 0; i < q; i++) {
    for (let j = 0; j < q; j++) {
      tr += Om[i * q + j] * R[j * q + i];
      if (shape !== null) trPrior += Om[i * q + j] * shape[j * q + i];
    }
  }
  let logDet = 0;
  for (let j = 0; j < q; j++) logDet += theta[L.logSigma2 + k * q + j];
  let pen = 0;
  for (let a = 1; a < p; a++) for (let j = 0; j < q; j++) pen += l1 * Math.abs(B[a * q + j]) + 0.5 * l2 * B[a * q + j] ** 2;
  return 0.5 * tr + 0.5 * (st.s0 + nu) * logDet + 0.5 * nuSigma0 * trPrior + pen;
}

/**
 * A statistic averaging n rows with q = 3 responses whose noise has correlations 0.8–0.85 (a fixed
 * factor): even rows follow regime A (means (0.8, −0.6, 0.7)·x1), odd rows regime B
 * ((−0.7, 0.8, −0.5)·x2 + 0.3j) — slope vectors across the noise's high-variance direction (1, 1, 1),
 * which a full Σ makes cheap to drop (docs/SPARSE.md "Full covariance");
 * expert 0 takes 97 % of regime A and 3 % of B, expert 1 the rest (fixed responsibilities, batch EM's
 * statistic), so each expert has one relevant input per response and d − 1 (nearly) irrelevant ones.
 */
function correlatedProblem(d: number, n: number, seed: number, opts: MoeSurrogateOptions) {
  const q = 3;
  const K = 2;
  const L = moeLayout({ K, d, q, covariance: "full" });
  const rng = createRng(seed);
  const X = new Float64Array(n * L.p);
  const Y = new Float64Array(n * q);
  // Σ = 0.25·[[1, .85, .8], [.85, 1, .85], [.8, .85, 1]]: Cholesky factor by hand.
  const corr = [1, 0.85, 0.8, 0.85, 1, 0.85, 0.8, 0.85, 1];
  const F = new Float64Array(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j <= i; j++) {
      let v = 0.25 * corr[i * 3 + j];
      for (let l = 0; l < j; l++) v -= F[i * 3 + l] * F[j * 3 + l];
      F[i * 3 + j] = i === j ? Math.sqrt(v) : v / F[j * 3 + j];
    }
  }
  const z = new Float64Array(3);
  const em = createEmWorkspace(L, n, opts);
  for (let i = 0; i < n; i++) {
    X[i * L.p] = 1;
    for (let a = 1; a < L.p; a++) X[i * L.p + a] = rng.normal();
    for (let j = 0; j < 3; j++) z[j] = rng.normal();
    for (let j = 0; j < q; j++) {
      let e = 0;
      for (let l = 0; l <= j; l++) e += F[j * 3 + l] * z[l];
      const mean = i % 2 === 0 ? [0.8, -0.6, 0.7][j] * X[i * L.p + 1] : [-0.7, 0.8, -0.5][j] * X[i * L.p + 2] + 0.3 * j;
      Y[i * q + j] = mean + e;
    }
    em.tau[i * K] = i % 2 === 0 ? 0.97 : 0.03;
    em.tau[i * K + 1] = 1 - em.tau[i * K];
  }
  expertStatsFromTau(L, em, X, Y, n); // leaves em.ws.rowWeight = 1/n
  return { L, sur: em.sur, ws: em.ws, s: em.s, X, Y, rng };
}

test("q = 1: the full-covariance solver equals the diagonal one (and covariance 'full' runs the diagonal solver bit for bit)", () => {
  for (const [l1, l2, nu] of [[0.05, 0, 0], [0.02, 0.1, 0.003]]) {
    const Ld = moeLayout({ K: 3, d: 6, q: 1 });
    const Lf = moeLayout({ K: 3, d: 6, q: 1, covariance: "full" });
    const rng = createRng(21);
    const n = 300;
    const X = new Float64Array(n * Ld.p);
    const Y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      X[i * Ld.p] = 1;
      for (let a = 1; a < Ld.p; a++) X[i * Ld.p + a] = rng.normal();
      Y[i] = (i % 3 === 0 ? X[i * Ld.p + 1] : -0.7 * X[i * Ld.p + 3]) + 0.4 * rng.normal();
    }
    const anchor = new Float64Array(Ld.size);
    for (let i = 0; i < Ld.size; i++) anchor[i] = 0.3 * rng.normal();
    const sur = moeSurrogate(Ld, { l1, l2 });
    const s = new Float64Array(sur.statSize);
    batchStats(sur, anchor, X, Ld.p, Y, 1, n, s); // same statistic layout for both (no syx block at q = 1)
    for (const opts of [{ l1, l2 }, { l1, l2, lassoSweeps: 1, lassoRounds: 1 }]) {
      const lz = createLassoWorkspace(Ld, opts)!;
      const lzf = createLassoWorkspace(Lf, opts)!;
      lz.par.set([nu, nu * 0.1, 1e-6, 1e-8]); // [ν, νσ0², σ²_min, deadTol]
      lzf.par.set([nu, nu * 0.1, 1e-6, 1e-8]);
      const a = anchor.slice();
      const b = anchor.slice();
      penalizedExperts(Ld, sur.stats, s, a, lz);
      penalizedExpertsFull(Lf, sur.stats, s, b, lzf, createFullLassoWorkspace(Lf));
      // Same updates, different rounding: z/σ² then ·σ² (module comment of moe-lasso-full.ts) and
      // Σ read back through exp(log σ²); at convergence both solve the same fixed point to far below
      // the stopping rule's 1e-10 noise sds, so the coefficients agree to rounding of O(1) sums.
      assertAllClose(b, a, 1e-12, 1e-12, `θ (l1 ${l1}, l2 ${l2}, ν ${nu}, sweeps ${opts.lassoSweeps ?? "∞"})`);
      for (let i = 0; i < Ld.size; i++) if (a[i] === 0) assert.equal(b[i], 0, `exact zero at ${i}`);
      assert.ok(a.some((v, i) => v === 0 && i >= Ld.beta && i < Ld.logSigma2), "no exact zero: the check would be empty");
      // Through the surrogate: q = 1 full dispatches to the diagonal solver, bit for bit.
      const c = anchor.slice();
      const d = anchor.slice();
      const sd = moeSurrogate(Ld, { ...opts, variancePrior: 0 });
      const sf = moeSurrogate(Lf, { ...opts, variancePrior: 0 });
      sd.mstepExperts(s, c, sd.createWorkspace());
      sf.mstepExperts(s, d, sf.createWorkspace());
      assert.deepEqual(Array.from(d), Array.from(c));
    }
  }
});

test("KKT conditions at the converged M-step, q = 3 with correlated noise: |(CΩ)_aj| ≤ λ1 at zeros, (CΩ)_aj − λ2B_aj = λ1·sign elsewhere, free intercepts, Σ stationary", (t) => {
  for (const [l1, l2, c] of [[0.3, 0, 0], [0.2, 0.2, 0], [0.3, 0, 0.5]]) {
    const { L, sur, ws, s } = correlatedProblem(6, 400, 5, { l1, l2, variancePrior: c, priorVariance: 0.1 });
    const { K, q, p } = L;
    // Warm start: the unpenalized M-step (least-squares B, MAP Σ), as the initialization's continuation.
    const theta = new Float64Array(L.size);
    const plain = moeSurrogate(L, { variancePrior: c, priorVariance: 0.1 });
    const pws = plain.createWorkspace();
    pws.rowWeight[0] = ws.rowWeight[0];
    assert.ok(plain.mstepExperts(s, theta, pws));
    const nu = c * p * ws.rowWeight[0];
    const shapes = Array.from({ length: K }, (_, k) => shapeOf(residualCross(L, expertStats(L, sur, s, k), slopes(L, theta, k)), q)); // Ψ̂ at the warm start
    assert.ok(sur.mstepExperts(s, theta, ws));
    let zeros = 0;
    let active = 0;
    let worstKkt = 0; // largest KKT residual / scale
    let worstSigma = 0; // largest |Σ − target| / max target
    for (let k = 0; k < K; k++) {
      const st = expertStats(L, sur, s, k);
      const B = slopes(L, theta, k);
      const Sig = new Float64Array(q * q);
      expertCovariance(L, theta, k, Sig, 0);
      const Om = inverse(Sig, q);
      // Strong correlation really is there: |corr| of the fitted Σ_k above 0.5 somewhere.
      assert.ok(Math.abs(Sig[1]) / Math.sqrt(Sig[0] * Sig[4]) > 0.5, `expert ${k}: fitted Σ is not correlated`);
      // Gradient scale: the stopping rules leave each coefficient within ~1e-10 conditional noise sds of
      // its block minimizer and Σ within 1e-10 relative, so the gradients (CΩ)_aj, of size Ω_jj Sxx_aa ×
      // (coefficient error), are off by ~1e-10·max(Ω_jj Sxx_aa) (measured: the diagnostic); 1e-9 of
      // that scale leaves a factor 10 for the linear-convergence tail of the cyclic sweeps.
      let scale = 0;
      for (let j = 0; j < q; j++) for (let a = 0; a < p; a++) scale = Math.max(scale, Om[j * q + j] * st.Sxx[a * p + a]);
      const tol = 1e-9 * scale;
      for (let j = 0; j < q; j++) {
        for (let a = 0; a < p; a++) {
          let g = 0; // (CΩ)_aj with C = Sxy − Sxx B
          for (let l = 0; l < q; l++) {
            let cal = st.Sxy[a * q + l];
            for (let b = 0; b < p; b++) cal -= st.Sxx[a * p + b] * B[b * q + l];
            g += cal * Om[l * q + j];
          }
          const bj = B[a * q + j];
          const residual = a === 0 ? Math.abs(g) : bj === 0 ? Math.max(0, Math.abs(g) - l1) : Math.abs(g - l2 * bj - l1 * Math.sign(bj));
          worstKkt = Math.max(worstKkt, residual / scale);
          if (a === 0) assertClose(g, 0, tol, 0, `intercept gradient k=${k} j=${j}`);
          else if (bj === 0) {
            zeros++;
            assert.ok(Math.abs(g) <= l1 + tol, `zero slope (${a}, ${j}) of expert ${k}: |(CΩ)| = ${Math.abs(g)} > λ1 = ${l1}`);
          } else {
            active++;
            assertClose(g - l2 * bj, l1 * Math.sign(bj), tol, 0, `active slope (${a}, ${j}) of expert ${k}`);
          }
        }
      }
      // Σ stationary: Σ = (R(B) + νσ0²Ψ̂)/(s0 + ν) (no pivot near the floor here). The M-step ends with a
      // Σ-step at the final B, so this holds to the rounding of R(B) (two routes) and the Cholesky round
      // trip of θ: 1e-12 of Σ's scale (measured: the diagnostic).
      const R = residualCross(L, st, B);
      const target = R.map((v, i) => (v + (nu > 0 ? nu * 0.1 * shapes[k][i] : 0)) / (st.s0 + nu));
      for (let i = 0; i < q * q; i++) worstSigma = Math.max(worstSigma, Math.abs(Sig[i] - target[i]) / Math.max(...target));
      assertAllClose(Sig, target, 1e-12 * Math.max(...target), 0, `Σ_${k} stationary`);
    }
    // One input per expert drives the means (the other's 3 % leaks in): at λ1 ≈ 2 standard errors (the
    // noise sd of (CΩ)_aj, √(Ω_jj Sxx_aa/n), is 0.14–0.16 here; λ1 = 0.2–0.3) the
    // 2·3·4 truly irrelevant slopes must be exactly 0 (the warm start has none) and all 6 relevant ones kept.
    t.diagnostic(`l1 ${l1}, l2 ${l2}, c ${c}: KKT residual ≤ ${worstKkt.toExponential(1)}·scale, Σ residual ≤ ${worstSigma.toExponential(1)}; ${zeros} zeros, ${active} active`);
    assert.ok(zeros >= 24, `only ${zeros} exact zeros`);
    assert.ok(active >= 6, `only ${active} nonzero slopes`);
  }
});

test("the M-step decreases the penalized surrogate G from random starts; more rounds never increase it; converged beats one sweep", () => {
  for (const c of [0, 0.5]) {
    const l1 = 0.04;
    const l2 = 0.02;
    const { L, s, rng } = correlatedProblem(5, 300, 9, { variancePrior: c });
    const { K, q, p } = L;
    const nu = (c * p) / 300;
    for (let trial = 0; trial < 5; trial++) {
      const start = new Float64Array(L.size);
      for (let i = 0; i < L.size; i++) start[i] = 0.5 * rng.normal();
      const sur0 = moeSurrogate(L, { l1, l2, variancePrior: c, priorVariance: 0.1 });
      const shapes = Array.from({ length: K }, (_, k) => shapeOf(residualCross(L, expertStats(L, sur0, s, k), slopes(L, start, k)), q));
      const G = (th: Float64Array) => {
        let v = 0;
        for (let k = 0; k < K; k++) v += expertG(L, sur0, s, th, k, l1, l2, nu, nu * 0.1, nu > 0 ? shapes[k] : null);
        return v;
      };
      const run = (opts: MoeSurrogateOptions) => {
        const sur = moeSurrogate(L, { l1, l2, variancePrior: c, priorVariance: 0.1, ...opts });
        const ws = sur.createWorkspace();
        ws.rowWeight[0] = 1 / 300;
        const th = start.slice();
        assert.ok(sur.mstepExperts(s, th, ws));
        return th;
      };
      const g0 = G(start);
      let prev = g0;
      // Each round is one B-sweep and one Σ-step, both exact block minimizations of the same G (Ψ̂ fixed
      // at the start): G is non-increasing in the number of rounds. Slack: rounding of sums of O(10) terms.
      for (let rounds = 1; rounds <= 6; rounds++) {
        const g = G(run({ lassoSweeps: 1, lassoRounds: rounds }));
        assert.ok(g <= prev + 1e-12 * (1 + Math.abs(prev)), `trial ${trial} ν ${nu}: G rose from ${prev} to ${g} at round ${rounds}`);
        prev = g;
      }
      const one = G(run({ lassoSweeps: 1, lassoRounds: 1 }));
      const conv = G(run({}));
      assert.ok(one < g0 - 0.1, `one sweep from a random start gained only ${g0 - one}`);
      // To convergence must beat one sweep by more than rounding (random starts are far from the minimizer).
      assert.ok(conv < one - 1e-6, `converged G ${conv} not below one sweep's ${one}`);
      assert.ok(conv <= prev + 1e-12 * (1 + Math.abs(prev)), "converged G above six rounds'");
      if (c === 0) {
        // Without the prior the surrogate's own objective is G + the gate part (untouched by mstepExperts).
        const sur = moeSurrogate(L, { l1, l2, variancePrior: 0 });
        const ws = sur.createWorkspace();
        const th = run({});
        assertClose(sur.objective(start, s, ws) - sur.objective(th, s, ws), g0 - conv, 1e-10, 1e-10, "objective agrees with G");
      }
    }
  }
});

/**
 * A K-expert spec with q = 3 responses, noise sds (0.5, 0.4, 0.6) with all correlations 0.8 in every
 * expert, and sparse slopes: expert k uses only the inputs in relevant[k] (the gate uses all inputs).
 */
function sparseCorrelatedSpec(K: number, d: number, relevant: number[][], seed: number) {
  const base = randomMoeSpec(K, d, 3, createRngPublic(seed), { noise: 0.5 });
  const beta = base.params.beta.map((bk, k) => bk.map((row) => row.map((v, a) => (a === 0 || relevant[k].includes(a - 1) ? v : 0))));
  const sd = [0.5, 0.4, 0.6];
  const covariance = Array.from({ length: K }, () => sd.map((si, i) => sd.map((sj, j) => (i === j ? 1 : 0.8) * si * sj)));
  const params: MoeParameters = { ...base.params, beta, sigma2: covariance.map((S) => S.map((r, j) => r[j])), covariance };
  return { ...base, params };
}

test("penalized batch EM with a full Σ_k is monotone in mean NLL + penalty and ends sparse", (t) => {
  const K = 2;
  const d = 6;
  const q = 3;
  const n = 800;
  const spec = sparseCorrelatedSpec(K, d, [[0, 1], [2, 3]], 7);
  const data = sampleSynthetic(spec, n, createRngPublic(8));
  const L = moeLayout({ K, d, q, covariance: "full" });
  const X = new Float64Array(n * L.p);
  for (let i = 0; i < n; i++) {
    X[i * L.p] = 1;
    for (let a = 0; a < d; a++) X[i * L.p + 1 + a] = data.X[i * d + a];
  }
  for (const [l1, l2] of [[0.05, 0], [0.1, 0.1]]) {
    const theta = thetaFromParameters(L, spec.params);
    const rng = createRngPublic(9);
    for (let i = 0; i < L.size; i++) theta[i] = i < L.beta ? 0.2 * theta[i] : i < L.logSigma2 ? rng.normal() : 0.5 * theta[i]; // far from the optimum: flat gate, random B, shrunk Σ
    // variancePrior 0: the MAP prior's shape Ψ̂ comes from the statistic, which moves between EM
    // iterations, so with it the EM objective is not a fixed function (unpenalized full EM shows the
    // same ~1e-7 rises; docs/SPARSE.md "Full covariance"). Without it G is exact and EM must be monotone.
    const res = batchEM(L, theta, X, data.Y, n, { l1, l2, variancePrior: 0, maxIter: 300 });
    assert.deepEqual(res.violations, [], `EM objective increased (l1 ${l1}, l2 ${l2})`);
    assert.ok(res.converged, "EM did not converge");
    assert.ok(res.history[res.history.length - 1] < res.history[0] - 1, "EM did not improve the objective from the shrunk start");
    // The objective is mean NLL + P(β): check the last value independently.
    const last = meanNll(L, theta, X, data.Y, n, moeSurrogate(L).createWorkspace()) + elasticNetPenalty(L, theta, l1, l2);
    assertClose(res.history[res.history.length - 1], last, 1e-12, 1e-12, "EM objective = mean NLL + penalty");
    let zeros = 0;
    for (let k = 0; k < K; k++) for (let j = 0; j < q; j++) for (let a = 1; a <= d; a++) if (theta[L.beta + (k * q + j) * L.p + a] === 0) zeros++;
    t.diagnostic(`l1 ${l1}, l2 ${l2}: ${res.iterations} EM iterations, objective ${res.history[0].toFixed(4)} → ${res.history[res.history.length - 1].toFixed(6)}, ${zeros} slopes at 0`);
    // 2·3·4 = 24 truly-zero slopes (measured: the diagnostic); the start has none at 0.
    assert.ok(zeros >= 12, `${zeros} of 24 irrelevant slopes are exactly 0`);
  }
});

test("end to end (q = 3, noise correlations 0.8, 3 of 10 inputs per expert): full Σ_k with l1 gives exact zeros and beats the diagonal model", (t) => {
  const K = 2;
  const d = 10;
  const q = 3;
  const relevant = [[0, 1, 2], [3, 4, 5]];
  const spec = sparseCorrelatedSpec(K, d, relevant, 101);
  const train = sampleSynthetic(spec, 3000, createRngPublic(201));
  const test = sampleSynthetic(spec, 5000, createRngPublic(301));
  const truth = parametersNll(spec.params, test.X, test.Y, test.n);
  const fit = (covariance: "full" | "diagonal") => {
    // λ1 = 0.1: about 2 standard errors of a slope here (docs/SPARSE.md "What λ means").
    const m = new MoeRegressor({ nExperts: K, seed: 1, covariance, l1: 0.1 });
    m.fit(train.X, train.Y, train.n, { epochs: 5 });
    return { excess: m.score(test.X, test.Y, test.n) - truth, beta: m.parameters().beta };
  };
  const full = fit("full");
  const diag = fit("diagonal");
  // Measured (the diagnostics below): full ≈ 0.02 nats above the truth, diagonal ≈ 1.2. Before the
  // full-covariance solver the penalized full fit was ≈ 0.5 above (the diagonal solver's marginal
  // variances in the pivots and a stale Cholesky block); 0.15 separates the two; an unfitted model
  // is nats away.
  assert.ok(full.excess < 0.15, `full + l1: held-out excess ${full.excess} nats over the truth`);
  assert.ok(diag.excess - full.excess > 0.5, `full (${full.excess}) not clearly better than diagonal (${diag.excess})`);
  // Match the fitted experts to the truth (K = 2: the better of the two assignments), then count exact zeros.
  const dist = (k: number, t: number) => {
    let v = 0;
    for (let j = 0; j < q; j++) for (let a = 1; a <= d; a++) v += (full.beta[k][j][a] - spec.params.beta[t][j][a]) ** 2;
    return v;
  };
  const perm = dist(0, 0) + dist(1, 1) <= dist(0, 1) + dist(1, 0) ? [0, 1] : [1, 0];
  let zeros = 0;
  let kept = 0;
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < q; j++) {
      for (let a = 1; a <= d; a++) {
        const truthZero = spec.params.beta[perm[k]][j][a] === 0;
        if (truthZero && full.beta[k][j][a] === 0) zeros++;
        if (!truthZero && full.beta[k][j][a] !== 0) kept++;
      }
    }
  }
  t.diagnostic(`held-out excess over the truth: full ${full.excess.toFixed(4)}, diagonal ${diag.excess.toFixed(4)}; full: ${zeros} of 42 truly-zero slopes at 0, ${kept} of 18 relevant kept`);
  // 2·3·7 = 42 truly-zero slopes (measured ~30 at 0) and 18 relevant ones (measured all kept); a dense
  // (unpenalized or unfitted) model has no exact zero.
  assert.ok(zeros >= 22, `only ${zeros} of 42 truly-zero slopes are exactly 0`);
  assert.ok(kept >= 16, `only ${kept} of 18 relevant slopes kept`);
});

test("with a penalty and a full Σ_k the fast solver gives the exact solver's θ along an ISMM stream (the Cholesky block is restored too)", () => {
  const K = 2;
  const d = 6;
  const q = 3;
  const spec = sparseCorrelatedSpec(K, d, [[0, 1], [2, 3]], 17);
  const n = 1500;
  const data = sampleSynthetic(spec, n, createRngPublic(18));
  const L = moeLayout({ K, d, q, covariance: "full" });
  const X = new Float64Array(n * L.p);
  for (let i = 0; i < n; i++) {
    X[i * L.p] = 1;
    for (let a = 0; a < d; a++) X[i * L.p + 1 + a] = data.X[i * d + a];
  }
  const theta0 = thetaFromParameters(L, spec.params);
  const opts = { l1: 0.05, variancePrior: 0.05, lassoSweeps: 1, lassoRounds: 1 };
  const run = (fast: boolean) => {
    const sur = fast ? moeFastSurrogate(L, opts) : moeSurrogate(L, opts);
    const ws = sur.createWorkspace();
    const s = new Float64Array(sur.statSize);
    batchStats(sur as never, theta0, X, L.p, data.Y, q, 200, s, ws as never);
    const st = ismmInit(sur as never, theta0, s, 200);
    const cfg = { schedule: { gamma0: 0.25, alpha: 0.6 }, burnIn: 0, averageFrom: null };
    for (let i = 200; i < n; i++) ismmStep(sur as never, cfg, st, X, i * L.p, data.Y, i * q, ws as never);
    return st.theta;
  };
  const exact = run(false);
  const fast = run(true);
  // Both paths run the same solver from the same warm start on statistics equal to ~1e-13
  // (moe-fast.test.ts); one sweep per row is a smooth map of them, so θ agrees far below 1e-7.
  assertAllClose(fast, exact, 1e-7, 0, "θ fast vs exact");
  let zeros = 0;
  for (let i = L.beta; i < L.logSigma2; i++) if ((i - L.beta) % L.p !== 0 && exact[i] === 0) zeros++;
  assert.ok(zeros > 0, "λ1 = 0.05 on 36 slopes produced no exact zero");
  // The Σ_k are really full: some fitted correlation above 0.5 (the truth's are 0.8).
  const Sig = new Float64Array(q * q);
  expertCovariance(L, exact, 0, Sig, 0);
  assert.ok(Math.abs(Sig[1]) / Math.sqrt(Sig[0] * Sig[4]) > 0.5, "fitted Σ_0 is not correlated");
});
