/**
 * `MoeRegressor`: the user-facing streaming estimator (River `learn_one` / sklearn `partial_fit`
 * semantics), a thin shell over plain state and the learner registry.
 *
 * Life cycle:
 *  1. The first `initRows` rows are buffered (bounded memory). Then the scaler is fitted on the
 *     buffer (mean/sd, fixed from then on: no data leakage, constant memory), θ0 is found by the
 *     multi-start EM of mm/init.ts on the buffer (or taken from `startFrom`), and the chosen
 *     learner is created with the buffer available (ISMM seeds s with the buffer's statistic).
 *  2. Every later row is scaled into an owned buffer and passed to the learner: no allocation.
 *  3. `finish()` ends the data: initializes from a short buffer if the stream ended early, and lets
 *     batch methods (EM) fit.
 *
 * Predictions and scores are in the original units of the data.
 */
import { InputError, ModelFormatError, NotFittedError } from "../core/errors.js";
import { createRng, rngFromState, type Rng } from "../core/rng.js";
import { moeLayout, type MoeLayout } from "../model/dims.js";
import { createRowWorkspace, predictMoments, rowNll, type RowWorkspace } from "../model/moe.js";
import { parametersFromTheta, thetaFromParameters, type MoeParameters } from "../model/parameters.js";
import {
  fitScaler, identityScaler, nllShift, scaleDesign, scaleTargets, thetaToOriginal, thetaToScaled, type Scaler,
} from "../model/scaling.js";
import { initializeMoe } from "../mm/init.js";
import { learnerFactory } from "../learners/registry.js";
import { toNumbers, type Learner, type LearnerContext } from "../learners/types.js";
import { MODEL_FORMAT, MODEL_VERSION, parseModelFile, type ModelSnapshot, type ParsedModel } from "./model-file.js";
import { resolveOptions, type MoeRegressorOptions, type ResolvedOptions } from "./options.js";

/** One prediction (original units). */
export interface Prediction {
  /** q predictive means E[y_j | x]. */
  readonly mean: Float64Array;
  /** q predictive variances Var[y_j | x] (law of total variance). */
  readonly variance: Float64Array;
  /** K gate probabilities π_k(x). */
  readonly gate: Float64Array;
  /** K×q per-expert means β_kjᵀx (row k = expert k). */
  readonly expertMeans: Float64Array;
  /** MAP expert argmax_k π_k(x) (0-based). */
  expert: number;
}

/** Batch predictions: row-major n×q, n×q, n×K, n. */
export interface Predictions {
  readonly n: number;
  readonly mean: Float64Array;
  readonly variance: Float64Array;
  readonly gate: Float64Array;
  readonly expert: Int32Array;
}

/** Epoch options of `fit` on a finite data set. */
export interface FitOptions {
  /** Passes over the data. Default 1. */
  readonly epochs?: number;
  /** Row order per epoch: seeded permutation (default), file order, or i.i.d. with replacement. */
  readonly order?: "shuffle" | "sequential" | "bootstrap";
}

interface Buffer {
  X: Float64Array;
  Y: Float64Array;
  n: number;
  cap: number;
}

/** Number of rows needed to initialize: one per free parameter, and at least 2K. */
export function minInitRows(L: MoeLayout): number {
  return Math.max(L.size, 2 * L.K);
}

export class MoeRegressor {
  readonly options: ResolvedOptions;
  /** Free-form metadata saved with the model (the CLI stores column names here). */
  meta: Record<string, unknown> = {};
  private L: MoeLayout | null = null;
  private scaler: Scaler | null = null;
  /** Σ_j log σ_j of the scaler: scaled-units NLL + this = NLL in original units (fixed with the scaler). */
  private nllOffset = 0;
  private buffer: Buffer | null = null;
  private learner: Learner | null = null;
  private userTheta: Float64Array | null = null;
  private learnerRng: Rng;
  private orderRng: Rng;
  private seen = 0;
  private preqSum = 0;
  private preqCount = 0;
  /** Opt-in (`trackPrequentialError`): Σ over rows and targets of the squared error of the prediction made before learning the row, and its row count. */
  private preqSq = 0;
  private preqSqRows = 0;
  private trackSq = false;
  private sqMean = new Float64Array(0);
  private sqVar = new Float64Array(0);
  private finished = false;
  // owned scratch (allocated once the dimensions are known)
  private xs = new Float64Array(0);
  private ys = new Float64Array(0);
  private rowWs: RowWorkspace | null = null;

  constructor(options: MoeRegressorOptions = {}) {
    this.options = resolveOptions(options as Record<string, unknown>);
    const root = createRng(this.options.seed);
    this.learnerRng = root.fork(2);
    this.orderRng = root.fork(3);
  }

  /** Number of rows learned (buffered rows included). */
  get nSeen(): number {
    return this.seen;
  }
  /** True once θ exists (the buffer was full, or `finish`/`flush` initialized early). */
  get isInitialized(): boolean {
    return this.learner !== null;
  }
  get nExperts(): number {
    return this.options.nExperts;
  }
  /** d, or undefined before the first row. */
  get nFeatures(): number | undefined {
    return this.L?.d;
  }
  /** q, or undefined before the first row. */
  get nTargets(): number | undefined {
    return this.L?.q;
  }
  /** Mean prequential (predict-then-learn) NLL per row in original units over rows after initialization, NaN if none. */
  get progressiveNll(): number {
    return this.preqCount > 0 ? this.preqSum / this.preqCount : NaN;
  }
  /**
   * Running prequential totals (original units): rows scored and Σ NLL (`progressiveNll` = nllSum /
   * count), and, once `trackPrequentialError()` was called, Σ over rows and targets of the squared
   * error of the predictive mean made before each row was learned (sqErrSum / (sqErrRows·q) is the
   * MSE). Differences of two readings give a window's values.
   */
  get prequentialTotals(): { count: number; nllSum: number; sqErrSum: number; sqErrRows: number } {
    return { count: this.preqCount, nllSum: this.preqSum, sqErrSum: this.preqSq, sqErrRows: this.preqSqRows };
  }
  /** Also accumulate the prequential squared error (one extra prediction per learned row; not saved). */
  trackPrequentialError(): void {
    this.trackSq = true;
  }
  /** The learner's method. */
  get method(): string {
    return this.options.method;
  }

  /** Rows buffered before initialization: option `initRows` or max(1000, 5·K·p). */
  initRowsFor(L: MoeLayout): number {
    return this.options.initRows ?? Math.max(1000, 5 * L.K * L.p);
  }

  /**
   * Starts learning from given parameters (original units) instead of the multi-start EM
   * initialization — e.g. the paper's "perturbed ground truth" experiments. Call before the
   * model initializes; the buffer is still used to fit the scaler and seed ISMM's statistic.
   */
  startFrom(params: MoeParameters, dims: { d: number; q: number }): void {
    if (this.learner) throw new InputError("startFrom must be called before the model is initialized");
    this.ensureDims(dims.d, dims.q, "startFrom");
    this.userTheta = thetaFromParameters(this.L as MoeLayout, params);
  }

  private ensureDims(d: number, q: number, caller: string): MoeLayout {
    if (this.L) {
      if (this.L.d !== d) throw new InputError(`${caller} requires x of length ${this.L.d}, got ${d}`);
      if (this.L.q !== q) throw new InputError(`${caller} requires y of length ${this.L.q}, got ${q}`);
      return this.L;
    }
    const L = moeLayout({ K: this.options.nExperts, d, q });
    this.L = L;
    this.xs = new Float64Array(L.p);
    this.ys = new Float64Array(q);
    this.rowWs = createRowWorkspace(L);
    return L;
  }

  private checkFinite(v: ArrayLike<number>, what: string, caller: string): void {
    for (let i = 0; i < v.length; i++) {
      if (!Number.isFinite(v[i])) throw new InputError(`${caller} requires finite values; ${what}[${i}] is ${v[i]}`);
    }
  }

  /**
   * Learns one row. `x` has d entries (no intercept; the library adds it), `y` is a number (q = 1)
   * or q numbers. Inputs are copied, never retained or mutated. Throws InputError on a length
   * mismatch or a non-finite value.
   */
  learnOne(x: ArrayLike<number>, y: number | ArrayLike<number>): void {
    const yy: ArrayLike<number> = typeof y === "number" ? [y] : y;
    const L = this.ensureDims(x.length, yy.length, "learnOne");
    this.checkFinite(x, "x", "learnOne");
    this.checkFinite(yy, "y", "learnOne");
    this.learnRow(L, x, 0, yy, 0);
  }

  /**
   * Learns n rows in order (= a loop of `learnOne`): X is n×d row-major, Y is n×q row-major.
   */
  learnMany(X: ArrayLike<number>, Y: ArrayLike<number>, n: number): void {
    if (!Number.isInteger(n) || n < 0) throw new InputError(`learnMany requires a non-negative integer n, got ${n}`);
    if (n === 0) return;
    if (X.length % n !== 0 || Y.length % n !== 0) {
      throw new InputError(`learnMany requires X of length n·d and Y of length n·q, got ${X.length} and ${Y.length} for n = ${n}`);
    }
    const d = X.length / n;
    const q = Y.length / n;
    const L = this.ensureDims(d, q, "learnMany");
    this.checkFinite(X, "X", "learnMany");
    this.checkFinite(Y, "Y", "learnMany");
    for (let i = 0; i < n; i++) this.learnRow(L, X, i * d, Y, i * q);
  }

  /** Alias of `learnMany` (scikit-learn naming). */
  partialFit(X: ArrayLike<number>, Y: ArrayLike<number>, n: number): void {
    this.learnMany(X, Y, n);
  }

  private learnRow(L: MoeLayout, x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number): void {
    if (this.finished && this.learner?.storesRows) {
      throw new InputError(`learnOne after finish() is not supported for method '${this.options.method}' (batch EM fits once)`);
    }
    this.seen++;
    const learner = this.learner;
    if (learner === null) {
      this.bufferRow(L, x, xo, y, yo);
      if ((this.buffer as Buffer).n >= this.initRowsFor(L)) this.initialize();
      return;
    }
    const sc = this.scaler as Scaler;
    scaleDesign(sc, x, xo, L.d, this.xs, 0);
    scaleTargets(sc, y, yo, L.q, this.ys, 0);
    if (this.trackSq) this.addSquaredError(L, sc, learner);
    const f = learner.learn(this.xs, 0, this.ys, 0);
    if (Number.isFinite(f)) {
      this.preqSum += f + this.nllOffset;
      this.preqCount++;
    }
  }

  /** Squared error of the predictive mean of the scaled row in xs/ys (before learning it), original units. */
  private addSquaredError(L: MoeLayout, sc: Scaler, learner: Learner): void {
    if (this.sqMean.length !== L.q) {
      this.sqMean = new Float64Array(L.q);
      this.sqVar = new Float64Array(L.q);
    }
    predictMoments(L, learner.params(), this.xs, 0, this.rowWs as RowWorkspace, this.sqMean, this.sqVar);
    for (let j = 0; j < L.q; j++) {
      const r = sc.yScale[j] * (this.ys[j] - this.sqMean[j]);
      this.preqSq += r * r;
    }
    this.preqSqRows++;
  }

  private bufferRow(L: MoeLayout, x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number): void {
    if (this.buffer === null) {
      const cap = this.initRowsFor(L);
      this.buffer = { X: new Float64Array(cap * L.d), Y: new Float64Array(cap * L.q), n: 0, cap };
    }
    const b = this.buffer;
    for (let a = 0; a < L.d; a++) b.X[b.n * L.d + a] = x[xo + a];
    for (let j = 0; j < L.q; j++) b.Y[b.n * L.q + j] = y[yo + j];
    b.n++;
  }

  /** Initializes from the buffered rows (called when the buffer is full, or by `flush`). */
  private initialize(): void {
    const L = this.L as MoeLayout;
    const b = this.buffer as Buffer;
    const need = minInitRows(L);
    if (b.n < need) {
      throw new InputError(
        `${b.n} row${b.n === 1 ? "" : "s"} are too few for ${L.K} expert${L.K === 1 ? "" : "s"} with ${L.d} input${L.d === 1 ? "" : "s"} and ${L.q} target${L.q === 1 ? "" : "s"}: at least ${need} are needed (one per parameter)`,
      );
    }
    const sc = this.options.standardize ? fitScaler(b.X, L.d, b.Y, L.q, b.n) : identityScaler(L.d, L.q);
    const X = new Float64Array(b.n * L.p);
    const Y = new Float64Array(b.n * L.q);
    for (let i = 0; i < b.n; i++) {
      scaleDesign(sc, b.X, i * L.d, L.d, X, i * L.p);
      scaleTargets(sc, b.Y, i * L.q, L.q, Y, i * L.q);
    }
    let theta0: Float64Array;
    if (this.userTheta) {
      theta0 = thetaToScaled(L, sc, this.userTheta);
    } else {
      const o = this.options;
      theta0 = initializeMoe(L, X, Y, b.n, createRng(o.seed).fork(1), {
        starts: o.initStarts, startIters: o.initIters, refineIters: o.refineIters, varianceFloor: o.varianceFloor,
      }).theta;
    }
    this.scaler = sc;
    this.nllOffset = nllShift(sc);
    this.learner = learnerFactory(this.options.method).create(this.context(L), theta0, { X, Y, n: b.n });
    this.buffer = null;
  }

  private context(L: MoeLayout): LearnerContext {
    return { layout: L, options: this.options as unknown as Record<string, unknown>, rng: this.learnerRng };
  }

  /**
   * Initializes now from however many rows are buffered (a stream shorter than `initRows`).
   * Throws InputError when there are too few rows for the model. No-op once initialized.
   */
  flush(): void {
    if (this.learner) return;
    if (!this.buffer || this.buffer.n === 0) throw new NotFittedError("MoeRegressor has seen no rows: call learnOne first");
    this.initialize();
  }

  /** End of data: `flush`, then let batch learners (EM) fit. Idempotent for streaming methods. */
  finish(): void {
    this.flush();
    if (!this.finished || !this.learner?.storesRows) (this.learner as Learner).finish();
    this.finished = true;
  }

  /**
   * Fits on a finite data set: `epochs` passes, each in a seeded random order (default), file
   * order, or i.i.d. with replacement (the empirical-distribution stream of spec §1.1), then
   * `finish()`. X is n×d row-major, Y is n×q.
   */
  fit(X: ArrayLike<number>, Y: ArrayLike<number>, n: number, options: FitOptions = {}): this {
    const epochs = options.epochs ?? 1;
    const order = options.order ?? "shuffle";
    if (!Number.isInteger(epochs) || epochs < 1) throw new InputError(`fit requires epochs to be an int in the range [1, inf), got ${epochs}`);
    if (!Number.isInteger(n) || n < 1) throw new InputError(`fit requires n ≥ 1 rows, got ${n}`);
    if (X.length % n !== 0 || Y.length % n !== 0) throw new InputError(`fit requires X of length n·d and Y of length n·q, got ${X.length} and ${Y.length} for n = ${n}`);
    const d = X.length / n;
    const q = Y.length / n;
    const L = this.ensureDims(d, q, "fit");
    this.checkFinite(X, "X", "fit");
    this.checkFinite(Y, "Y", "fit");
    const idx = new Int32Array(n);
    // Batch EM stores rows and iterates to convergence itself: one pass gives it all the data.
    const passes = this.options.method === "em" ? 1 : epochs;
    for (let e = 0; e < passes; e++) {
      for (let i = 0; i < n; i++) idx[i] = i;
      if (order === "shuffle") {
        for (let i = n - 1; i > 0; i--) {
          const j = this.orderRng.int(i + 1);
          const t = idx[i];
          idx[i] = idx[j];
          idx[j] = t;
        }
      } else if (order === "bootstrap") {
        for (let i = 0; i < n; i++) idx[i] = this.orderRng.int(n);
      }
      for (let r = 0; r < n; r++) this.learnRow(L, X, idx[r] * d, Y, idx[r] * q);
    }
    this.finish();
    return this;
  }

  private requireFitted(caller: string): { L: MoeLayout; sc: Scaler; theta: Float64Array } {
    if (!this.learner || !this.L || !this.scaler) {
      const have = this.buffer?.n ?? 0;
      const L = this.L;
      throw new NotFittedError(
        `${caller} needs an initialized model: ${have} of ${L ? this.initRowsFor(L) : "?"} initialization rows buffered; learn more rows or call flush()`,
      );
    }
    return { L: this.L, sc: this.scaler, theta: this.learner.params() };
  }

  /** Allocation-free prediction into `out` (from `createPrediction`). x has d entries. */
  predictInto(x: ArrayLike<number>, out: Prediction): Prediction {
    const { L, sc, theta } = this.requireFitted("predictOne");
    if (x.length !== L.d) throw new InputError(`predictOne requires x of length ${L.d}, got ${x.length}`);
    this.checkFinite(x, "x", "predictOne");
    const ws = this.rowWs as RowWorkspace;
    scaleDesign(sc, x, 0, L.d, this.xs, 0);
    out.expert = predictMoments(L, theta, this.xs, 0, ws, out.mean, out.variance);
    for (let k = 0; k < L.K; k++) {
      out.gate[k] = ws.a[k];
      for (let j = 0; j < L.q; j++) out.expertMeans[k * L.q + j] = sc.yMean[j] + sc.yScale[j] * ws.mu[k * L.q + j];
    }
    for (let j = 0; j < L.q; j++) {
      out.mean[j] = sc.yMean[j] + sc.yScale[j] * out.mean[j];
      out.variance[j] *= sc.yScale[j] * sc.yScale[j];
    }
    return out;
  }

  /** A reusable `Prediction` buffer for `predictInto`. */
  createPrediction(): Prediction {
    const { L } = this.requireFitted("createPrediction");
    return {
      mean: new Float64Array(L.q), variance: new Float64Array(L.q), gate: new Float64Array(L.K),
      expertMeans: new Float64Array(L.K * L.q), expert: 0,
    };
  }

  /** Predicts one row (never changes the model). */
  predictOne(x: ArrayLike<number>): Prediction {
    return this.predictInto(x, this.createPrediction());
  }

  /** Predicts n rows (X n×d row-major). */
  predict(X: ArrayLike<number>, n: number): Predictions {
    const { L } = this.requireFitted("predict");
    if (X.length !== n * L.d) throw new InputError(`predict requires X of length n·d = ${n * L.d}, got ${X.length}`);
    const res: Predictions = {
      n, mean: new Float64Array(n * L.q), variance: new Float64Array(n * L.q), gate: new Float64Array(n * L.K), expert: new Int32Array(n),
    };
    const out = this.createPrediction();
    const row = new Float64Array(L.d);
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < L.d; a++) row[a] = X[i * L.d + a];
      this.predictInto(row, out);
      res.mean.set(out.mean, i * L.q);
      res.variance.set(out.variance, i * L.q);
      res.gate.set(out.gate, i * L.K);
      res.expert[i] = out.expert;
    }
    return res;
  }

  /** −log p(y | x) of one row, original units. */
  nllOne(x: ArrayLike<number>, y: number | ArrayLike<number>): number {
    const { L, sc, theta } = this.requireFitted("nllOne");
    const yy: ArrayLike<number> = typeof y === "number" ? [y] : y;
    if (x.length !== L.d || yy.length !== L.q) throw new InputError(`nllOne requires x of length ${L.d} and y of length ${L.q}`);
    scaleDesign(sc, x, 0, L.d, this.xs, 0);
    scaleTargets(sc, yy, 0, L.q, this.ys, 0);
    return rowNll(L, theta, this.xs, 0, this.ys, 0, this.rowWs as RowWorkspace) + this.nllOffset;
  }

  /** Mean NLL per row in original units over n rows (X n×d, Y n×q). Lower is better. */
  score(X: ArrayLike<number>, Y: ArrayLike<number>, n: number): number {
    const { L, sc, theta } = this.requireFitted("score");
    if (X.length !== n * L.d || Y.length !== n * L.q) throw new InputError(`score requires X of length ${n * L.d} and Y of length ${n * L.q}`);
    let s = 0;
    for (let i = 0; i < n; i++) {
      scaleDesign(sc, X, i * L.d, L.d, this.xs, 0);
      scaleTargets(sc, Y, i * L.q, L.q, this.ys, 0);
      s += rowNll(L, theta, this.xs, 0, this.ys, 0, this.rowWs as RowWorkspace);
    }
    return s / n + this.nllOffset;
  }

  /** The fitted parameters in original units (gate and expert rows with the intercept first). */
  parameters(): MoeParameters {
    const { L, sc, theta } = this.requireFitted("parameters");
    return parametersFromTheta(L, thetaToOriginal(L, sc, theta));
  }

  /** Full state as JSON-ready data: save → load → continue is bit-identical to never stopping. */
  toJSON(): ModelSnapshot {
    const L = this.L;
    const sc = this.scaler;
    return {
      format: MODEL_FORMAT,
      version: MODEL_VERSION,
      options: { ...this.options },
      meta: this.meta,
      dims: L ? { K: L.K, d: L.d, q: L.q } : null,
      scaler: sc ? { xMean: toNumbers(sc.xMean), xScale: toNumbers(sc.xScale), yMean: toNumbers(sc.yMean), yScale: toNumbers(sc.yScale) } : null,
      buffer: this.buffer && L ? { n: this.buffer.n, X: Array.from(this.buffer.X.subarray(0, this.buffer.n * L.d)), Y: Array.from(this.buffer.Y.subarray(0, this.buffer.n * L.q)) } : null,
      startTheta: this.userTheta ? toNumbers(this.userTheta) : null,
      learner: this.learner ? this.learner.toJSON() : null,
      rng: { learner: this.learnerRng.getState(), order: this.orderRng.getState() },
      nSeen: this.seen,
      prequential: { sum: this.preqSum, count: this.preqCount },
      finished: this.finished,
    };
  }

  /** Restores a model from `toJSON()` output, validating it. Throws ModelFormatError. */
  static fromJSON(data: unknown): MoeRegressor {
    try {
      return MoeRegressor.fromParsed(parseModelFile(data));
    } catch (e) {
      if (e instanceof ModelFormatError) throw e;
      throw new ModelFormatError(`invalid model file: ${(e as Error).message}`);
    }
  }

  private static fromParsed(f: ParsedModel): MoeRegressor {
    const m = new MoeRegressor(f.options);
    m.meta = f.meta;
    m.learnerRng = rngFromState(f.rngLearner);
    m.orderRng = rngFromState(f.rngOrder);
    m.seen = f.nSeen;
    m.preqSum = f.prequential.sum;
    m.preqCount = f.prequential.count;
    m.finished = f.finished;
    if (f.dims === null) return m;
    if (f.dims.K !== m.options.nExperts) {
      throw new ModelFormatError(`model file dims.K (${f.dims.K}) disagrees with options.nExperts (${m.options.nExperts})`);
    }
    const L = m.ensureDims(f.dims.d, f.dims.q, "fromJSON");
    if (f.startTheta) m.userTheta = f.startTheta(L.size);
    if (f.buffer) {
      const b = f.buffer(L.d, L.q);
      const cap = Math.max(m.initRowsFor(L), b.n);
      const X = new Float64Array(cap * L.d);
      const Y = new Float64Array(cap * L.q);
      X.set(b.X);
      Y.set(b.Y);
      m.buffer = { X, Y, n: b.n, cap };
    }
    if (f.learner) {
      if (!f.scaler) throw new ModelFormatError("model file has a learner but no scaler");
      m.scaler = f.scaler(L.d, L.q);
      m.nllOffset = nllShift(m.scaler);
      if (f.learner.method !== m.options.method) throw new ModelFormatError(`model file learner method must be '${m.options.method}'`);
      m.learner = learnerFactory(m.options.method).restore(m.context(L), f.learner);
    }
    return m;
  }
}
