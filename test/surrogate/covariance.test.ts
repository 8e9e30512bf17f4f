/**
 * Full expert covariance (docs/COVARIANCE.md): the E-step against a hand-computed bivariate normal
 * density, the M-step against the closed-form weighted batch reference, the inverse-Wishart prior,
 * surrogate majorization/tightness/tangency with a full Σ_k, and q = 1 full = diagonal bit for bit.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createRng, type Rng } from "../../src/core/rng.js";
import { OptionError } from "../../src/core/errors.js";
import { moeLayout, type MoeLayout } from "../../src/model/dims.js";
import { createRowWorkspace, rowNll } from "../../src/model/moe.js";
import { parametersFromTheta, thetaFromParameters } from "../../src/model/parameters.js";
import { moeSurrogate } from "../../src/surrogate/moe.js";
import { moeFastSurrogate } from "../../src/surrogate/moe-fast.js";
import type { Surrogate } from "../../src/surrogate/types.js";
import { createEmWorkspace, mStepFromTau } from "../../src/mm/batch-em.js";
import { MoeRegressor } from "../../src/estimators/moe-regressor.js";
import { sampleSynthetic, randomMoeSpec } from "../../src/stream/synthetic.js";
import { assertAllClose, assertClose } from "../helpers.js";

test("E-step: the loss and responsibilities are those of a hand-computed bivariate normal mixture", () => {
  // K = 2, d = 1, q = 2. Expert 1: Σ = [[1, 0.6], [0.6, 0.5]]; expert 2: Σ = [[0.3, −0.2], [−0.2, 2]].
  const L = moeLayout({ K: 2, d: 1, q: 2, covariance: "full" });
  const S1 = [[1, 0.6], [0.6, 0.5]];
  const S2 = [[0.3, -0.2], [-0.2, 2]];
  const P = { gate: [[0.4, -1.2]], beta: [[[0.5, 1], [-1, 2]], [[1.5, -0.5], [0, 0.3]]], sigma2: [[1, 0.5], [0.3, 2]], covariance: [S1, S2] };
  const theta = thetaFromParameters(L, P);
  const x = [1, 0.7];
  const y = [1.1, 0.2];
  // By hand: N2(y; μ, Σ) = exp(−½ rᵀΣ⁻¹r) / (2π √det Σ), Σ⁻¹ of a 2×2 by the adjugate.
  const dens = (mu: number[], S: number[][]) => {
    const det = S[0][0] * S[1][1] - S[0][1] * S[1][0];
    const r0 = y[0] - mu[0];
    const r1 = y[1] - mu[1];
    const quad = (S[1][1] * r0 * r0 - 2 * S[0][1] * r0 * r1 + S[0][0] * r1 * r1) / det;
    return Math.exp(-0.5 * quad) / (2 * Math.PI * Math.sqrt(det));
  };
  const eta = 0.4 - 1.2 * 0.7;
  const pi1 = Math.exp(eta) / (1 + Math.exp(eta));
  const mu1 = [0.5 + 1 * 0.7, -1 + 2 * 0.7];
  const mu2 = [1.5 - 0.5 * 0.7, 0 + 0.3 * 0.7];
  const j1 = pi1 * dens(mu1, S1);
  const j2 = (1 - pi1) * dens(mu2, S2);
  const ws = createRowWorkspace(L);
  const f = rowNll(L, theta, x, 0, y, 0, ws);
  // Same formula by two routes: agreement to rounding (a few ulps of values O(1)).
  assertClose(f, -Math.log(j1 + j2), 1e-13, 0, "loss");
  assertAllClose(ws.a, [j1 / (j1 + j2), j2 / (j1 + j2)], 1e-13, 0, "responsibilities");
  // And the parameters round-trip: parametersFromTheta gives back Σ_k (symmetric, to rounding).
  const back = parametersFromTheta(L, theta);
  assertAllClose(back.covariance!.flat(2), [S1, S2].flat(2), 1e-14, 1e-14, "Σ round trip");
  assertAllClose(back.sigma2.flat(), [1, 0.5, 0.3, 2], 1e-14, 1e-14, "marginal variances");
});

test("thetaFromParameters refuses a covariance that is not positive definite or not symmetric", () => {
  const L = moeLayout({ K: 1, d: 0, q: 2, covariance: "full" });
  const base = { gate: [], beta: [[[0], [0]]], sigma2: [[1, 1]] };
  assert.throws(() => thetaFromParameters(L, { ...base, covariance: [[[1, 1.5], [1.5, 1]]] }), /positive definite/);
  assert.throws(() => thetaFromParameters(L, { ...base, covariance: [[[1, 0.5], [0.4, 1]]] }), /symmetric/);
  const Ld = moeLayout({ K: 1, d: 0, q: 2 });
  assert.throws(() => thetaFromParameters(Ld, { ...base, covariance: [[[1, 0.5], [0.5, 1]]] }), /diagonal/);
});

/** Solves A x = b (n×n, row-major) by Gaussian elimination with partial pivoting — an independent reference. */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[piv][c])) piv = r;
    [M[c], M[piv]] = [M[piv], M[c]];
    for (let r = c + 1; r < n; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r][n];
    for (let k = r + 1; k < n; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x;
}

test("M-step against the weighted batch reference: B = (XᵀWX)⁻¹XᵀWY, Σ = (Q + νσ0²Q/g)/(Σw + ν), Q = RᵀWR", () => {
  const rng = createRng(41);
  const n = 12;
  const d = 2;
  const q = 3;
  const p = d + 1;
  const X = Array.from({ length: n }, () => [1, ...Array.from({ length: d }, () => rng.normal())]);
  const Y = Array.from({ length: n }, () => Array.from({ length: q }, () => rng.normal()));
  const w = Array.from({ length: n }, () => 0.2 + rng.next());
  for (const c of [0, 0.7]) {
    const L = moeLayout({ K: 1, d, q, covariance: "full" });
    const sigma0 = 0.3;
    const surs: Surrogate<unknown>[] = [moeSurrogate(L, { variancePrior: c, priorVariance: sigma0 }), moeFastSurrogate(L, { variancePrior: c, priorVariance: sigma0 }) as unknown as Surrogate<unknown>];
    for (const sur of surs) {
      const ws = sur.createWorkspace();
      const s = new Float64Array(sur.statSize);
      const theta = new Float64Array(L.size);
      // K = 1: τ = 1, so blending (a, b) = (1, w_i) adds w_i·S̄(x_i, y_i); the prior weight is ν = c·p·b of the last row.
      for (let i = 0; i < n; i++) sur.accumulate(s, 1, w[i], theta, X[i], 0, Y[i], 0, ws);
      assert.ok(sur.mstep(s, theta, ws));
      const nu = c * p * w[n - 1];
      // Reference.
      const G = Array.from({ length: p }, (_, a) => Array.from({ length: p }, (_, b) => X.reduce((acc, xi, i) => acc + w[i] * xi[a] * xi[b], 0)));
      const B = Array.from({ length: q }, (_, j) => solve(G, Array.from({ length: p }, (_, a) => X.reduce((acc, xi, i) => acc + w[i] * xi[a] * Y[i][j], 0))));
      const R = X.map((xi, i) => Array.from({ length: q }, (_, j) => Y[i][j] - B[j].reduce((acc, b, a) => acc + b * xi[a], 0)));
      const sw = w.reduce((a, b) => a + b, 0);
      // The prior's shape is the residual cross-product matrix itself, scaled to geometric-mean diagonal 1.
      const Q = Array.from({ length: q }, (_, a) => Array.from({ length: q }, (_, b) => R.reduce((acc, r, i) => acc + w[i] * r[a] * r[b], 0)));
      const g = Math.pow(Q[0][0] * Q[1][1] * Q[2][2], 1 / 3);
      const Sig = Q.map((row) => row.map((v) => (v + nu * sigma0 * (v / g)) / (sw + nu)));
      const P = parametersFromTheta(L, theta);
      // Both routes solve the same 3×3 normal equations (condition number O(10)): agreement to ~1e-12.
      assertAllClose(P.beta[0].flat(), B.flat(), 1e-12, 1e-12, `β (${sur.name}, c = ${c})`);
      assertAllClose(P.covariance![0].flat(), Sig.flat(), 1e-12, 1e-12, `Σ (${sur.name}, c = ${c})`);
    }
  }
});

test("batch EM M-step with fixed responsibilities gives each expert its weighted Σ_k (K = 2)", () => {
  const rng = createRng(5);
  const n = 40;
  const L = moeLayout({ K: 2, d: 1, q: 2, covariance: "full" });
  const X = new Float64Array(n * 2);
  const Y = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    X[2 * i] = 1;
    X[2 * i + 1] = rng.normal();
    const z = rng.normal();
    Y[2 * i] = X[2 * i + 1] + z;
    Y[2 * i + 1] = 0.5 * z + 0.3 * rng.normal();
  }
  const em = createEmWorkspace(L, n);
  for (let i = 0; i < n; i++) {
    const t = 0.1 + 0.8 * rng.next();
    em.tau[2 * i] = t;
    em.tau[2 * i + 1] = 1 - t;
  }
  const theta = new Float64Array(L.size);
  mStepFromTau(L, theta, X, Y, n, em);
  const P = parametersFromTheta(L, theta);
  for (let k = 0; k < 2; k++) {
    const W = Array.from({ length: n }, (_, i) => em.tau[2 * i + k]);
    const G = [0, 1].map((a) => [0, 1].map((b) => W.reduce((acc, wi, i) => acc + wi * X[2 * i + a] * X[2 * i + b], 0)));
    const B = [0, 1].map((j) => solve(G, [0, 1].map((a) => W.reduce((acc, wi, i) => acc + wi * X[2 * i + a] * Y[2 * i + j], 0))));
    const R = W.map((_, i) => [0, 1].map((j) => Y[2 * i + j] - B[j][0] - B[j][1] * X[2 * i + 1]));
    const sw = W.reduce((a, b) => a + b, 0);
    const Sig = [0, 1].map((a) => [0, 1].map((b) => R.reduce((acc, r, i) => acc + W[i] * r[a] * r[b], 0) / sw));
    // Well-conditioned 2×2 systems: agreement to ~1e-12.
    assertAllClose(P.covariance![k].flat(), Sig.flat(), 1e-12, 1e-12, `Σ_${k + 1}`);
    // The data's noise correlation is 0.5/√(0.25 + 0.09) ≈ 0.86: a model that learned nothing of it has r ≈ 0.
    assert.ok(Sig[0][1] / Math.sqrt(Sig[0][0] * Sig[1][1]) > 0.6);
  }
});

function randomTheta(L: MoeLayout, rng: Rng, scale: number): Float64Array {
  const t = new Float64Array(L.size);
  for (let i = 0; i < L.size; i++) t[i] = scale * rng.normal();
  return t;
}

for (const [K, d, q] of [[2, 1, 2], [3, 2, 3]] as const) {
  test(`majorization, tightness and tangency with a full Σ_k (K=${K}, d=${d}, q=${q})`, () => {
    const L = moeLayout({ K, d, q, covariance: "full" });
    const sur = moeSurrogate(L);
    const rng = createRng(300 + 10 * K + q);
    for (let trial = 0; trial < 40; trial++) {
      const anchor = randomTheta(L, rng, 1);
      const x = [1, ...Array.from({ length: d }, () => 2 * rng.normal())];
      const y = Array.from({ length: q }, () => 2 * rng.normal());
      const ws = sur.createWorkspace();
      const s = new Float64Array(sur.statSize);
      const fBar = sur.accumulate(s, 0, 1, anchor, x, 0, y, 0, ws);
      const c = fBar - sur.objective(anchor, s, ws);
      const g = (th: Float64Array) => sur.objective(th, s, ws) + c;
      const f = (th: Float64Array) => sur.loss(th, x, 0, y, 0, ws);
      // Tightness: g(θ̄) = f(θ̄) up to rounding of sums of O(10) terms.
      assertClose(g(anchor), f(anchor), 1e-10, 1e-12, "tightness");
      for (let j = 0; j < 5; j++) {
        for (const pt of [randomTheta(L, rng, 1), anchor.map((v) => v + 0.05 * rng.normal())]) {
          const gap = f(pt) - g(pt);
          assert.ok(gap <= 1e-10 * (1 + Math.abs(f(pt))), `majorization violated by ${gap}`);
        }
      }
      // Tangency: central differences, h = 1e-5 (truncation O(h²) ≈ 1e-9, rounding O(ε|f|/h) ≈ 1e-10).
      const h = 1e-5;
      for (let j = 0; j < 4; j++) {
        const dir = new Float64Array(L.size).map(() => rng.normal());
        const nrm = Math.hypot(...dir);
        for (let i = 0; i < dir.length; i++) dir[i] /= nrm;
        const plus = anchor.map((v, i) => v + h * dir[i]);
        const minus = anchor.map((v, i) => v - h * dir[i]);
        assertClose((g(plus) - g(minus)) / (2 * h), (f(plus) - f(minus)) / (2 * h), 1e-6, 1e-6, "tangency");
      }
    }
  });
}

test("the full M-step minimizes the penalized surrogate: no perturbation of θ̄(s) lowers it", () => {
  const L = moeLayout({ K: 2, d: 1, q: 3, covariance: "full" });
  const sur = moeSurrogate(L, { variancePrior: 0.5, priorVariance: 0.2 });
  const rng = createRng(17);
  const ws = sur.createWorkspace();
  const s = new Float64Array(sur.statSize);
  const anchor = randomTheta(L, rng, 0.5);
  for (let i = 0; i < 200; i++) {
    const x = [1, rng.normal()];
    const y = [rng.normal(), 0, 0];
    y[1] = 0.8 * y[0] + 0.3 * rng.normal();
    y[2] = -0.5 * y[1] + 0.5 * rng.normal();
    sur.accumulate(s, 1 - 1 / (i + 1), 1 / (i + 1), anchor, x, 0, y, 0, ws);
  }
  const theta = new Float64Array(L.size);
  assert.ok(sur.mstep(s, theta, ws));
  const best = sur.objective(theta, s, ws);
  for (let t = 0; t < 300; t++) {
    const scale = [1e-4, 1e-2, 0.3][t % 3];
    const pt = theta.map((v) => v + scale * rng.normal());
    // θ̄(s) is the exact minimizer in Σ and β (the gate part is Böhning's closed form): rounding slack only.
    assert.ok(sur.objective(pt, s, ws) >= best - 1e-12 * (1 + Math.abs(best)), `perturbation ${scale} lowered the surrogate`);
  }
});

test("q = 1: covariance 'full' is the diagonal model bit for bit (ISMM exact and fast, EM)", () => {
  const rng = createRng(8);
  const spec = randomMoeSpec(2, 2, 1, rng);
  const data = sampleSynthetic(spec, 2500, createRng(9));
  for (const opts of [{ method: "ismm" as const, solver: "fast" as const }, { method: "ismm" as const, solver: "exact" as const }, { method: "em" as const }]) {
    const fits = (["diagonal", "full"] as const).map((covariance) =>
      new MoeRegressor({ nExperts: 2, seed: 3, covariance, ...opts }).fit(data.X, data.Y, data.n),
    );
    const { covariance, ...rest } = fits[1].parameters();
    assert.deepEqual(rest, fits[0].parameters(), `parameters (${JSON.stringify(opts)})`);
    assert.deepEqual(covariance, rest.sigma2.map((v) => [v]), "Σ_k = [σ²_k]");
    assert.equal(fits[1].score(data.X, data.Y, data.n), fits[0].score(data.X, data.Y, data.n));
  }
});

test("the gradient methods refuse covariance 'full' with an OptionError naming the option", () => {
  for (const method of ["sgd", "adam"] as const) {
    assert.throws(() => new MoeRegressor({ method, covariance: "full" }), (e: unknown) => e instanceof OptionError && /covariance 'full'/.test(e.message));
  }
});

/**
 * The fast ISMM step with a full covariance allocates nothing per row: the same method and pass
 * rule as moe-fast.test.ts's no-allocation test (no GC during 2e5 rows, heapUsed growth < 64 KiB,
 * and an allocating control must fail the same check), in moe-fast-alloc.child.ts with "full" (q = 3).
 */
for (const l1 of ["0", "0.03"]) {
  test(`the fast ISMM step with covariance 'full'${l1 === "0" ? "" : " and the elastic net (λ1 = 0.03)"} allocates nothing per row (child process with --expose-gc)`, () => {
    const child = fileURLToPath(new URL("./moe-fast-alloc.child.ts", import.meta.url));
    const out = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", child, l1, "full"], { encoding: "utf8", timeout: 300_000 });
    assert.equal(out.status, 0, `child failed: ${out.stderr}`);
    const res = JSON.parse(out.stdout.trim().split("\n").pop() ?? "") as { fast: { gcs: number; growth: number }[]; control: { gcs: number; growth: number }[] };
    const clean = (m: { gcs: number; growth: number }) => m.gcs === 0 && m.growth < 64 * 1024;
    assert.ok(res.fast.some(clean), `fast step allocates: ${JSON.stringify(res.fast)}`);
    assert.ok(!res.control.some(clean), `the allocating control was not detected: ${JSON.stringify(res.control)}`);
  });
}

test("a row far from every expert: loss +∞, responsibilities one-hot on the smallest whitened residual, no NaN", () => {
  const L = moeLayout({ K: 2, d: 0, q: 2, covariance: "full" });
  // Expert 1: tight and strongly correlated around (0, 0); expert 2: wide around (0, 0).
  const P = { gate: [[0]], beta: [[[0], [0]], [[0], [0]]], sigma2: [[1e-4, 1e-4], [1, 1]], covariance: [[[1e-4, 0.9e-4], [0.9e-4, 1e-4]], [[1, 0], [0, 1]]] };
  const theta = thetaFromParameters(L, P);
  const ws = createRowWorkspace(L);
  // ‖z‖² overflows for both experts (z ≈ 1e200 for expert 2, ≈ 1e202 for expert 1): every joint density underflows.
  const f = rowNll(L, theta, [1], 0, [1e200, -1e200], 0, ws);
  assert.equal(f, Infinity);
  assert.deepEqual(Array.from(ws.a), [0, 1]);
});
