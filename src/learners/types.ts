/**
 * One learner interface for every method (ISMM, SGD, RMSProp, Adam, Sophia, batch EM), so that the
 * estimator, the CLI, evaluation and benchmarks treat them the same way: same stream, same seeds,
 * same initialization, same metrics.
 *
 * A learner sees rows already in model units: the design vector x = (1, x̃) of length p and the
 * scaled targets ỹ of length q (the estimator does the scaling). It owns its state; `learn`
 * allocates nothing for the streaming methods.
 */
import { decodeDouble, encodeDoubles, type JsonDouble } from "../core/json-doubles.js";
import type { Rng } from "../core/rng.js";
import type { MoeLayout } from "../model/dims.js";

export type MethodName = "ismm" | "sgd" | "rmsprop" | "adam" | "sophia" | "em";
export const METHODS: readonly MethodName[] = ["ismm", "sgd", "rmsprop", "adam", "sophia", "em"];

/** Rows the learner may use at creation (the initialization buffer, already scaled). */
export interface InitData {
  readonly X: Float64Array; // n×p design rows
  readonly Y: Float64Array; // n×q
  readonly n: number;
  /**
   * Rows the initial statistic stands for in the step-size schedule (ISMM continues at γ_{weight+1}).
   * Default n. After batch EM on the whole data set, n × EM passes: the start is already a
   * converged batch fit, and learning passes refine it rather than re-estimate it from a short window.
   */
  readonly weight?: number;
}

export interface Learner {
  readonly method: MethodName;
  /** Rows learned so far (including rows folded in at creation). */
  readonly nSeen: number;
  /**
   * Learns one row. Returns the row's NLL under the parameters *before* the update (prequential
   * loss, scaled units) when the method computes it for free, else NaN.
   */
  learn(x: Float64Array, xo: number, y: Float64Array, yo: number): number;
  /** Parameters to predict with (scaled units). Do not mutate. */
  params(): Float64Array;
  /**
   * Learns m rows (design rows X from xo, stride p; targets Y from yo, stride q) as ONE mini-batch
   * step: for ISMM, one blend of their statistic at the current θ and one M-step (mm/minibatch.ts).
   * Absent: the method has no batch step (the estimator learns the rows one by one).
   */
  learnBatch?(X: Float64Array, xo: number, Y: Float64Array, yo: number, m: number): void;
  /** End of the data: batch methods fit here; streaming methods do nothing (mini-batch ISMM learns its partial batch). */
  finish(): void;
  /**
   * Learners that score rows themselves when their batch starts (mini-batch ISMM: rows are scored by
   * the parameters their batch statistic uses, whatever the thread count) take the estimator's
   * scorer here; the estimator then does not score rows as they arrive.
   */
  setScorer?(scorer: ((X: Float64Array, xo: number, Y: Float64Array, yo: number) => void) | null): void;
  /** Learns rows waiting in an unfinished batch now (mini-batch ISMM). */
  flushPending?(): void;
  /** Releases threads the learner started (idempotent; the learner stays usable and restarts them if needed). */
  close?(): void;
  /** Whether `learn` keeps rows in memory (batch EM): the CLI warns about memory. */
  readonly storesRows: boolean;
  /** Full state as plain JSON (numbers round-trip exactly), for save → load → continue. */
  toJSON(): LearnerSnapshot;
  /** What the learner knows about its own numerical health (absent: it tracks nothing). */
  health?(): LearnerHealth;
}

/** A learner's own diagnostics; a field is absent when the method does not track it. */
export interface LearnerHealth {
  /** Per-expert weight s0_k of the statistic (sums to 1): the share of the data each expert explains. */
  readonly expertWeights?: Float64Array;
  /** Weight of the newest row in the statistic (γ_n): expertWeights[k] / rowWeight ≈ expert k's effective rows. */
  readonly rowWeight?: number;
  /** M-steps skipped because the statistic was outside the valid set. */
  readonly skippedMsteps?: number;
  /** Solves whose Gram matrix needed a ridge to factorize. */
  readonly ridgedSolves?: number;
  /** Fast solver: refactorizations forced by the Sherman–Morrison guard. */
  readonly guardTrips?: number;
}

export interface LearnerSnapshot {
  readonly method: MethodName;
  readonly [key: string]: unknown;
}

/** Everything a factory needs to build a learner. `options` are the estimator's resolved options. */
export interface LearnerContext {
  readonly layout: MoeLayout;
  readonly options: Readonly<Record<string, unknown>>;
  readonly rng: Rng;
}

export interface LearnerFactory {
  readonly method: MethodName;
  /** A new learner starting at θ0 (scaled units), with the initialization buffer available. */
  create(ctx: LearnerContext, theta0: Float64Array, init: InitData | null): Learner;
  /** Restores a learner from `toJSON()` output. */
  restore(ctx: LearnerContext, snapshot: LearnerSnapshot): Learner;
}

/** A buffer in the saved files' one double encoding (core/json-doubles.ts: −0 kept, exact round trip). */
export function toNumbers(a: ArrayLike<number>): JsonDouble[] {
  return encodeDoubles(a);
}

/**
 * Saved doubles → Float64Array, checking the length and that every value is finite (for snapshots
 * from disk); `into` receives the values instead of a new array when given.
 */
export function fromNumbers(v: unknown, length: number, what: string, into?: Float64Array | Uint8Array): Float64Array {
  if (!Array.isArray(v) || v.length !== length) {
    throw new RangeError(`${what} must be an array of ${length} numbers`);
  }
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const x = decodeDouble(v[i]);
    if (x === undefined || !Number.isFinite(x)) throw new RangeError(`${what}[${i}] must be a finite number`);
    out[i] = x;
  }
  if (into !== undefined) into.set(out);
  return out;
}
