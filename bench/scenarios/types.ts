/**
 * Benchmark scenarios as data (STYLE.md b7): what to stream, how often, against which truth, with
 * which methods. The runner (bench/run.ts → bench/engine.ts) interprets them; nothing here runs a
 * learner.
 */
import type { MoeParameters, MoeRegressorOptions } from "../../src/index.js";
import type { MethodSpec } from "../methods.js";

/** One data set: X is n×d row-major (no intercept column), Y is n×1 (q = 1 in every scenario). */
export interface Data {
  readonly X: Float64Array;
  readonly Y: Float64Array;
  readonly n: number;
  readonly d: number;
}

/**
 * Role of a built instance.
 *  - "eval": a measured repetition; `test` is scored along the stream.
 *  - "tune": the tuning instance (its own seed); the learners are fitted on `train` and scored on
 *    `validation`; `test` is not used. Real-data scenarios carve `validation` out of the training
 *    fold in this role only, so that eval repetitions train on the whole 80 % training fold.
 */
export type Role = "tune" | "eval";

/** A built scenario instance (one repetition). */
export interface Instance {
  /** Rows the learners see (synthetic: the stream in order; real: the training fold, reshuffled every epoch). */
  readonly train: Data;
  /** Held-out rows scored in the "tune" role (null in the "eval" role of real data). */
  readonly validation: Data | null;
  /** Held-out rows scored in the "eval" role. */
  readonly test: Data;
  /** Synthetic only: the true parameters (original units). */
  readonly truth?: MoeParameters;
  /** Perturbed-truth start shared by every method (`MoeRegressor.startFrom`); absent = default initialization. */
  readonly start?: MoeParameters;
  /** Free-form notes for the summary (e.g. the features kept by the Lasso screening). */
  readonly notes?: string;
}

/** A benchmark scenario. */
export interface Scenario {
  readonly name: string;
  readonly kind: "synthetic" | "real";
  /** One-paragraph description for the summary. */
  readonly description: string;
  /** Number of experts. */
  readonly K: number;
  /** Repetition seeds (synthetic: data seeds; real: split seeds). Also the estimator's `seed`. */
  readonly seeds: readonly number[];
  /** Seeds of the tuning instances (never one of `seeds`); the validation NLL is averaged over them. */
  readonly tuneSeeds: readonly number[];
  /** Passes over `train` (synthetic: 1). Passes after the first reshuffle the rows with a seeded permutation. */
  readonly epochs: number;
  /** Row order: "stream" = draw order in one pass; "shuffle" = a seeded permutation per epoch. */
  readonly order: "stream" | "shuffle";
  /** Rows buffered before learning starts (estimator option `initRows`); the first checkpoint. */
  readonly initRows: number;
  /** Number of log-spaced checkpoints between `initRows` and the end of the stream. */
  readonly checkpoints: number;
  /** Methods and their candidate configurations. */
  readonly methods: readonly MethodSpec[];
  /** Extra estimator options shared by every method (e.g. a cheaper initialization). */
  readonly estimatorOptions?: Readonly<MoeRegressorOptions>;
  /** Reads the scenario's data set once (real data); the runner awaits it before the first `build`. */
  load?(): Promise<void>;
  /** Builds repetition `seed` in the given role. */
  build(seed: number, role: Role): Instance;
  /** Optional 1-D fitted plot (S1): which method's model of rep 0 to draw. */
  readonly fitted1d?: boolean;
}

/** Benchmark size profile. */
export type Profile = "quick" | "full";
