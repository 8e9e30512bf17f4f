/**
 * Correlated responses (docs/COVARIANCE.md): seeded data with q = 3 targets whose noise is strongly
 * correlated within each of K = 3 experts (correlations up to ±0.9), one pass of ISMM with
 * `covariance: "diagonal"` and `"full"`, and the held-out excess NLL over the truth of both.
 *
 *   npx tsx scripts/covariance-study.ts [--seeds 1,2,3] [--rows 20000] [--d 3] [--method ismm] [--solver fast]
 *                                       [--options '{"stepScale": 0.25}']   (more MoeRegressor options)
 *                                       [--write DIR]   (also write DIR/train-<seed>.csv, test-<seed>.csv, truth-<seed>.json)
 *                                       [--max-corr 0.9]   (largest |noise correlation|; 0 = independent targets)
 *                                       [--noise 0.5]      (typical noise standard deviation)
 *
 * Prints one line per seed and fit, then the worst excess per covariance structure. Test rows are
 * 20000 fresh draws from the same model; excess = model NLL − truth NLL on them (nats per row).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createRng, MoeRegressor, parametersNll, randomMoeSpec, sampleSynthetic, type MoeParameters, type SyntheticSpec } from "../src/index.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const seeds = arg("seeds", "1,2,3").split(",").map(Number);
const rows = Number(arg("rows", "20000"));
const d = Number(arg("d", "3"));
const method = arg("method", "ismm") as "ismm" | "em";
const solver = arg("solver", "fast") as "fast" | "exact";
const extra = JSON.parse(arg("options", "{}")) as Record<string, unknown>;
const maxCorrTarget = Number(arg("max-corr", "0.9"));
const noise = Number(arg("noise", "0.5"));
const writeDir = arg("write", "");
const K = 3;
const q = 3;
const testRows = 20000;

/**
 * Σ_k = D R D with standard deviations D = --noise·exp(N(0, 0.25²)) and a correlation matrix R whose
 * largest |correlation| is --max-corr (0.9): R = normalized A Aᵀ + small ridge for a random A, rescaled so the
 * largest off-diagonal entry is ±0.9 (checked positive definite by its Cholesky in the library).
 */
function correlatedCovariance(rng: ReturnType<typeof createRng>, noise: number): number[][] {
  for (;;) {
    const A = Array.from({ length: q }, () => Array.from({ length: q }, () => rng.normal()));
    const S = A.map((ai) => A.map((aj) => ai.reduce((s, v, c) => s + v * aj[c], 0)));
    const R = S.map((row, i) => row.map((v, j) => v / Math.sqrt(S[i][i] * S[j][j])));
    let maxOff = 0;
    for (let i = 0; i < q; i++) for (let j = 0; j < i; j++) maxOff = Math.max(maxOff, Math.abs(R[i][j]));
    if (maxOff < 0.5) continue; // want strong correlation
    // Shrink or stretch the off-diagonal toward ±max-corr: R(t) = (1 − t)I + tR stays PD for t ≤ 1.
    const t = Math.min(1, maxCorrTarget / maxOff);
    const Rt = R.map((row, i) => row.map((v, j) => (i === j ? 1 : t * v)));
    const sd = Array.from({ length: q }, () => noise * Math.exp(0.25 * rng.normal()));
    const Sig = Rt.map((row, i) => row.map((v, j) => v * sd[i] * sd[j]));
    // Positive definite? (Cholesky pivots > 0.)
    const C: number[][] = Array.from({ length: q }, () => new Array(q).fill(0));
    let ok = true;
    for (let i = 0; i < q && ok; i++) {
      for (let j = 0; j <= i; j++) {
        let s = Sig[i][j];
        for (let l = 0; l < j; l++) s -= C[i][l] * C[j][l];
        if (i === j) {
          if (!(s > 1e-6 * Sig[i][i])) ok = false;
          C[i][i] = Math.sqrt(Math.max(s, 0));
        } else C[i][j] = s / C[j][j];
      }
    }
    if (ok) return Sig;
  }
}

function makeSpec(seed: number): SyntheticSpec {
  const rng = createRng(1000 + seed);
  const base = randomMoeSpec(K, d, q, rng, { noise });
  const covariance = Array.from({ length: K }, () => correlatedCovariance(rng, noise));
  const params: MoeParameters = { ...base.params, sigma2: covariance.map((S) => S.map((row, j) => row[j])), covariance };
  return { ...base, params };
}

const worst: Record<string, number> = { diagonal: -Infinity, full: -Infinity };
for (const seed of seeds) {
  const spec = makeSpec(seed);
  const train = sampleSynthetic(spec, rows, createRng(2000 + seed));
  const test = sampleSynthetic(spec, testRows, createRng(3000 + seed));
  const truth = parametersNll(spec.params, test.X, test.Y, test.n);
  if (writeDir !== "") {
    mkdirSync(writeDir, { recursive: true });
    const csv = (D: typeof train) => {
      const head = [...Array.from({ length: d }, (_, a) => `x${a + 1}`), ...Array.from({ length: q }, (_, j) => `y${j + 1}`)].join(",");
      const lines = [head];
      for (let i = 0; i < D.n; i++) lines.push([...D.X.subarray(i * d, (i + 1) * d), ...D.Y.subarray(i * q, (i + 1) * q)].join(","));
      return lines.join("\n") + "\n";
    };
    writeFileSync(join(writeDir, `train-${seed}.csv`), csv(train));
    writeFileSync(join(writeDir, `test-${seed}.csv`), csv(test));
    writeFileSync(join(writeDir, `truth-${seed}.json`), JSON.stringify({ params: spec.params, truthTestNll: truth }, null, 1));
  }
  const maxCorr = Math.max(...spec.params.covariance!.flatMap((S) => S.flatMap((row, i) => row.map((v, j) => (i === j ? 0 : Math.abs(v) / Math.sqrt(S[i][i] * S[j][j]))))));
  for (const covariance of ["diagonal", "full"] as const) {
    const t0 = performance.now();
    const model = new MoeRegressor({ nExperts: K, seed, covariance, method, solver, ...extra });
    model.fit(train.X, train.Y, train.n, { epochs: 1 });
    const nll = model.score(test.X, test.Y, test.n);
    const excess = nll - truth;
    worst[covariance] = Math.max(worst[covariance], excess);
    console.log(
      `seed ${seed}  d ${d}  max|corr| ${maxCorr.toFixed(2)}  ${covariance.padEnd(8)}  test NLL ${nll.toFixed(4)}  truth ${truth.toFixed(4)}  excess ${excess.toFixed(4)}  (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }
}
console.log(`worst excess over ${seeds.length} seeds (${rows} rows, one pass, method ${method}, solver ${solver}): diagonal ${worst.diagonal.toFixed(4)}, full ${worst.full.toFixed(4)}`);
