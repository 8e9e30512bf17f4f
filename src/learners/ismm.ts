/**
 * The ISMM learner: the generic engine (mm/ismm.ts) driven by the MoE surrogate.
 * With an initialization buffer, s starts at the buffer's batch statistic at θ0 with n = buffer
 * size, so the M-step is valid from the first streamed row (no burn-in needed); without one,
 * the first `burnIn` rows are averaged exactly (γ = 1/n) before the first M-step.
 */
import { batchStats } from "../mm/batch-mm.js";
import { ismmInit, ismmParams, ismmStep, type IsmmConfig, type IsmmState } from "../mm/ismm.js";
import { moeSurrogate, type MoeSurrogate, type MoeWorkspace } from "../surrogate/moe.js";
import { fromNumbers, toNumbers, type InitData, type Learner, type LearnerContext, type LearnerFactory, type LearnerSnapshot } from "./types.js";

/** The ISMM options the estimator resolves (see estimators/options.ts for defaults). */
export interface IsmmLearnerOptions {
  readonly stepScale: number;
  readonly stepExponent: number;
  readonly burnIn: number;
  /** Fraction of the rows seen at the start of averaging... see `averageFrom`. */
  readonly averageFrom: number | null;
  readonly varianceFloor: number;
}

class IsmmLearner implements Learner {
  readonly method = "ismm" as const;
  readonly storesRows = false;
  private readonly ws: MoeWorkspace;
  constructor(
    private readonly sur: MoeSurrogate,
    private readonly cfg: IsmmConfig,
    readonly state: IsmmState,
  ) {
    this.ws = sur.createWorkspace();
  }
  get nSeen(): number {
    return this.state.n;
  }
  learn(x: Float64Array, xo: number, y: Float64Array, yo: number): number {
    return ismmStep(this.sur, this.cfg, this.state, x, xo, y, yo, this.ws);
  }
  params(): Float64Array {
    return ismmParams(this.state);
  }
  finish(): void {}
  toJSON(): LearnerSnapshot {
    const st = this.state;
    return {
      method: "ismm", n: st.n, nAvg: st.nAvg, skippedMsteps: st.skippedMsteps,
      theta: toNumbers(st.theta), thetaAvg: toNumbers(st.thetaAvg), s: toNumbers(st.s),
    };
  }
}

function resolve(ctx: LearnerContext): { sur: MoeSurrogate; cfg: IsmmConfig } {
  const o = ctx.options as unknown as IsmmLearnerOptions;
  const sur = moeSurrogate(ctx.layout, { varianceFloor: o.varianceFloor });
  const cfg: IsmmConfig = {
    schedule: { gamma0: o.stepScale, alpha: o.stepExponent },
    burnIn: o.burnIn,
    averageFrom: o.averageFrom,
  };
  return { sur, cfg };
}

export const ismmLearner: LearnerFactory = {
  method: "ismm",
  create(ctx: LearnerContext, theta0: Float64Array, init: InitData | null): Learner {
    const { sur, cfg } = resolve(ctx);
    let state: IsmmState;
    if (init && init.n > 0) {
      const s = new Float64Array(sur.statSize);
      batchStats(sur, theta0, init.X, ctx.layout.p, init.Y, ctx.layout.q, init.n, s);
      state = ismmInit(sur, theta0, s, init.n);
    } else {
      state = ismmInit(sur, theta0);
    }
    return new IsmmLearner(sur, cfg, state);
  },
  restore(ctx: LearnerContext, snap: LearnerSnapshot): Learner {
    const { sur, cfg } = resolve(ctx);
    const n = snap.n;
    const nAvg = snap.nAvg;
    const skipped = snap.skippedMsteps;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0) throw new RangeError("ismm snapshot: n must be a non-negative integer");
    if (typeof nAvg !== "number" || !Number.isInteger(nAvg) || nAvg < 0) throw new RangeError("ismm snapshot: nAvg must be a non-negative integer");
    const state: IsmmState = {
      n, nAvg, skippedMsteps: typeof skipped === "number" ? skipped : 0,
      s: fromNumbers(snap.s, sur.statSize, "ismm snapshot s"),
      theta: fromNumbers(snap.theta, sur.paramSize, "ismm snapshot theta"),
      thetaAvg: fromNumbers(snap.thetaAvg, sur.paramSize, "ismm snapshot thetaAvg"),
    };
    return new IsmmLearner(sur, cfg, state);
  },
};
