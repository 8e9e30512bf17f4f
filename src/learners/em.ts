/**
 * Batch EM as a learner: `learn` stores rows (memory O(n·(p+q)), NOT constant — the batch
 * reference), `finish` runs EM with the exact Newton gate step from θ0 to convergence.
 * Rows are stored once: call `finish` after the first pass (extra epochs add nothing to EM).
 */
import { batchEM, type EmOptions } from "../mm/batch-em.js";
import { availableThreads } from "../parallel/batch-stats.js";
import type { MoeLayout } from "../model/dims.js";
import { fromNumbers, toNumbers, type InitData, type Learner, type LearnerContext, type LearnerFactory, type LearnerSnapshot } from "./types.js";

export interface EmLearnerOptions {
  readonly emMaxIter: number;
  readonly emTol: number;
  readonly varianceFloor: number;
  readonly variancePrior: number;
  readonly priorVariance: number;
  readonly gateRidge: number;
  readonly l1?: number;
  readonly l2?: number;
  /** Threads for EM's row sums (null: the machine's cores); the result does not depend on it. */
  readonly threads?: number | null;
}

class EmLearner implements Learner {
  readonly method = "em" as const;
  readonly storesRows = true;
  private X: Float64Array;
  private Y: Float64Array;
  private n = 0;
  /** Result of the last `finish()` (for diagnostics). */
  lastFit: { iterations: number; converged: boolean; nll: number } | null = null;
  constructor(
    private readonly L: MoeLayout,
    private readonly opts: EmOptions,
    readonly theta: Float64Array,
  ) {
    this.X = new Float64Array(1024 * L.p);
    this.Y = new Float64Array(1024 * L.q);
  }
  get nSeen(): number {
    return this.n;
  }
  learn(x: Float64Array, xo: number, y: Float64Array, yo: number): number {
    const { p, q } = this.L;
    if ((this.n + 1) * p > this.X.length) {
      const X2 = new Float64Array(this.X.length * 2);
      X2.set(this.X);
      this.X = X2;
      const Y2 = new Float64Array(this.Y.length * 2);
      Y2.set(this.Y);
      this.Y = Y2;
    }
    for (let i = 0; i < p; i++) this.X[this.n * p + i] = x[xo + i];
    for (let j = 0; j < q; j++) this.Y[this.n * q + j] = y[yo + j];
    this.n++;
    return NaN;
  }
  params(): Float64Array {
    return this.theta;
  }
  finish(): void {
    if (this.n === 0) return;
    const r = batchEM(this.L, this.theta, this.X, this.Y, this.n, this.opts);
    this.lastFit = { iterations: r.iterations, converged: r.converged, nll: r.history[r.history.length - 1] };
  }
  toJSON(): LearnerSnapshot {
    const { p, q } = this.L;
    return {
      method: "em", n: this.n, theta: toNumbers(this.theta),
      X: toNumbers(this.X.subarray(0, this.n * p)), Y: toNumbers(this.Y.subarray(0, this.n * q)),
    };
  }
  /** @internal restore rows */
  load(X: Float64Array, Y: Float64Array, n: number): void {
    this.X = new Float64Array(Math.max(1024, n) * this.L.p);
    this.Y = new Float64Array(Math.max(1024, n) * this.L.q);
    this.X.set(X);
    this.Y.set(Y);
    this.n = n;
  }
}

function emOptions(ctx: LearnerContext): EmOptions {
  const o = ctx.options as unknown as EmLearnerOptions;
  return {
    maxIter: o.emMaxIter, tol: o.emTol, varianceFloor: o.varianceFloor,
    variancePrior: o.variancePrior, priorVariance: o.priorVariance, gateRidge: o.gateRidge,
    l1: o.l1, l2: o.l2,
    threads: o.threads ?? availableThreads(), // each iteration's row sums on worker threads where it pays (mm/em-passes.ts)
  };
}

export const emLearner: LearnerFactory = {
  method: "em",
  create(ctx: LearnerContext, theta0: Float64Array, init: InitData | null): Learner {
    const l = new EmLearner(ctx.layout, emOptions(ctx), theta0.slice());
    if (init) for (let i = 0; i < init.n; i++) l.learn(init.X, i * ctx.layout.p, init.Y, i * ctx.layout.q);
    return l;
  },
  restore(ctx: LearnerContext, snap: LearnerSnapshot): Learner {
    const L = ctx.layout;
    const n = snap.n;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0) throw new RangeError("em snapshot: n must be a non-negative integer");
    const l = new EmLearner(L, emOptions(ctx), fromNumbers(snap.theta, L.size, "em snapshot theta"));
    l.load(fromNumbers(snap.X, n * L.p, "em snapshot X"), fromNumbers(snap.Y, n * L.q, "em snapshot Y"), n);
    return l;
  },
};
