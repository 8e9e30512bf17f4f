/**
 * `MoeRegressor`: the user-facing streaming estimator (River `learn_one` / sklearn `partial_fit`
 * semantics), a thin shell over a plain state record (estimators/state.ts) and the functions that
 * step it: learn-row.ts (screen, buffer or learn one row), initialize.ts (robust scaler, outliers,
 * multi-start EM with the MAP prior), snapshot.ts (the model file), diagnostics.ts.
 *
 * Life cycle:
 *  1. The first `initRows` rows are buffered (bounded memory). Then the scaler is fitted on the
 *     buffer (median/IQR, fixed from then on: no data leakage, constant memory), θ0 is found by the
 *     multi-start EM of mm/init.ts on the buffer (or taken from `startFrom`), and the chosen
 *     learner is created with the buffer available (ISMM seeds s with the buffer's statistic).
 *  2. Every later row is scaled into an owned buffer and passed to the learner: no allocation.
 *  3. `flush()` ends the first pass of a finite data set (the buffer is then the whole data set,
 *     fitted with restarts); `finish()` ends the data and lets batch methods (EM) fit.
 *
 * Predictions and scores are in the original units of the data.
 */
import { InputError, ModelFormatError, NotFittedError, RowError } from "../core/errors.js";
import type { MoeLayout } from "../model/dims.js";
import { rowNll, type RowWorkspace } from "../model/moe.js";
import { parametersFromTheta, thetaFromParameters, type MoeParameters } from "../model/parameters.js";
import { scaleDesign, scaleTargets, thetaToOriginal, type Scaler } from "../model/scaling.js";
import type { Learner } from "../learners/types.js";
import { availableThreads, threadsFor } from "../parallel/batch-stats.js";
import { computeDiagnostics, diagnosticWarnings, type FitDiagnostics, type InitSummary } from "./diagnostics.js";
import { initialize } from "./initialize.js";
import { checkRow, learnRow } from "./learn-row.js";
import { learnBatchChecked } from "./learn-batch.js";
import { fillEpochOrder, type EpochOrder } from "./epoch-order.js";
import { parseModelFile, type ModelSnapshot } from "./model-file.js";
import { newPrediction, newPredictions, predictRow, storePrediction, type Prediction, type Predictions } from "./prediction.js";
import { resolveOptions, type MoeRegressorOptions, type ResolvedOptions } from "./options.js";
import { fromParsed, toSnapshot } from "./snapshot.js";
import { createState, ensureDims, initRowsFor, minInitRows, type RegressorState } from "./state.js";

export { minInitRows };
export type { Prediction, Predictions };

/** Epoch options of `fit` on a finite data set. */
export interface FitOptions {
  /** Passes over the data after initialization. Default 1. */
  readonly epochs?: number;
  /** Row order per epoch: seeded permutation (default), file order, or i.i.d. with replacement. */
  readonly order?: EpochOrder;
}

export class MoeRegressor {
  private st: RegressorState;

  constructor(options: MoeRegressorOptions = {}) {
    this.st = createState(resolveOptions(options as Record<string, unknown>));
  }

  /** The resolved options (every key present, validated, frozen). */
  get options(): ResolvedOptions {
    return this.st.options;
  }
  /** Free-form metadata saved with the model (the CLI stores column names here). */
  get meta(): Record<string, unknown> {
    return this.st.meta;
  }
  set meta(m: Record<string, unknown>) {
    this.st.meta = m;
  }
  /** Rows seen: buffered, learned, or set aside as outliers (rows refused with a RowError are not counted). */
  get nSeen(): number {
    return this.st.seen;
  }
  /** Rows the learner took after initialization (one ISMM step each). */
  get nLearned(): number {
    return this.st.learned;
  }
  /** True once θ exists (the buffer was full, or `finish`/`flush` initialized early). */
  get isInitialized(): boolean {
    return this.st.learner !== null;
  }
  /** How the model was initialized (rows, restarts, EM objective), or null before. */
  get initialization(): InitSummary | null {
    return this.st.init;
  }
  get nExperts(): number {
    return this.options.nExperts;
  }
  /** d, or undefined before the first row. */
  get nFeatures(): number | undefined {
    return this.st.L?.d;
  }
  /** q, or undefined before the first row. */
  get nTargets(): number | undefined {
    return this.st.L?.q;
  }
  /**
   * Mean prequential (predict-then-learn) NLL per row in original units over the rows learned after
   * initialization: each row scored by the parameters that predict (the Polyak average for ISMM)
   * before it is learned. NaN if none.
   */
  get progressiveNll(): number {
    return this.st.preqCount > 0 ? this.st.preqSum / this.st.preqCount : NaN;
  }
  /**
   * Running prequential totals (original units): rows scored and Σ NLL (`progressiveNll` = nllSum /
   * count), and, once `trackPrequentialError()` was called, Σ over rows and targets of the squared
   * error of the predictive mean made before each row was learned (sqErrSum / (sqErrRows·q) is the
   * MSE). Differences of two readings give a window's values.
   */
  get prequentialTotals(): { count: number; nllSum: number; sqErrSum: number; sqErrRows: number } {
    const st = this.st;
    return { count: st.preqCount, nllSum: st.preqSum, sqErrSum: st.preqSq, sqErrRows: st.preqSqRows };
  }
  /** Also accumulate the prequential squared error (one extra prediction per learned row; not saved). */
  trackPrequentialError(): void {
    this.st.trackSq = true;
  }
  /**
   * Threads ISMM's mini-batches run on: `threads` (null: the machine's cores), or 1 when a batch is
   * too small to be worth splitting (parallel/batch-stats.ts `threadsFor`; the model is the same).
   */
  get threadCount(): number {
    const requested = this.options.threads ?? availableThreads();
    const L = this.st.L;
    return L === null ? requested : threadsFor(L, this.options.batchSize, requested);
  }
  /** The learner's method. */
  get method(): string {
    return this.options.method;
  }

  /** Rows buffered before initialization: option `initRows` or max(1000, 5·K·p). */
  initRowsFor(L: MoeLayout): number {
    return initRowsFor(this.st, L);
  }

  /**
   * Starts learning from given parameters (original units) instead of the multi-start EM
   * initialization — e.g. the paper's "perturbed ground truth" experiments. Call before the
   * model initializes; the buffer is still used to fit the scaler and seed ISMM's statistic.
   */
  startFrom(params: MoeParameters, dims: { d: number; q: number }): void {
    if (this.st.learner) throw new InputError("startFrom must be called before the model is initialized");
    const L = ensureDims(this.st, dims.d, dims.q, "startFrom");
    this.st.userTheta = thetaFromParameters(L, params);
  }

  private checkFinite(v: ArrayLike<number>, what: string, caller: string): void {
    for (let i = 0; i < v.length; i++) {
      if (!Number.isFinite(v[i])) throw new InputError(`${caller} requires finite values; ${what}[${i}] is ${v[i]}`);
    }
  }

  /**
   * Learns one row. `x` has d entries (no intercept; the library adds it), `y` is a number (q = 1)
   * or q numbers. Inputs are copied, never retained or mutated. Throws InputError on a length
   * mismatch, and RowError (row 0) on a value that is not finite or beyond ±1e150 — the model is
   * then unchanged. A row more than `outlierThreshold` robust scales from the median is counted
   * in `diagnostics()` and not learned.
   */
  learnOne(x: ArrayLike<number>, y: number | ArrayLike<number>): void {
    const yy: ArrayLike<number> = typeof y === "number" ? [y] : y;
    const L = ensureDims(this.st, x.length, yy.length, "learnOne");
    this.learnChecked("learnOne", L, x, 0, yy, 0, 0);
  }

  /**
   * Learns n rows in order (= a loop of `learnOne`): X is n×d row-major, Y is n×q row-major.
   * On a RowError (`err.row` is the 0-based index in this call) the rows before it are learned,
   * that row and the rest are not.
   */
  learnMany(X: ArrayLike<number>, Y: ArrayLike<number>, n: number): void {
    const L = this.rowsLayout("learnMany", "n", X, Y, n);
    if (L === null) return;
    for (let i = 0; i < n; i++) this.learnChecked("learnMany", L, X, i * L.d, Y, i * L.q, i);
  }

  /**
   * Learns m rows as ONE mini-batch ISMM step (mm/minibatch.ts): their statistic at the current θ
   * is blended into s once and the M-step runs once, whatever `batchSize` is (rows waiting in a
   * partial batch of `learnOne` are learned first, as their own step). X is m×d row-major, Y m×q,
   * raw units as in `learnOne`. Every row is checked first: on a RowError (`err.row` = index in this
   * call) nothing is learned. Before initialization the rows fill the initialization buffer one by
   * one, and the rest of the call is the first batch. Outliers are counted and left out. Methods
   * without a batch step (gradient baselines, EM) learn the rows one by one.
   */
  learnBatch(X: ArrayLike<number>, Y: ArrayLike<number>, m: number): void {
    const L = this.rowsLayout("learnBatch", "m", X, Y, m);
    if (L !== null) learnBatchChecked(this.st, L, X, Y, m);
  }

  /** The layout of n row-major rows (X n×d, Y n×q), checked; null for n = 0. */
  private rowsLayout(caller: string, name: string, X: ArrayLike<number>, Y: ArrayLike<number>, n: number): MoeLayout | null {
    if (!Number.isInteger(n) || n < 0) throw new InputError(`${caller} requires a non-negative integer ${name}, got ${n}`);
    if (n === 0) return null;
    if (X.length % n !== 0 || Y.length % n !== 0) {
      throw new InputError(`${caller} requires X of length ${name}·d and Y of length ${name}·q, got ${X.length} and ${Y.length} for ${name} = ${n}`);
    }
    return ensureDims(this.st, X.length / n, Y.length / n, caller);
  }

  /**
   * Stops the worker threads of `threads` > 1 (they never keep the process alive, but hold memory).
   * The model stays usable: threads start again when needed.
   */
  close(): void {
    this.st.learner?.close?.();
  }

  /** Alias of `learnMany` (scikit-learn naming). */
  partialFit(X: ArrayLike<number>, Y: ArrayLike<number>, n: number): void {
    this.learnMany(X, Y, n);
  }

  private learnChecked(caller: string, L: MoeLayout, x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number, row: number): void {
    const st = this.st;
    if (st.finished && st.learner?.storesRows) {
      throw new InputError(`learnOne after finish() is not supported for method '${st.options.method}' (batch EM fits once)`);
    }
    try {
      checkRow(caller, row, x, xo, L.d, y, yo, L.q);
    } catch (e) {
      if (e instanceof RowError) st.counters.rejected++;
      throw e;
    }
    if (learnRow(st, L, x, xo, y, yo)) initialize(st, false);
  }

  /**
   * Initializes now from however many rows are buffered (a stream shorter than `initRows`).
   * Throws InputError when there are too few rows for the model. No-op once initialized.
   */
  flush(): void {
    const st = this.st;
    if (st.learner) return;
    if (!st.buffer || st.buffer.n === 0) throw new NotFittedError("MoeRegressor has seen no rows: call learnOne first");
    initialize(st, true);
  }

  /** End of data: `flush`, then let batch learners (EM) fit. Idempotent for streaming methods. */
  finish(): void {
    this.flush();
    const st = this.st;
    if (!st.finished || !st.learner?.storesRows) (st.learner as Learner).finish();
    st.finished = true;
  }

  /**
   * Fits on a finite data set: `epochs` passes after initialization, each in a seeded random order
   * (default), file order, or i.i.d. with replacement (the empirical-distribution stream of spec
   * §1.1), then `finish()`. When the data are fewer than `initRows` rows, the first pass only fills
   * the initialization buffer (which then holds each row once and is fitted with restarts), and
   * `epochs` learning passes follow. X is n×d row-major, Y is n×q.
   */
  fit(X: ArrayLike<number>, Y: ArrayLike<number>, n: number, options: FitOptions = {}): this {
    const epochs = options.epochs ?? 1;
    const order = options.order ?? "shuffle";
    if (!Number.isInteger(epochs) || epochs < 1) throw new InputError(`fit requires epochs to be an int in the range [1, inf), got ${epochs}`);
    if (!Number.isInteger(n) || n < 1) throw new InputError(`fit requires n ≥ 1 rows, got ${n}`);
    if (X.length % n !== 0 || Y.length % n !== 0) throw new InputError(`fit requires X of length n·d and Y of length n·q, got ${X.length} and ${Y.length} for n = ${n}`);
    const d = X.length / n;
    const q = Y.length / n;
    const L = ensureDims(this.st, d, q, "fit");
    this.checkFinite(X, "X", "fit");
    this.checkFinite(Y, "Y", "fit");
    const idx = new Int32Array(n);
    // Batch EM stores rows and iterates to convergence itself: one pass gives it all the data.
    let passes = this.options.method === "em" ? 1 : epochs;
    for (let e = 0; e < passes; e++) {
      fillEpochOrder(idx, order, this.st.orderRng);
      for (let r = 0; r < n; r++) this.learnChecked("fit", L, X, idx[r] * d, Y, idx[r] * q, idx[r]);
      if (e === 0 && !this.isInitialized) {
        // The whole data set sits in the buffer: initialize on it, then run the learning passes.
        this.flush();
        if (this.options.method !== "em") passes++;
      }
    }
    this.finish();
    return this;
  }

  private requireFitted(caller: string): { L: MoeLayout; sc: Scaler; theta: Float64Array } {
    const st = this.st;
    if (!st.learner || !st.L || !st.scaler) {
      const have = st.buffer?.n ?? 0;
      const L = st.L;
      throw new NotFittedError(
        `${caller} needs an initialized model: ${have} of ${L ? initRowsFor(st, L) : "?"} initialization rows buffered; learn more rows or call flush()`,
      );
    }
    return { L: st.L, sc: st.scaler, theta: st.learner.params() };
  }

  /**
   * What a user needs to tell a good fit from a broken one: rows set aside or rejected, the
   * initialization, experts at the variance floor, weak or dead experts, a separable gate, skipped
   * or ridged M-steps, guard trips (see estimators/diagnostics.ts). Needs an initialized model.
   */
  diagnostics(): FitDiagnostics {
    const { L, theta } = this.requireFitted("diagnostics");
    const st = this.st;
    const health = st.learner?.health?.() ?? {};
    return computeDiagnostics(L, theta, health, st.counters, st.init, st.seen, st.learned, st.options.varianceFloor);
  }

  /** `diagnostics()` as one-line warnings, each with what to do about it (empty: nothing to report). */
  warnings(): string[] {
    return diagnosticWarnings(this.diagnostics(), this.options.nExperts);
  }

  /** Allocation-free prediction into `out` (from `createPrediction`). x has d entries. */
  predictInto(x: ArrayLike<number>, out: Prediction): Prediction {
    const { L, sc, theta } = this.requireFitted("predictOne");
    if (x.length !== L.d) throw new InputError(`predictOne requires x of length ${L.d}, got ${x.length}`);
    this.checkFinite(x, "x", "predictOne");
    return predictRow(L, sc, theta, x, this.st.xs, this.st.rowWs as RowWorkspace, out);
  }

  /** A reusable `Prediction` buffer for `predictInto`. */
  createPrediction(): Prediction {
    return newPrediction(this.requireFitted("createPrediction").L);
  }

  /** Predicts one row (never changes the model). */
  predictOne(x: ArrayLike<number>): Prediction {
    return this.predictInto(x, this.createPrediction());
  }

  /** Predicts n rows (X n×d row-major). */
  predict(X: ArrayLike<number>, n: number): Predictions {
    const { L } = this.requireFitted("predict");
    if (X.length !== n * L.d) throw new InputError(`predict requires X of length n·d = ${n * L.d}, got ${X.length}`);
    const res = newPredictions(L, n);
    const out = this.createPrediction();
    const row = new Float64Array(L.d);
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < L.d; a++) row[a] = X[i * L.d + a];
      storePrediction(L, res, i, this.predictInto(row, out));
    }
    return res;
  }

  /** −log p(y | x) of one row, original units. */
  nllOne(x: ArrayLike<number>, y: number | ArrayLike<number>): number {
    const { L, sc, theta } = this.requireFitted("nllOne");
    const yy: ArrayLike<number> = typeof y === "number" ? [y] : y;
    if (x.length !== L.d || yy.length !== L.q) throw new InputError(`nllOne requires x of length ${L.d} and y of length ${L.q}`);
    const st = this.st;
    scaleDesign(sc, x, 0, L.d, st.xs, 0);
    scaleTargets(sc, yy, 0, L.q, st.ys, 0);
    return rowNll(L, theta, st.xs, 0, st.ys, 0, st.rowWs as RowWorkspace) + st.nllOffset;
  }

  /** Mean NLL per row in original units over n rows (X n×d, Y n×q). Lower is better. */
  score(X: ArrayLike<number>, Y: ArrayLike<number>, n: number): number {
    const { L, sc, theta } = this.requireFitted("score");
    if (X.length !== n * L.d || Y.length !== n * L.q) throw new InputError(`score requires X of length ${n * L.d} and Y of length ${n * L.q}`);
    const st = this.st;
    let s = 0;
    for (let i = 0; i < n; i++) {
      scaleDesign(sc, X, i * L.d, L.d, st.xs, 0);
      scaleTargets(sc, Y, i * L.q, L.q, st.ys, 0);
      s += rowNll(L, theta, st.xs, 0, st.ys, 0, st.rowWs as RowWorkspace);
    }
    return s / n + st.nllOffset;
  }

  /**
   * The fixed scaling of inputs and targets (x̃ = (x − xMean)/xScale, ỹ = (y − yMean)/yScale: the
   * initialization buffer's median and IQR/1.349), in which the variance floor and prior live.
   */
  scaling(): { xMean: number[]; xScale: number[]; yMean: number[]; yScale: number[] } {
    const { sc } = this.requireFitted("scaling");
    return { xMean: Array.from(sc.xMean), xScale: Array.from(sc.xScale), yMean: Array.from(sc.yMean), yScale: Array.from(sc.yScale) };
  }

  /** The fitted parameters in original units (gate and expert rows with the intercept first). */
  parameters(): MoeParameters {
    const { L, sc, theta } = this.requireFitted("parameters");
    return parametersFromTheta(L, thetaToOriginal(L, sc, theta));
  }

  /** Full state as JSON-ready data: save → load → continue is bit-identical to never stopping. */
  toJSON(): ModelSnapshot {
    return toSnapshot(this.st, this.isInitialized ? this.diagnostics() : null);
  }

  /**
   * Restores a model from `toJSON()` output, validating it. Throws ModelFormatError. The thread
   * count is not saved (it never changes the model): give `threads` to continue learning on several.
   */
  static fromJSON(data: unknown, runtime: { readonly threads?: number | null } = {}): MoeRegressor {
    let st: RegressorState;
    try {
      st = fromParsed(parseModelFile(data), runtime.threads);
    } catch (e) {
      if (e instanceof ModelFormatError) throw e;
      throw new ModelFormatError(`invalid model file: ${(e as Error).message}`);
    }
    const m = new MoeRegressor(st.options);
    m.st = st;
    return m;
  }
}
