/**
 * The constraint table of `MoeRegressor` (sklearn `_parameter_constraints` style): defaults are
 * written once, here; `resolveOptions` fills defaults, rejects unknown keys and out-of-range
 * values with the message format of core/constraints.ts, the checker the optimizers' option tables
 * use too. The README's option table is tested against this.
 */
import { resolveTable, type OptionSpec } from "../core/constraints.js";
import { OptionError } from "../core/errors.js";
import { METHODS, type MethodName } from "../learners/types.js";

/** Every option, its constraint, default and one-line documentation. */
export const OPTION_TABLE = {
  nExperts: { kind: "int", min: 1, default: 2, doc: "K, the number of experts (K = 1 is linear regression)" },
  method: { kind: "enum", values: METHODS, default: "ismm", doc: "learning algorithm" },
  seed: { kind: "int", min: 0, default: 0, doc: "seed of every random draw (initialization, epoch order, Sophia sampling)" },
  standardize: { kind: "bool", default: true, doc: "scale inputs and targets by mean/sd of the initialization buffer" },
  initRows: { kind: "int", min: 1, nullable: true, default: null, doc: "rows buffered before learning starts; null = max(1000, 5·K·p)" },
  initStarts: { kind: "int", min: 1, nullable: true, default: null, doc: "random starts of the buffered multi-start EM initialization; null = 5, or 3 when (K−1)·p > 64" },
  initIters: { kind: "int", min: 0, nullable: true, default: null, doc: "EM iterations per start; null = 15, or 8 when (K−1)·p > 64" },
  refineIters: { kind: "int", min: 0, nullable: true, default: null, doc: "EM iterations refining the best start (to convergence, up to emMaxIter, when the data fit in the buffer); null = 60, or 10 when (K−1)·p > 64" },
  restarts: { kind: "int", min: 1, nullable: true, default: null, doc: "EM runs refined at initialization, the best (lowest MAP objective) kept; null = 10 when the data fit in the initialization buffer, else 1" },
  outlierThreshold: { kind: "float", min: 0, minOpen: true, nullable: true, default: 1000, doc: "rows with a value more than this many robust scales (IQR/1.349) from the median are not learned (counted in diagnostics); null = learn every row" },
  // Auto γ0 (null): 1 — the spec's value, safe with the MAP variance prior and the lowest worst case on the
  // d = 10 streams of scripts/step-study.ts (0.0090 against 0.0147 for 0.25) — lowered so that the
  // statistic's window at the start, n0^α/γ0 rows, holds K·p rows (learners/ismm.ts autoStepScale):
  // at d = 100, K = 3 it gives ≈ 0.27, close to the 0.25 of bench/schedule-study.ts; after a converged batch fit of a
  // small file it is at most 0.25 (learners/ismm.ts REFINE_STEP_SCALE).
  stepScale: { kind: "float", min: 0, minOpen: true, nullable: true, default: null, doc: "ISMM γ0 in γ_n = min(1, γ0·n^(−α)); null = min(1, n0^α/(K·p)): 1 unless the model is wide (at most 0.25 after a whole-file batch fit)" },
  stepExponent: { kind: "float", min: 0.5, max: 1, minOpen: true, default: 0.6, doc: "ISMM α in γ_n = min(1, γ0·n^(−α)), α ∈ (0.5, 1]" },
  burnIn: { kind: "int", min: 0, default: 0, doc: "ISMM rows averaged exactly (γ = 1/n) before the first M-step" },
  averageFrom: { kind: "int", min: 0, nullable: true, default: 0, doc: "ISMM Polyak averaging of θ over rows n > averageFrom (0 = every row after initialization); null = off" },
  solver: { kind: "enum", values: ["fast", "exact"], default: "fast", doc: "ISMM M-step: O(K·p²) Sherman–Morrison updates (fast) or Cholesky from s every row, O(K·p³) (exact)" },
  refactorEvery: { kind: "int", min: 1, default: 1000, doc: "ISMM fast solver: rows between exact refactorizations of the maintained inverses" },
  varianceFloor: { kind: "float", min: 0, minOpen: true, default: 1e-6, doc: "σ²_min in scaled units (last-resort guard; the variance prior is the cure for collapse)" },
  // Auto (null): c = 0.05 rows per coefficient, no gate ridge — the largest prior that keeps small data within
  // 0.001 nats of R flexmix's MLE while curing expert collapse at γ0 = 1 — and c = 0.5 with a gate ridge of 1
  // row when the initialization has fewer than 3 rows per free parameter (docs/MAP.md; scripts/step-study.ts,
  // scripts/small-data.sh).
  variancePrior: { kind: "float", min: 0, nullable: true, default: null, doc: "MAP: inverse-gamma prior on every expert variance worth this many rows per coefficient (0 = maximum likelihood); null = 0.05, or 0.5 with fewer than 3 rows per parameter; docs/MAP.md" },
  priorVariance: { kind: "float", min: 0, minOpen: true, default: 0.1, doc: "MAP: the prior's mode of each expert variance, as a fraction of the target's robust variance" },
  gateRidge: { kind: "float", min: 0, nullable: true, default: null, doc: "MAP: ridge on the gate slopes worth this many rows, in the EM initialization and batch EM (0 = maximum likelihood); null = 0, or 1 with fewer than 3 rows per parameter" },
  l1: { kind: "float", min: 0, default: 0, doc: "elastic net: lasso weight λ1 on every expert slope (intercepts free), per row of mean NLL, on the robustly scaled inputs and targets (ismm and em; with l1 or l2 > 0 ISMM predicts with its last iterate, averageFrom is ignored; docs/SPARSE.md)" },
  l2: { kind: "float", min: 0, default: 0, doc: "elastic net: ridge weight λ2, penalty (λ2/2)·β² on every expert slope (ismm and em; docs/SPARSE.md)" },
  learningRate: { kind: "float", min: 0, minOpen: true, nullable: true, default: null, doc: "gradient methods' step size; null = the method's default" },
  batchSize: { kind: "int", min: 1, default: 1, doc: "rows per step: ISMM's mini-batch (one statistic blend and one exact M-step per batch; docs/MINIBATCH.md) and the gradient methods' mini-batch" },
  threads: { kind: "int", min: 1, nullable: true, default: 1, doc: "threads computing each ISMM mini-batch's statistic (batchSize > 1), the row sums of batch EM's iterations (method 'em') and the initialization's EM starts and restarts (where the work repays starting threads); the model does not depend on it; null = the machine's cores" },
  hessianEvery: { kind: "int", min: 1, default: 10, doc: "Sophia: rows between Gauss–Newton–Bartlett Hessian refreshes" },
  emMaxIter: { kind: "int", min: 1, default: 1000, doc: "batch EM: maximum iterations" },
  emTol: { kind: "float", min: 0, default: 1e-10, doc: "batch EM: relative NLL change for convergence" },
  covariance: { kind: "enum", values: ["diagonal", "full"], default: "diagonal", doc: "expert noise covariance for q > 1 targets: independent (diagonal) or a full Σ_k per expert (methods ismm and em); docs/COVARIANCE.md" },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTION_TABLE;

/** Resolved options: every key present, validated, frozen. */
export interface ResolvedOptions {
  readonly nExperts: number;
  readonly method: MethodName;
  readonly seed: number;
  readonly standardize: boolean;
  readonly initRows: number | null;
  readonly initStarts: number | null;
  readonly initIters: number | null;
  readonly refineIters: number | null;
  readonly restarts: number | null;
  readonly outlierThreshold: number | null;
  readonly stepScale: number | null;
  readonly stepExponent: number;
  readonly burnIn: number;
  readonly averageFrom: number | null;
  readonly solver: "fast" | "exact";
  readonly refactorEvery: number;
  readonly varianceFloor: number;
  readonly variancePrior: number | null;
  readonly priorVariance: number;
  readonly gateRidge: number | null;
  readonly l1: number;
  readonly l2: number;
  readonly learningRate: number | null;
  readonly batchSize: number;
  readonly threads: number | null;
  readonly hessianEvery: number;
  readonly emMaxIter: number;
  readonly emTol: number;
  readonly covariance: "diagonal" | "full";
}

export type MoeRegressorOptions = Partial<ResolvedOptions>;

/** Fills defaults and validates `user` against OPTION_TABLE. Throws OptionError on the first problem. */
export function resolveOptions(user: Readonly<Record<string, unknown>> = {}, owner = "MoeRegressor"): ResolvedOptions {
  const o = resolveTable(OPTION_TABLE, user, owner) as unknown as ResolvedOptions;
  if (o.covariance === "full" && o.method !== "ismm" && o.method !== "em") {
    throw new OptionError(`${owner}: covariance 'full' is supported by methods 'ismm' and 'em' only; method '${o.method}' models independent targets (use covariance 'diagonal')`);
  }
  return o;
}
