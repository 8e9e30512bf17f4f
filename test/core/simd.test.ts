/**
 * The WebAssembly SIMD kernels (src/core/wasm/) against the TypeScript / asm.js reference:
 * kernel by kernel, over 1e5 rows of the fast ISMM update, and the forced fallback (switch and
 * ISMM_SIMD=0). Every engine this project supports (Node ≥ 20, current browsers) has WebAssembly
 * SIMD; where one does not, the SIMD-only comparisons are skipped and the fallback tests still run.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import wabtInit from "wabt";
import { KERNELS_WASM_BASE64 } from "../../src/core/wasm/kernels-bytes.js";
import { createRng } from "../../src/core/rng.js";
import { createKernelHeap } from "../../src/core/heap-kernels.js";
import { cholUpper } from "../../src/core/dense.js";
import { packedSize, PASS_ALPHA, PASS_KAPPA, PASS_MIN_DIAG, PASS_SA, PASS_SB, smFusedPass, spdInverseFromChol, symBlend } from "../../src/core/sherman-morrison.js";
import { createGramEngine, gramReference } from "../../src/core/wasm/gram.js";
import { setSimdEnabled, simdAvailable, simdEnabled, SIMD_MIN_P } from "../../src/core/wasm/simd.js";
import { batchStats } from "../../src/mm/batch-mm.js";
import { ismmInit, ismmStep, type IsmmConfig, type IsmmState } from "../../src/mm/ismm.js";
import { thetaFromParameters } from "../../src/model/parameters.js";
import { randomMoeSpec, syntheticStream } from "../../src/stream/synthetic.js";
import { moeFastSurrogate, type MoeFastSurrogate, type MoeFastWorkspace } from "../../src/surrogate/moe-fast.js";

const SKIP = simdAvailable() ? false : "this engine has no WebAssembly SIMD";

function bitEqual(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** max_i |a_i − b_i| / max_i |b_i|. */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

/** A kernel heap for one p×p factor, filled with the same seeded values whatever the kernels. */
function passHeap(p: number, simd: boolean) {
  const prev = setSimdEnabled(simd);
  const P = packedSize(p);
  const co = 0, mo = 8, so = mo + P, xo = so + p * p, go = xo + p, ho = go + p;
  const kh = createKernelHeap(8 * (ho + p), p, 1);
  setSimdEnabled(prev);
  const H = new Float64Array(kh.heap);
  const rng = createRng(p);
  for (let i = mo; i < ho; i++) H[i] = rng.normal();
  H[co + PASS_SA] = 0.99;
  H[co + PASS_SB] = 0.01;
  H[co + PASS_ALPHA] = 1 / 0.98;
  H[co + PASS_KAPPA] = 0.003;
  return { kh, H, P, co, mo, so, xo, go, ho };
}

test("SIMD pass: M and S bit-identical to smFusedPass, h = Mx to rounding; blend bit-identical", { skip: SKIP }, () => {
  for (const p of [1, 2, 3, 4, 5, 8, 9, 21, 101]) {
    const A = passHeap(p, true);
    assert.ok(A.kh.simd, `p = ${p}: SIMD kernels linked`);
    const ref = passHeap(p, false);
    const { H } = ref;
    A.kh.kernels?.pass(p, 8 * A.mo, 8 * A.so, 8 * A.xo, 8 * A.go, 8 * A.ho, 8 * A.co);
    smFusedPass(p, H, ref.mo, H, ref.so, H.subarray(ref.xo, ref.xo + p), H, ref.go, H.subarray(ref.ho, ref.ho + p), H, ref.co);
    assert.ok(bitEqual(A.H.subarray(A.mo, A.so), H.subarray(ref.mo, ref.so)), `p = ${p}: M`);
    assert.ok(bitEqual(A.H.subarray(A.so, A.xo), H.subarray(ref.so, ref.xo)), `p = ${p}: S`);
    assert.equal(A.H[A.co + PASS_MIN_DIAG], H[ref.co + PASS_MIN_DIAG], `p = ${p}: min diag`);
    // h_i sums p products of N(0,1)-ish entries in another order: |error| ≤ p·ε·Σ|m_ij x_j| ≈ 1e-13 at p = 101.
    const err = relDiff(A.H.subarray(A.ho, A.ho + p), H.subarray(ref.ho, ref.ho + p));
    assert.ok(err < 1e-13, `p = ${p}: h differs by ${err}`);
    A.kh.kernels?.blend(p, 8 * A.so, 8 * A.xo, 8 * A.co);
    symBlend(p, H, ref.so, H.subarray(ref.xo, ref.xo + p), H, ref.co);
    assert.ok(bitEqual(A.H.subarray(A.so, A.xo), H.subarray(ref.so, ref.xo)), `p = ${p}: blend`);
  }
});

test("SIMD inverse: R⁻¹ bit-identical to spdInverseFromChol, (RᵀR)⁻¹ to rounding", { skip: SKIP }, () => {
  for (const p of [1, 2, 5, 8, 33, 101]) {
    const rng = createRng(3 * p);
    // A = BᵀB/p + I: eigenvalues in [1, ~5], so the inverse is well conditioned.
    const B = new Float64Array(p * p).map(() => rng.normal());
    const A = new Float64Array(p * p);
    for (let i = 0; i < p; i++) {
      for (let j = i; j < p; j++) {
        let v = i === j ? 1 : 0;
        for (let l = 0; l < p; l++) v += (B[l * p + i] * B[l * p + j]) / p;
        A[i * p + j] = v;
      }
    }
    const R = new Float64Array(p * p);
    assert.ok(cholUpper(p, A, 0, R, 0));
    const P = packedSize(p);
    const prev = setSimdEnabled(true);
    const kh = createKernelHeap(8 * (2 * p * p + P), p, 1);
    setSimdEnabled(prev);
    const H = new Float64Array(kh.heap);
    H.set(R, 0);
    kh.kernels?.inverse(p, 0, 8 * p * p, 8 * 2 * p * p);
    const T = new Float64Array(p * p);
    const M = new Float64Array(P);
    spdInverseFromChol(p, R, 0, T, M, 0);
    for (let i = 0; i < p; i++) {
      assert.ok(bitEqual(H.subarray(p * p + i * p + i, p * p + (i + 1) * p), T.subarray(i * p + i, (i + 1) * p)), `p = ${p}: row ${i} of R⁻¹`);
    }
    // Dot products of ≤ p terms of a matrix with entries ≤ 1 summed in another order: ≤ p·ε relative.
    const err = relDiff(H.subarray(2 * p * p, 2 * p * p + P), M);
    assert.ok(err < 1e-13, `p = ${p}: M differs by ${err}`);
  }
});

test("SIMD Gram is bit-identical to the symRank1Blend loop (odd n and p, zero weights, chunked rows)", { skip: SKIP }, () => {
  for (const [p, K, n] of [[1, 1, 3], [5, 3, 7], [101, 3, 1515], [12, 2, 20000]] as const) {
    const rng = createRng(7 * p + n);
    const X = new Float64Array(n * p).map(() => rng.normal());
    const W = new Float64Array(n * K).map(() => (rng.next() < 0.1 ? 0 : rng.next()));
    const s0 = new Float64Array(3 + K * p * p).map(() => rng.normal());
    const eng = createGramEngine(p, K, n);
    assert.equal(eng.simd, p >= 2, "SIMD Gram used for p ≥ 2");
    for (const w of [W, null]) {
      const a = s0.slice();
      const b = s0.slice();
      eng.accumulate(X, n, w, n, a, 3, p * p);
      gramReference(p, K, X, n, w, n, b, 3, p * p);
      assert.ok(bitEqual(a, b), `p = ${p}, K = ${K}, n = ${n}, ${w === null ? "unit" : "given"} weights`);
    }
  }
});

const CFG: IsmmConfig = { schedule: { gamma0: 0.25, alpha: 0.6 }, burnIn: 0, averageFrom: 0 };

/** The learner's setup: statistic in the workspace heap, seeded by the batch statistic of n0 rows. */
function engine(fa: MoeFastSurrogate, theta0: Float64Array, X: Float64Array, Y: Float64Array, n0: number, simd: boolean): { st: IsmmState; ws: MoeFastWorkspace } {
  const prev = setSimdEnabled(simd);
  const ws = fa.createWorkspace(true);
  setSimdEnabled(prev);
  const s = ws.statistic as Float64Array;
  batchStats(fa, theta0, X, fa.layout.p, Y, fa.layout.q, n0, s, ws);
  const base = ismmInit(fa, theta0, s, n0);
  return { st: { ...base, s }, ws };
}

test("fast ISMM with SIMD and with the forced scalar fallback agree to 1e-12 relative over 1e5 rows", { skip: SKIP }, () => {
  const d = 20;
  const K = 3;
  const spec = randomMoeSpec(K, d, 1, createRng(91));
  const stream = syntheticStream(spec, createRng(92));
  const L = stream.layout;
  const n0 = 1000;
  const n = n0 + 100_000;
  const X = new Float64Array(n * L.p);
  const Y = new Float64Array(n);
  const x = new Float64Array(d);
  const y = new Float64Array(1);
  for (let i = 0; i < n; i++) {
    stream.next(x, y);
    X[i * L.p] = 1;
    X.set(x, i * L.p + 1);
    Y[i] = y[0];
  }
  const theta0 = thetaFromParameters(L, spec.params);
  const r0 = createRng(93);
  for (let i = 0; i < theta0.length; i++) theta0[i] += 0.2 * r0.normal();
  const fa = moeFastSurrogate(L);
  const A = engine(fa, theta0, X, Y, n0, true);
  const B = engine(fa, theta0, X, Y, n0, false);
  assert.ok(A.ws.simd && !B.ws.simd && B.ws.kernels !== null, "A runs SIMD, B the asm.js kernels");
  for (let i = n0; i < n; i++) {
    ismmStep(fa, CFG, A.st, X, i * L.p, Y, i, A.ws);
    ismmStep(fa, CFG, B.st, X, i * L.p, Y, i, B.ws);
  }
  // Only the summation order of h = Mx differs (≈ 1e-16 relative per row); refactorization every
  // 1000 rows and the contracting MM map keep the paths together. Measured: θ 8e-15, θ̃ 1.5e-15, s 2e-16.
  const errTheta = relDiff(A.st.theta, B.st.theta);
  const errAvg = relDiff(A.st.thetaAvg, B.st.thetaAvg);
  const errS = relDiff(A.st.s, B.st.s);
  assert.ok(errTheta <= 1e-12 && errAvg <= 1e-12 && errS <= 1e-12, `θ ${errTheta}, θ̃ ${errAvg}, s ${errS}`);
  // Not vacuous: the two paths did run different arithmetic.
  assert.ok(!bitEqual(A.st.theta, B.st.theta), "SIMD and scalar paths were bit-identical: SIMD not exercised");
});

test("the switch forces the fallback: no SIMD kernels, workspaces use asm.js (and below SIMD_MIN_P, never SIMD)", () => {
  const prev = setSimdEnabled(false);
  try {
    assert.equal(simdEnabled(), false);
    const kh = createKernelHeap(8 * 1000, 50);
    assert.ok(!kh.simd && kh.kernels !== null, "asm.js kernels when SIMD is off");
    assert.equal(createGramEngine(50, 2, 100).simd, false);
  } finally {
    setSimdEnabled(prev);
  }
  assert.equal(createKernelHeap(8 * 1000, SIMD_MIN_P - 1).simd, false);
});

test("ISMM_SIMD=0 disables SIMD in a fresh process, which still fits", () => {
  const code = [
    'import { simdEnabled } from "./src/core/wasm/simd.ts";',
    'import { MoeRegressor, createRng, randomMoeSpec, sampleSynthetic } from "./src/index.ts";',
    "const data = sampleSynthetic(randomMoeSpec(2, 6, 1, createRng(1)), 3000, createRng(2));",
    "const m = new MoeRegressor({ nExperts: 2 });",
    "m.learnMany(data.X, data.Y, 3000);",
    "console.log(JSON.stringify({ simd: simdEnabled(), nll: m.score(data.X, data.Y, 3000) }));",
  ].join("\n");
  const run = (env: string | undefined) => {
    const out = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
      encoding: "utf8", timeout: 120_000, cwd: new URL("../../", import.meta.url), env: { ...process.env, ISMM_SIMD: env },
    });
    assert.equal(out.status, 0, out.stderr);
    return JSON.parse(out.stdout.trim().split("\n").pop() ?? "") as { simd: boolean; nll: number };
  };
  const off = run("0");
  assert.equal(off.simd, false);
  assert.ok(Number.isFinite(off.nll));
  if (!SKIP) {
    const on = run("1");
    assert.equal(on.simd, true);
    // Same fit to rounding (d = 6: p = 7 ≥ SIMD_MIN_P, so the SIMD pass runs in `on`).
    assert.ok(Math.abs(on.nll - off.nll) <= 1e-10 * Math.abs(off.nll), `${on.nll} vs ${off.nll}`);
  }
});

test("the shipped bytes are kernels.wat assembled (npm run build:wasm was run after the last edit)", async () => {
  const wat = readFileSync(new URL("../../src/core/wasm/kernels.wat", import.meta.url), "utf8");
  const wabt = await wabtInit();
  const mod = wabt.parseWat("kernels.wat", wat, { simd: true });
  const { buffer } = mod.toBinary({ log: false, write_debug_names: false });
  mod.destroy();
  assert.equal(Buffer.from(buffer).toString("base64"), KERNELS_WASM_BASE64);
});
