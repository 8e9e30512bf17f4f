/**
 * One learner run on one scenario instance, measured along the stream — the core of the benchmark.
 * Public API only (`src/index.ts`).
 *
 * Fairness rules implemented here:
 *  - Same stream: every method of a repetition reads the same rows in the same order
 *    (`streamOrder`: draw order for synthetic streams, one seeded permutation per epoch for real data).
 *  - Same seed: the estimator's `seed` is the repetition seed for every method.
 *  - Same start: either the scenario's perturbed truth, or the estimator's default buffered
 *    multi-start EM initialization computed ONCE per repetition (`sharedInitialization`, on the
 *    first `initRows` rows of the stream) and handed to every method with `startFrom`. The buffer is
 *    the same, so the scaler is the same; the start differs from each estimator's own default
 *    initialization only by rounding (original ↔ scaled units). Its cost is the same for every
 *    method and is reported separately (`SharedStart.seconds`), not in the per-method time.
 *  - Timing: only the method's own learning (`learnMany`, `finish`) is timed, from the first row
 *    of the stream (the buffered rows included); the shared initialization, the evaluation at
 *    checkpoints and the copying of shuffled rows are excluded. The model keeps learning after
 *    each evaluation.
 */
import {
  InputError, MoeRegressor, NumericalError, createRng, parameterError, parametersNll as publicParametersNll,
  type MethodName, type MoeParameters, type MoeRegressorOptions,
} from "../src/index.js";
import type { MethodConfig } from "./methods.js";
import type { Data, Instance, Scenario } from "./scenarios/types.js";

/** The row order of a repetition: `null` = rows 0..n−1 once (synthetic streams). */
export function streamOrder(scenario: Scenario, n: number, seed: number): Int32Array | null {
  if (scenario.order === "stream") {
    if (scenario.epochs !== 1) throw new Error(`${scenario.name}: order "stream" needs epochs = 1`);
    return null;
  }
  const order = new Int32Array(n * scenario.epochs);
  const rng = createRng(seed).fork(30);
  const perm = new Int32Array(n);
  for (let e = 0; e < scenario.epochs; e++) {
    for (let i = 0; i < n; i++) perm[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    order.set(perm, e * n);
  }
  return order;
}

/** Total rows streamed. */
export function streamLength(scenario: Scenario, train: Data): number {
  return train.n * scenario.epochs;
}

/** `count` log-spaced integer checkpoints from `first` to `last` (both included, strictly increasing). */
export function logCheckpoints(first: number, last: number, count: number): number[] {
  if (!(first >= 1 && last >= first)) throw new Error(`checkpoints need 1 ≤ first ≤ last, got ${first}, ${last}`);
  const out: number[] = [];
  const c = Math.max(2, count);
  for (let i = 0; i < c; i++) {
    const v = Math.round(first * (last / first) ** (i / (c - 1)));
    if (out.length === 0 || v > out[out.length - 1]) out.push(v);
  }
  if (out[out.length - 1] !== last) out.push(last);
  return out;
}

/** Rows a..b of the stream (copied when the order is a permutation). */
function chunk(train: Data, order: Int32Array | null, a: number, b: number): { X: Float64Array; Y: Float64Array } {
  const d = train.d;
  if (order === null) return { X: train.X.subarray(a * d, b * d), Y: train.Y.subarray(a, b) };
  const X = new Float64Array((b - a) * d);
  const Y = new Float64Array(b - a);
  for (let t = a; t < b; t++) {
    const r = order[t];
    X.set(train.X.subarray(r * d, (r + 1) * d), (t - a) * d);
    Y[t - a] = train.Y[r];
  }
  return { X, Y };
}

/** Estimator options of a run. */
export function estimatorOptions(scenario: Scenario, method: MethodName, config: MethodConfig, seed: number): MoeRegressorOptions {
  return { ...scenario.estimatorOptions, ...config.options, nExperts: scenario.K, method, seed, initRows: scenario.initRows };
}

/** The start shared by every method of a repetition, and the time it took to compute. */
export interface SharedStart {
  readonly params: MoeParameters;
  /** Seconds of the default initialization (0 for a given perturbed truth). */
  readonly seconds: number;
  readonly kind: "perturbed" | "default";
}

/**
 * The shared start: the instance's perturbed truth, or the estimator's default initialization run
 * once on the first `initRows` rows of the stream.
 */
export function sharedStart(scenario: Scenario, inst: Instance, order: Int32Array | null, seed: number): SharedStart {
  if (inst.start) return { params: inst.start, seconds: 0, kind: "perturbed" };
  const { X, Y } = chunk(inst.train, order, 0, scenario.initRows);
  // Any streaming method initializes the same way; SGD is the cheapest to create.
  const probe = new MoeRegressor({ ...scenario.estimatorOptions, nExperts: scenario.K, method: "sgd", seed, initRows: scenario.initRows });
  const t0 = performance.now();
  probe.learnMany(X, Y, scenario.initRows);
  const seconds = (performance.now() - t0) / 1000;
  if (!probe.isInitialized) throw new Error(`${scenario.name}: the probe did not initialize after ${scenario.initRows} rows`);
  return { params: probe.parameters(), seconds, kind: "default" };
}

/** Mean test NLL of given parameters (original units, no scaling): the truth's reference NLL. */
export function parametersNll(params: MoeParameters, data: Data): number {
  return publicParametersNll(params, data.X, data.Y, data.n);
}

/** One evaluation of the current model. */
export interface Measurement {
  readonly samples: number;
  readonly seconds: number;
  readonly testNll: number;
  readonly testMse: number;
  /** null when there is no truth (real data). */
  readonly paramError: number | null;
}

/** Test NLL, MSE of the predictive mean, and parameter error of a model (NaN where it cannot be evaluated). */
export function evaluateModel(model: MoeRegressor, data: Data, truth: MoeParameters | undefined): Omit<Measurement, "samples" | "seconds"> {
  const testNll = model.score(data.X, data.Y, data.n);
  const pred = model.predict(data.X, data.n);
  let s = 0;
  for (let i = 0; i < data.n; i++) s += (pred.mean[i] - data.Y[i]) ** 2;
  let paramError: number | null = null;
  if (truth) {
    try {
      paramError = parameterError(model.parameters(), truth).error;
    } catch (e) {
      // non-finite parameters (a run gone astray without throwing) have no distance
      if (!(e instanceof InputError)) throw e;
      paramError = NaN;
    }
  }
  return { testNll, testMse: s / data.n, paramError };
}

/** Result of {@link runMethod}. */
export interface RunResult {
  readonly points: Measurement[];
  /** The divergence message, or null. */
  readonly diverged: string | null;
  /** The final model (for the fitted-model plot). */
  readonly model: MoeRegressor;
  /** Seconds of the method's own learning in total (shared start excluded). */
  readonly seconds: number;
}

export interface RunArgs {
  readonly scenario: Scenario;
  readonly inst: Instance;
  readonly seed: number;
  readonly method: MethodName;
  readonly config: MethodConfig;
  readonly order: Int32Array | null;
  readonly start: SharedStart;
  /** Rows scored at each checkpoint (test in eval runs, validation in tuning runs). */
  readonly evalData: Data;
  /** Checkpoints (samples processed); batch EM is evaluated once, after fitting. */
  readonly checkpoints: readonly number[];
  readonly truth?: MoeParameters;
}

/**
 * Streams the instance through one method and evaluates it at every checkpoint. A gradient method
 * that diverges (NumericalError) gets NaN at the divergence checkpoint and every later one.
 */
export function runMethod(a: RunArgs): RunResult {
  const { scenario, inst, order, start } = a;
  const train = inst.train;
  const model = new MoeRegressor(estimatorOptions(scenario, a.method, a.config, a.seed));
  model.startFrom(start.params, { d: train.d, q: 1 });
  let learnSeconds = 0;
  const points: Measurement[] = [];
  const nan = (samples: number): Measurement => ({ samples, seconds: learnSeconds, testNll: NaN, testMse: NaN, paramError: a.truth ? NaN : null });

  if (a.method === "em") {
    // Batch EM sees the training rows once (one epoch, in stream order) and iterates to convergence.
    const n = train.n;
    const { X, Y } = chunk(train, order, 0, n);
    let diverged: string | null = null;
    const t0 = performance.now();
    try {
      model.learnMany(X, Y, n);
      model.finish();
    } catch (e) {
      if (!(e instanceof NumericalError)) throw e;
      diverged = e.message;
    }
    learnSeconds += (performance.now() - t0) / 1000;
    points.push(diverged ? nan(n) : { samples: n, seconds: learnSeconds, ...evaluateModel(model, a.evalData, a.truth) });
    return { points, diverged, model, seconds: learnSeconds };
  }

  let pos = 0;
  let diverged: string | null = null;
  const total = streamLength(scenario, train);
  for (const cp of a.checkpoints) {
    if (cp > total) throw new Error(`checkpoint ${cp} beyond the stream length ${total}`);
    if (diverged === null && cp > pos) {
      const { X, Y } = chunk(train, order, pos, cp);
      const t0 = performance.now();
      try {
        model.learnMany(X, Y, cp - pos);
        if (cp === total) model.finish();
      } catch (e) {
        if (!(e instanceof NumericalError)) throw e;
        diverged = e.message;
      }
      learnSeconds += (performance.now() - t0) / 1000;
      pos = cp;
    }
    points.push(diverged ? nan(cp) : { samples: cp, seconds: learnSeconds, ...evaluateModel(model, a.evalData, a.truth) });
  }
  return { points, diverged, model, seconds: learnSeconds };
}
