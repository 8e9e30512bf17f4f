/**
 * Synthetic scenarios (ALGORITHM.md §5.2): the truth is known, so the excess NLL is measured
 * against the true parameters' test NLL and the parameter error against the true parameters.
 *
 *  - S1-perturbed / S1-default: the classic K = 2 NMoE (meteorits): x ~ U(−1, 1),
 *    w1 = (0, 8), β1 = (0, −2.5), β2 = (0, 2.5), σ² = 1; started from the perturbed truth
 *    (initRows = 100) or from the estimator's default initialization (initRows = 1000).
 *  - S2-perturbed: K = 3, x ~ U(−1, 1)², W*, B*, σ*² of §5.2, perturbed start.
 *  - highdim-d50: K = 3, d = 50 equicorrelated Gaussian inputs (ρ = 0.5), 5 active inputs per
 *    gate vector and per expert (sparse truth), default initialization.
 *
 * Every repetition draws a new training stream, validation and test sample (seeded forks of the
 * repetition seed) from the same fixed truth; the perturbation of the start is also redrawn per
 * repetition.
 */
import { createRng, moeLayout, parametersFromTheta, sampleSynthetic, type MoeParameters, type Rng, type SyntheticSpec } from "../../src/index.js";
import { standardMethods, type MethodSpec } from "../methods.js";
import type { Data, Instance, Profile, Role, Scenario } from "./types.js";

/** S1 of ALGORITHM.md §5.2. */
export const S1_SPEC: SyntheticSpec = {
  K: 2, d: 1, q: 1,
  inputs: { kind: "uniform", low: -1, high: 1 },
  params: { gate: [[0, 8]], beta: [[[0, -2.5]], [[0, 2.5]]], sigma2: [[1], [1]] },
};

/** S2 of ALGORITHM.md §5.2 (matrices there are features × experts; here rows are experts). */
export const S2_SPEC: SyntheticSpec = {
  K: 3, d: 2, q: 1,
  inputs: { kind: "uniform", low: -1, high: 1 },
  params: {
    gate: [[1, 3, -2], [-0.5, -2, 3]],
    beta: [[[0, 2, -1]], [[1, -1, 0.5]], [[-1, 0.5, 2]]],
    sigma2: [[0.3], [0.5], [0.4]],
  },
};

/**
 * A sparse K-expert truth on d equicorrelated N(0, 1) inputs (correlation ρ): each gate vector and
 * each expert uses `active` randomly chosen inputs. Gate slopes are scaled so that every logit has
 * standard deviation `gateSd` under the input distribution, expert slopes so that every expert's
 * signal has standard deviation `signalSd`; intercepts are N(0, 2²) for the experts and N(0, 0.5²)
 * for the gate; σ² = 0.25·exp(N(0, 0.25²)). Drawn once from `seed` (fixed across repetitions).
 */
export function sparseSpec(K: number, d: number, seed: number, opts: { rho?: number; active?: number; gateSd?: number; signalSd?: number } = {}): SyntheticSpec {
  const rho = opts.rho ?? 0.5;
  const active = Math.min(d, opts.active ?? 5);
  const gateSd = opts.gateSd ?? 3;
  const signalSd = opts.signalSd ?? 2;
  const rng = createRng(seed);
  const L = moeLayout({ K, d, q: 1 });
  const t = new Float64Array(L.size);
  // Var(vᵀx) = (1 − ρ)‖v‖² + ρ(Σv)² for equicorrelated unit-variance inputs.
  const sparseVector = (sd: number): number[] => {
    const v = new Array<number>(d).fill(0);
    const idx = Array.from({ length: d }, (_, i) => i);
    for (let i = d - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    for (const i of idx.slice(0, active)) v[i] = rng.normal();
    const ss = v.reduce((s, a) => s + a * a, 0);
    const sum = v.reduce((s, a) => s + a, 0);
    const scale = sd / Math.sqrt((1 - rho) * ss + rho * sum * sum);
    return v.map((a) => a * scale);
  };
  for (let k = 0; k < K - 1; k++) {
    const w = sparseVector(gateSd);
    t[L.gate + k * L.p] = 0.5 * rng.normal();
    w.forEach((a, i) => (t[L.gate + k * L.p + 1 + i] = a));
  }
  for (let k = 0; k < K; k++) {
    const b = sparseVector(signalSd);
    const o = L.beta + k * L.p;
    t[o] = 2 * rng.normal();
    b.forEach((a, i) => (t[o + 1 + i] = a));
    t[L.logSigma2 + k] = Math.log(0.25) + 0.25 * rng.normal();
  }
  return { K, d, q: 1, inputs: { kind: "gaussian", mean: 0, scale: 1, correlation: rho }, params: parametersFromTheta(L, t) };
}

/** The perturbed start of ALGORITHM.md §5.2: W + N(0, 1), B + N(0, 0.5²), σ²·exp(N(0, 0.5²)), elementwise. */
export function perturbTruth(truth: MoeParameters, rng: Rng): MoeParameters {
  return {
    gate: truth.gate.map((row) => row.map((v) => v + rng.normal())),
    beta: truth.beta.map((bk) => bk.map((row) => row.map((v) => v + 0.5 * rng.normal()))),
    sigma2: truth.sigma2.map((sk) => sk.map((v) => v * Math.exp(0.5 * rng.normal()))),
  };
}

function toData(spec: SyntheticSpec, n: number, seed: number, stream: number): Data {
  const s = sampleSynthetic(spec, n, createRng(seed).fork(stream));
  return { X: s.X, Y: s.Y, n: s.n, d: s.d };
}

/** Configuration of a synthetic scenario (see `syntheticScenario`). */
export interface SyntheticConfig {
  readonly name: string;
  readonly description: string;
  readonly spec: SyntheticSpec;
  readonly nTrain: number;
  readonly nTest: number;
  readonly nValidation: number;
  readonly seeds: readonly number[];
  readonly perturbed: boolean;
  readonly initRows: number;
  readonly checkpoints: number;
  readonly profile: Profile;
  readonly estimatorOptions?: Scenario["estimatorOptions"];
  readonly fitted1d?: boolean;
  /** Methods (default: `standardMethods(profile)`). */
  readonly methods?: readonly MethodSpec[];
}

/** A synthetic scenario from its configuration. */
export function syntheticScenario(c: SyntheticConfig): Scenario {
  return {
    name: c.name,
    kind: "synthetic",
    description: c.description,
    K: c.spec.K,
    seeds: c.seeds,
    tuneSeeds: [9001],
    epochs: 1,
    order: "stream",
    initRows: c.initRows,
    checkpoints: c.checkpoints,
    methods: c.methods ?? standardMethods(c.profile),
    estimatorOptions: c.estimatorOptions,
    fitted1d: c.fitted1d,
    build(seed: number, _role: Role): Instance {
      return {
        train: toData(c.spec, c.nTrain, seed, 10),
        test: toData(c.spec, c.nTest, seed, 11),
        validation: toData(c.spec, c.nValidation, seed, 12),
        truth: c.spec.params,
        start: c.perturbed ? perturbTruth(c.spec.params, createRng(seed).fork(13)) : undefined,
      };
    },
  };
}

const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

/** The synthetic scenarios of a profile. */
export function syntheticScenarios(profile: Profile): Scenario[] {
  const quick = profile === "quick";
  const n = quick ? 5000 : 20000;
  const reps = quick ? 2 : 10;
  const seeds = range(1, reps);
  const cp = quick ? 10 : 16;
  return [
    syntheticScenario({
      name: "S1-perturbed",
      description: `S1 (ALGORITHM.md §5.2): K = 2, x ~ U(−1, 1), w1 = (0, 8), β1 = (0, −2.5), β2 = (0, 2.5), σ² = 1. Stream of ${n} rows, one pass; start = perturbed truth (W + N(0,1), B + N(0,0.5²), σ²·exp(N(0,0.5²))), redrawn per repetition, shared by all methods; initRows = 100 (scaler and ISMM's initial statistic).`,
      spec: S1_SPEC, nTrain: n, nTest: quick ? 5000 : 10000, nValidation: 5000, seeds,
      perturbed: true, initRows: 100, checkpoints: cp, profile, fitted1d: true,
    }),
    syntheticScenario({
      name: "S1-default",
      description: `S1 as above, stream of ${n} rows, started from the estimator's default initialization (multi-start batch EM on the first 1000 rows, computed once per repetition and shared by all methods).`,
      spec: S1_SPEC, nTrain: n, nTest: quick ? 5000 : 10000, nValidation: 5000, seeds,
      perturbed: false, initRows: 1000, checkpoints: cp, profile,
    }),
    syntheticScenario({
      name: "S2-perturbed",
      description: `S2 (ALGORITHM.md §5.2): K = 3, x ~ U(−1, 1)², W* = [[1, 3, −2], [−0.5, −2, 3]] (rows = gate vectors, intercept first), β1 = (0, 2, −1), β2 = (1, −1, 0.5), β3 = (−1, 0.5, 2), σ*² = (0.3, 0.5, 0.4). Stream of ${n} rows, perturbed-truth start, initRows = 100.`,
      spec: S2_SPEC, nTrain: n, nTest: quick ? 5000 : 10000, nValidation: 5000, seeds,
      perturbed: true, initRows: 100, checkpoints: cp, profile,
    }),
    syntheticScenario({
      name: "highdim-d50",
      description: `K = 3, d = 50 equicorrelated N(0, 1) inputs (ρ = 0.5), 5 active inputs per gate vector and per expert (fixed truth, seed 50; logit sd 3, expert signal sd 2, σ² ≈ 0.25). Stream of ${quick ? 4000 : 20000} rows, default initialization on the first 1000 rows${quick ? " (quick profile: 2 random starts, 15 + 30 EM iterations, to save time)" : ""}.`,
      spec: sparseSpec(3, 50, 50), nTrain: quick ? 4000 : 20000, nTest: quick ? 2000 : 5000, nValidation: quick ? 2000 : 5000,
      seeds: quick ? seeds : range(1, 5), perturbed: false, initRows: 1000, checkpoints: quick ? 8 : 14, profile,
      estimatorOptions: quick ? { initStarts: 2, refineIters: 30 } : undefined,
    }),
  ];
}
