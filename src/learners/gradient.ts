/**
 * The gradient baselines as learners: SGD, RMSProp, Adam and Sophia-G (ALGORITHM.md §4.1), each an
 * `Optimizer` from `optim/` driven by the analytic NLL gradient of `model/gradient.ts`, on the same
 * parameterization (W, β, v = log σ²), the same θ0 and the same scaled rows as ISMM.
 *
 * One step per mini-batch of B = `batchSize` rows (B = 1 is the online setting of the paper):
 *
 *   for each row i of the batch:  f_i = f(θ; x_i, y_i),  G += ∇f(θ; x_i, y_i)     (θ fixed in the batch)
 *   when the batch holds B rows:  g = G / B;  Δ = opt.update(g);  θ ← θ + Δ;  G ← 0
 *
 * `learn` returns f_i, the row's loss at the parameters it is about to be learned with (before the
 * update), which the estimator records as the prequential (predict-then-learn) loss at no extra cost.
 *
 * **Partial final batch.** Rows of an unfinished batch are not lost: `finish()` applies one step
 * with the average gradient over the c < B rows held (g = G / c). A stream whose length is a
 * multiple of B is therefore unaffected by `finish()`, and `finish()` is idempotent. Between
 * batches, `params()` does not include the rows of the unfinished batch.
 *
 * **Sophia.** After every step t that is a multiple of k = `hessianEvery` (the official
 * `train_sophiag.py` schedule, `SophiaOptimizer.hessianDue`), the learner re-uses the rows of the
 * batch just stepped on, at the new θ: for each row it draws ŷ ~ p(·|x; θ) with the learner RNG
 * (`ctx.rng`, whose state the estimator saves), and it calls `updateHessian` with
 * ĝ = (1/c) Σ ∇f(θ; x_i, ŷ_i) (Gauss–Newton–Bartlett; `batchSize` is passed to Sophia as bs).
 * Sophia keeps the design rows of the current batch for this (B·p numbers; the other methods keep
 * none).
 *
 * **Learning rate.** `learningRate` option, or, when it is null, the optimizer's documented default
 * (`OPTIMIZER_DEFAULTS` in optim/index.ts, the single source). See docs/BASELINES.md for measured
 * quality at the defaults and for fair tuning (`tuneLearningRate` in lr-grid.ts).
 *
 * **Divergence.** The averaged gradient, the step Δ and the new θ are checked after every step;
 * anything non-finite throws `NumericalError` naming the method, the step and the learning rate,
 * and suggesting a smaller one. The learner must not be used after that error.
 *
 * Memory O(size of θ) (+ B·p for Sophia); `learn` allocates nothing.
 */
import type { JsonDouble } from "../core/json-doubles.js";
import { NumericalError, OptionError } from "../core/errors.js";
import type { Rng } from "../core/rng.js";
import type { MoeLayout } from "../model/dims.js";
import { rowNllGrad, sampleFromModel } from "../model/gradient.js";
import { createRowWorkspace, type RowWorkspace } from "../model/moe.js";
import {
  makeOptimizer,
  sophia,
  stateFromJSON,
  stateToJSON,
  type Optimizer,
  type OptimizerName,
  type OptimizerState,
  type SophiaOptimizer,
  type SophiaState,
} from "../optim/index.js";
import {
  fromNumbers,
  toNumbers,
  type InitData,
  type Learner,
  type LearnerContext,
  type LearnerFactory,
  type LearnerSnapshot,
} from "./types.js";

/** The estimator options a gradient learner reads (see estimators/options.ts). */
export interface GradientLearnerOptions {
  /** Step size; null = the optimizer's default. */
  readonly learningRate: number | null;
  /** Rows per step (B). */
  readonly batchSize: number;
  /** Sophia: steps between Hessian refreshes (k). */
  readonly hessianEvery: number;
}

/** Snapshot layout of a gradient learner (JSON-ready). */
export interface GradientLearnerSnapshot extends LearnerSnapshot {
  readonly method: OptimizerName;
  /** Rows seen, the initialization buffer included. */
  readonly nSeen: number;
  readonly theta: JsonDouble[];
  /** `stateToJSON` of the optimizer state (exact doubles, −0 and non-finite spelled out). */
  readonly optimizer: unknown;
  /** Rows accumulated in the unfinished batch (0 ≤ c < B). */
  readonly batchCount: number;
  /** Σ of the row gradients of the unfinished batch (length = size of θ). */
  readonly batchGrad: JsonDouble[];
  /** Sophia only: the c design rows of the unfinished batch (c·p numbers); [] otherwise. */
  readonly batchRows: JsonDouble[];
}

/** Throws the divergence error if a[0..n) holds a non-finite value. Allocates only when throwing. */
function requireFinite(a: Float64Array, what: string, learner: GradientLearner): void {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) learner.diverged(what, i);
  }
}

class GradientLearner implements Learner {
  readonly storesRows = false;
  private readonly ws: RowWorkspace;
  /** ŷ scratch for Sophia's sampler (length q). */
  private readonly yHat: Float64Array;
  /** ĝ scratch for Sophia (length of θ). */
  private readonly gHat: Float64Array;

  constructor(
    readonly method: OptimizerName,
    private readonly L: MoeLayout,
    private readonly opt: Optimizer<OptimizerState>,
    private readonly sophiaOpt: SophiaOptimizer | null,
    private readonly rng: Rng,
    private readonly batchSize: number,
    readonly theta: Float64Array,
    readonly state: OptimizerState,
    /** Σ ∇f over the rows of the unfinished batch. */
    private readonly batchGrad: Float64Array,
    /** Sophia: design rows of the unfinished batch (B·p); empty otherwise. */
    private readonly batchRows: Float64Array,
    private batchCount: number,
    private seen: number,
  ) {
    this.ws = createRowWorkspace(L);
    this.yHat = new Float64Array(sophiaOpt ? L.q : 0);
    this.gHat = new Float64Array(sophiaOpt ? L.size : 0);
  }

  get nSeen(): number {
    return this.seen;
  }

  /** The step size in use (the option, or the optimizer's default). */
  get learningRate(): number {
    return this.opt.options.learningRate as number;
  }

  /** Optimizer steps taken so far. */
  get steps(): number {
    return this.state.t;
  }

  learn(x: Float64Array, xo: number, y: Float64Array, yo: number): number {
    const L = this.L;
    const f = rowNllGrad(L, this.theta, x, xo, y, yo, this.ws, this.batchGrad);
    if (this.sophiaOpt) {
      const o = this.batchCount * L.p;
      for (let i = 0; i < L.p; i++) this.batchRows[o + i] = x[xo + i];
    }
    this.batchCount++;
    this.seen++;
    if (this.batchCount === this.batchSize) this.step();
    return f;
  }

  /** One optimizer step on the average gradient of the `batchCount` rows held. */
  private step(): void {
    const c = this.batchCount;
    const g = this.batchGrad;
    const theta = this.theta;
    const inv = 1 / c;
    for (let i = 0; i < g.length; i++) g[i] *= inv;
    requireFinite(g, "gradient", this);
    this.opt.update(g, this.state, theta); // g ← Δ
    requireFinite(g, "step", this);
    for (let i = 0; i < theta.length; i++) theta[i] += g[i];
    requireFinite(theta, "parameters", this);
    g.fill(0);
    this.batchCount = 0;
    const so = this.sophiaOpt;
    if (so && so.hessianDue(this.state as SophiaState)) {
      // Gauss–Newton–Bartlett refresh on the same rows at the new θ (official train_sophiag.py).
      const L = this.L;
      const gh = this.gHat;
      gh.fill(0);
      for (let r = 0; r < c; r++) {
        sampleFromModel(L, theta, this.batchRows, r * L.p, this.rng, this.yHat, this.ws);
        rowNllGrad(L, theta, this.batchRows, r * L.p, this.yHat, 0, this.ws, gh, inv);
      }
      requireFinite(gh, "Gauss–Newton–Bartlett gradient", this);
      so.updateHessian(this.state as SophiaState, gh);
    }
  }

  /** @internal Throws the NumericalError for a non-finite `what` at index i. */
  diverged(what: string, i: number): never {
    const lr = this.learningRate;
    throw new NumericalError(
      `${this.method} diverged at step ${this.state.t + 1} (row ${this.seen}): the ${what} has a non-finite entry ` +
        `(index ${i}) with learningRate = ${lr}. Use a smaller learningRate (e.g. ${lr / 10}) or choose one with tuneLearningRate`,
    );
  }

  params(): Float64Array {
    return this.theta;
  }

  /** Applies the partial final batch, if any (see the module header). Idempotent. */
  finish(): void {
    if (this.batchCount > 0) this.step();
  }

  toJSON(): GradientLearnerSnapshot {
    return {
      method: this.method,
      nSeen: this.seen,
      theta: toNumbers(this.theta),
      optimizer: stateToJSON(this.state),
      batchCount: this.batchCount,
      batchGrad: toNumbers(this.batchGrad),
      batchRows: this.sophiaOpt ? toNumbers(this.batchRows.subarray(0, this.batchCount * this.L.p)) : [],
    };
  }
}

function resolveOptimizer(method: OptimizerName, ctx: LearnerContext): { opt: Optimizer<OptimizerState>; sophiaOpt: SophiaOptimizer | null; batchSize: number } {
  const o = ctx.options as unknown as GradientLearnerOptions;
  const lr = o.learningRate ?? undefined; // undefined ⇒ the optimizer's documented default
  if (method === "sophia") {
    const s = sophia({ learningRate: lr, batchSize: o.batchSize, hessianEvery: o.hessianEvery });
    return { opt: s as unknown as Optimizer<OptimizerState>, sophiaOpt: s, batchSize: o.batchSize };
  }
  return { opt: makeOptimizer(method, { learningRate: lr }), sophiaOpt: null, batchSize: o.batchSize };
}

/** Checks a restored optimizer state against a fresh one: same fields, same buffer lengths. */
function checkState(method: OptimizerName, fresh: OptimizerState, restored: OptimizerState): void {
  for (const key of Object.keys(fresh)) {
    const a = fresh[key];
    const b = restored[key];
    if (a instanceof Float64Array) {
      if (!(b instanceof Float64Array) || b.length !== a.length) {
        throw new RangeError(`${method} snapshot: optimizer state '${key}' must be a buffer of length ${a.length}`);
      }
    } else if (typeof a !== typeof b) {
      throw new RangeError(`${method} snapshot: optimizer state '${key}' must be a ${typeof a}`);
    }
  }
  for (const key of Object.keys(restored)) {
    if (!(key in fresh)) throw new RangeError(`${method} snapshot: unknown optimizer state field '${key}'`);
  }
}

function gradientFactory(method: OptimizerName): LearnerFactory {
  return {
    method,
    create(ctx: LearnerContext, theta0: Float64Array, init: InitData | null): Learner {
      const L = ctx.layout;
      if (L.full) throw new OptionError(`${method} supports covariance 'diagonal' only (use method 'ismm' or 'em' for a full covariance)`);
      if (theta0.length !== L.size) throw new RangeError(`${method} requires theta0 of length ${L.size}, got ${theta0.length}`);
      const { opt, sophiaOpt, batchSize } = resolveOptimizer(method, ctx);
      return new GradientLearner(
        method, L, opt, sophiaOpt, ctx.rng, batchSize,
        theta0.slice(), opt.init(L.size), new Float64Array(L.size),
        new Float64Array(sophiaOpt ? batchSize * L.p : 0), 0,
        // θ0 was fitted on the initialization buffer (shared multi-start EM): count those rows as seen.
        init ? init.n : 0,
      );
    },
    restore(ctx: LearnerContext, snap: LearnerSnapshot): Learner {
      const L = ctx.layout;
      const s = snap as Partial<GradientLearnerSnapshot>;
      if (s.method !== method) throw new RangeError(`${method} snapshot: method is ${JSON.stringify(s.method)}`);
      const { opt, sophiaOpt, batchSize } = resolveOptimizer(method, ctx);
      const n = s.nSeen;
      if (typeof n !== "number" || !Number.isInteger(n) || n < 0) throw new RangeError(`${method} snapshot: nSeen must be a non-negative integer`);
      const c = s.batchCount;
      if (typeof c !== "number" || !Number.isInteger(c) || c < 0 || c >= batchSize) {
        throw new RangeError(`${method} snapshot: batchCount must be an int in [0, ${batchSize}) for batchSize ${batchSize}`);
      }
      const state = stateFromJSON(s.optimizer);
      checkState(method, opt.init(L.size), state);
      const rows = new Float64Array(sophiaOpt ? batchSize * L.p : 0);
      if (sophiaOpt) rows.set(fromNumbers(s.batchRows, c * L.p, `${method} snapshot batchRows`));
      return new GradientLearner(
        method, L, opt, sophiaOpt, ctx.rng, batchSize,
        fromNumbers(s.theta, L.size, `${method} snapshot theta`), state,
        fromNumbers(s.batchGrad, L.size, `${method} snapshot batchGrad`), rows, c, n,
      );
    },
  };
}

/** SGD, RMSProp, Adam and Sophia-G learners, in the registry's order. */
export const gradientLearners: readonly LearnerFactory[] = [
  gradientFactory("sgd"),
  gradientFactory("rmsprop"),
  gradientFactory("adam"),
  gradientFactory("sophia"),
];
