/**
 * The ISMM learner: the generic engine (mm/ismm.ts) driven by the MoE surrogate.
 * With an initialization buffer, s starts at the buffer's batch statistic at θ0 with n = buffer
 * size, so the M-step is valid from the first streamed row (no burn-in needed); without one,
 * the first `burnIn` rows are averaged exactly (γ = 1/n) before the first M-step.
 *
 * Two solvers for the M-step (option `solver`, default "fast"):
 *   - "fast": surrogate/moe-fast.ts, O(K p²) per row: Sherman–Morrison inverses with β and W
 *     carried along, exact refactorization every `refactorEvery` rows. The statistic s lives in
 *     the fast workspace's heap so every p² pass runs in the heap kernels (WebAssembly SIMD, else asm.js).
 *   - "exact": surrogate/moe.ts, a Cholesky solve per factor and row, O(K p³).
 * They agree to ~1e-12 relative on well-conditioned problems (test/surrogate/moe-fast.test.ts).
 *
 * With `batchSize` > 1 the learner is mini-batch ISMM (learners/ismm-batch.ts: one blend and one
 * exact M-step per batch, the batch statistic on `threads` threads); `learnBatch` gives any learner
 * one such step.
 *
 * Snapshot: n, nAvg, skippedMsteps, θ, θ̃, s, the solver, and for "fast" the fast state (inverses,
 * pending rank-ones, carried β/W, validity, ages), so save → load → continue is bit-identical.
 * A snapshot without fast state (e.g. saved by the exact solver) restores into the fast solver
 * by refactorizing from s at the next M-step.
 */
import { OptionError } from "../core/errors.js";
import { batchStats } from "../mm/batch-mm.js";
import { availableThreads, createBatchStats, threadsFor, type BatchStats } from "../parallel/batch-stats.js";
import { batchStep, IsmmBatchLearner, pendingFromSnapshot } from "./ismm-batch.js";
import { ismmInit, ismmParams, ismmStep, type IsmmConfig, type IsmmState } from "../mm/ismm.js";
import type { MoeLayout } from "../model/dims.js";
import { moeSurrogate, type MoeSurrogate, type MoeWorkspace } from "../surrogate/moe.js";
import { FULL_COVARIANCE_STEP_SCALE } from "../surrogate/moe-covariance.js";
import { DEFAULT_REFACTOR_EVERY, moeFastSurrogate, type MoeFastSurrogate, type MoeFastWorkspace } from "../surrogate/moe-fast.js";
import { streamingPenalty } from "../surrogate/moe-lasso.js";
import {
  fromNumbers, toNumbers, type InitData, type Learner, type LearnerContext, type LearnerFactory, type LearnerHealth, type LearnerSnapshot,
} from "./types.js";

export type IsmmSolver = "fast" | "exact";
export const ISMM_SOLVERS: readonly IsmmSolver[] = ["fast", "exact"];

/** The ISMM options the estimator resolves (see estimators/options.ts for defaults). */
export interface IsmmLearnerOptions {
  /** γ0; null = `autoStepScale` from the rows of the initial statistic. */
  readonly stepScale: number | null;
  readonly stepExponent: number;
  readonly burnIn: number;
  /** Polyak averaging of θ over rows n > averageFrom; null disables it. */
  readonly averageFrom: number | null;
  readonly varianceFloor: number;
  /** MAP variance prior (pseudo-rows) and its mode σ0² (surrogate/moe.ts). */
  readonly variancePrior: number;
  readonly priorVariance: number;
  /** Elastic net on the expert slopes (surrogate/moe-lasso.ts); absent = 0. */
  readonly l1?: number;
  readonly l2?: number;
  /** M-step solver; absent = "fast". */
  readonly solver?: IsmmSolver;
  /** Fast solver: rank-one updates between exact refactorizations; absent = DEFAULT_REFACTOR_EVERY. */
  readonly refactorEvery?: number;
  /** Rows per mini-batch step (mm/minibatch.ts); absent or 1 = per-row ISMM. */
  readonly batchSize?: number;
  /** Threads computing a batch's statistic; null = the machine's cores; absent = 1. */
  readonly threads?: number | null;
}

/** The surrogate and its workspace, tagged by solver. */
type Engine =
  | { readonly solver: "exact"; readonly sur: MoeSurrogate; readonly ws: MoeWorkspace }
  | { readonly solver: "fast"; readonly sur: MoeFastSurrogate; readonly ws: MoeFastWorkspace };

class IsmmLearner implements Learner {
  readonly method = "ismm" as const;
  readonly storesRows = false;
  private stats: BatchStats | null = null;
  constructor(
    private readonly engine: Engine,
    private readonly cfg: IsmmConfig,
    readonly state: IsmmState,
    private readonly threads: number,
  ) {}
  get nSeen(): number {
    return this.state.n;
  }
  /** "fast" or "exact". */
  get solver(): IsmmSolver {
    return this.engine.solver;
  }
  learn(x: Float64Array, xo: number, y: Float64Array, yo: number): number {
    const e = this.engine;
    return e.solver === "fast"
      ? ismmStep(e.sur, this.cfg, this.state, x, xo, y, yo, e.ws)
      : ismmStep(e.sur, this.cfg, this.state, x, xo, y, yo, e.ws);
  }
  /**
   * m rows as ONE mini-batch step (mm/minibatch.ts) through the exact M-step; the fast solver's
   * inverses are then rebuilt from s at its next row.
   */
  learnBatch(X: Float64Array, xo: number, Y: Float64Array, yo: number, m: number): void {
    if (m <= 0) return;
    const e = this.engine;
    if (this.stats === null) this.stats = createBatchStats(e.sur.layout, threadsFor(e.sur.layout, m, this.threads), m);
    if (e.solver === "fast") {
      this.stats = batchStep(e.sur.exact, e.ws, this.cfg, this.state, this.stats, X, xo, Y, yo, m, this.threads);
      e.sur.invalidate(e.ws);
    } else {
      this.stats = batchStep(e.sur, e.ws, this.cfg, this.state, this.stats, X, xo, Y, yo, m, this.threads);
    }
  }
  close(): void {
    this.stats?.close();
    this.stats = null;
  }
  params(): Float64Array {
    return ismmParams(this.state);
  }
  finish(): void {}
  health(): LearnerHealth {
    const e = this.engine;
    const st = this.state;
    const S = e.sur.stats;
    return {
      expertWeights: st.s.slice(S.s0, S.s0 + e.sur.layout.K),
      rowWeight: e.ws.rowWeight[0],
      skippedMsteps: st.skippedMsteps,
      ridgedSolves: e.ws.ridged[0],
      ...(e.solver === "fast" ? { guardTrips: e.ws.fast.guardTrips } : {}),
    };
  }
  toJSON(): LearnerSnapshot {
    const st = this.state;
    const e = this.engine;
    return {
      method: "ismm", n: st.n, nAvg: st.nAvg, skippedMsteps: st.skippedMsteps,
      theta: toNumbers(st.theta), thetaAvg: toNumbers(st.thetaAvg), s: toNumbers(st.s),
      solver: e.solver, rowWeight: e.ws.rowWeight[0], ridgedSolves: e.ws.ridged[0], gamma0: this.cfg.schedule.gamma0,
      ...(e.solver === "fast" ? { fast: e.sur.exportFastState(e.ws) } : {}),
    };
  }
}

function resolveSolver(v: unknown): IsmmSolver {
  const solver = v ?? "fast";
  if (solver !== "fast" && solver !== "exact") {
    throw new OptionError(`The 'solver' option of ISMM must be one of 'fast', 'exact'. Got ${JSON.stringify(solver)} instead`);
  }
  return solver;
}

/**
 * The automatic γ0: 1, lowered so that the statistic's window at the start of learning, about
 * 1/γ = n0^α/γ0 rows, holds at least one row per coefficient of every expert (K·p). A shorter window
 * lets the experts' statistics be re-estimated from fewer rows than they have coefficients, and
 * experts die (measured at d = 100, K = 3: with γ0 = 1 two of three experts lost their weight within
 * 2,000 rows from a start near the truth). n0 counts the rows the initial statistic stands for.
 */
export function autoStepScale(L: MoeLayout, n0: number, alpha: number, refining = false): number {
  const cap = Math.min(refining ? REFINE_STEP_SCALE : 1, L.full && L.q > 1 ? FULL_COVARIANCE_STEP_SCALE : 1);
  return Math.min(cap, Math.pow(Math.max(n0, 1), alpha) / (L.K * L.p));
}

/**
 * The automatic γ0's cap when the start is a converged batch fit of the whole data set (a small file,
 * `InitData.weight` > n): the passes refine it. Measured (`scripts/small-data/check.sh`, NPreg,
 * motorcycle, ethanol, tone, K = 2–4, one pass): worst gap to R flexmix's MLE 0.0008 nats/row with
 * γ0 = 0.25, 0.0042 with γ0 = 1.
 */
export const REFINE_STEP_SCALE = 0.25;

interface Resolved {
  readonly L: MoeLayout;
  readonly cfg: IsmmConfig;
  readonly solver: IsmmSolver;
  readonly o: IsmmLearnerOptions;
  readonly batchSize: number;
  readonly threads: number;
}

function resolve(ctx: LearnerContext): Resolved {
  const o = ctx.options as unknown as IsmmLearnerOptions;
  const cfg: IsmmConfig = {
    // γ0 is fixed in `build` once the initial statistic's row count is known (or read from a snapshot).
    schedule: { gamma0: o.stepScale ?? NaN, alpha: o.stepExponent },
    burnIn: o.burnIn,
    averageFrom: o.averageFrom,
  };
  const refactorEvery = o.refactorEvery ?? DEFAULT_REFACTOR_EVERY;
  if (!Number.isInteger(refactorEvery) || refactorEvery < 1) {
    throw new OptionError(`The 'refactorEvery' option of ISMM must be an int in the range [1, inf). Got ${refactorEvery} instead`);
  }
  const batchSize = o.batchSize ?? 1;
  const threads = o.threads === null ? availableThreads() : (o.threads ?? 1);
  // Mini-batch steps use the exact M-step: O(K p³) once per batch (the fast solver's rank-one updates are per row).
  return { L: ctx.layout, cfg, solver: batchSize > 1 ? "exact" : resolveSolver(o.solver), o, batchSize, threads };
}

/**
 * Builds the engine and a state at θ = θ̃ = `theta0` whose statistic `fill` writes (it returns the
 * row count n). For the fast solver the statistic lives in the workspace heap, so the p² passes
 * run in the heap kernels (WebAssembly SIMD where available, else asm.js).
 */
function build(
  ctx: LearnerContext, theta0: Float64Array, fill: (sur: MoeSurrogate | MoeFastSurrogate, s: Float64Array, ws: MoeWorkspace | MoeFastWorkspace) => number,
  savedGamma0?: number,
  refining = false,
): { engine: Engine; cfg: IsmmConfig; state: IsmmState; r: Resolved } {
  const r = resolve(ctx);
  const { L, solver, o } = r;
  let cfg = r.cfg;
  const withGamma0 = (n0: number): void => {
    const gamma0 = savedGamma0 ?? o.stepScale ?? autoStepScale(L, Math.max(n0, o.burnIn), o.stepExponent, refining);
    cfg = { ...cfg, schedule: { gamma0, alpha: o.stepExponent } };
  };
  if (solver === "exact") {
    const sur = moeSurrogate(L, { varianceFloor: o.varianceFloor, variancePrior: o.variancePrior, priorVariance: o.priorVariance, ...streamingPenalty(o) });
    const ws = sur.createWorkspace();
    const s = new Float64Array(sur.statSize);
    const n0 = fill(sur, s, ws);
    withGamma0(n0);
    const base = ismmInit(sur, theta0, s, n0);
    return { engine: { solver, sur, ws }, cfg, state: base, r };
  }
  const sur = moeFastSurrogate(L, {
    varianceFloor: o.varianceFloor, variancePrior: o.variancePrior, priorVariance: o.priorVariance, refactorEvery: o.refactorEvery ?? DEFAULT_REFACTOR_EVERY,
    ...streamingPenalty(o), // elastic net (docs/SPARSE.md)
  });
  const ws = sur.createWorkspace(true);
  const s = ws.statistic as Float64Array;
  const n0 = fill(sur, s, ws);
  withGamma0(n0);
  const base = ismmInit(sur, theta0, s, n0); // validates lengths; copies s
  // Same record, but with the heap-resident statistic (identical values).
  const state: IsmmState = { n: base.n, s, theta: base.theta, thetaAvg: base.thetaAvg, nAvg: base.nAvg, skippedMsteps: base.skippedMsteps };
  return { engine: { solver, sur, ws }, cfg, state, r };
}

/** The learner over a built engine: mini-batch when batchSize > 1 (then the engine is exact). */
function wrap(engine: Engine, cfg: IsmmConfig, state: IsmmState, r: Resolved, snap?: LearnerSnapshot): Learner {
  if (r.batchSize > 1 && engine.solver === "exact") {
    const pending = snap ? pendingFromSnapshot(snap, r.L) : null;
    return new IsmmBatchLearner(engine.sur, engine.ws, cfg, state, r.batchSize, r.threads, pending);
  }
  if (snap && pendingFromSnapshot(snap, r.L)?.m) throw new RangeError("ismm snapshot: rows of an unfinished mini-batch, but the batch size is 1");
  return new IsmmLearner(engine, cfg, state, r.threads);
}

export const ismmLearner: LearnerFactory = {
  method: "ismm",
  create(ctx: LearnerContext, theta0: Float64Array, init: InitData | null): Learner {
    const { engine, cfg, state, r } = build(ctx, theta0, (sur, s, ws) => {
      if (init && init.n > 0) {
        // batchStats through the learner's own workspace: for the fast solver this leaves every
        // factor invalid, so the first M-step refactorizes from s.
        if ("exportFastState" in sur) batchStats(sur, theta0, init.X, ctx.layout.p, init.Y, ctx.layout.q, init.n, s, ws as MoeFastWorkspace);
        else batchStats(sur, theta0, init.X, ctx.layout.p, init.Y, ctx.layout.q, init.n, s, ws);
        return init.weight ?? init.n;
      }
      return 0;
    }, undefined, init !== null && init.weight !== undefined && init.weight > init.n);
    return wrap(engine, cfg, state, r);
  },
  restore(ctx: LearnerContext, snap: LearnerSnapshot): Learner {
    const n = snap.n;
    const nAvg = snap.nAvg;
    const skipped = snap.skippedMsteps;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0) throw new RangeError("ismm snapshot: n must be a non-negative integer");
    if (typeof nAvg !== "number" || !Number.isInteger(nAvg) || nAvg < 0) throw new RangeError("ismm snapshot: nAvg must be a non-negative integer");
    if (snap.solver !== undefined && snap.solver !== "fast" && snap.solver !== "exact") throw new RangeError("ismm snapshot: solver must be 'fast' or 'exact'");
    // γ0 as resolved when the learner was created; snapshots from before the automatic γ0 had 0.25.
    const g = snap.gamma0;
    if (g !== undefined && !(typeof g === "number" && g > 0 && Number.isFinite(g))) throw new RangeError("ismm snapshot: gamma0 must be a positive number");
    const savedGamma0 = typeof g === "number" ? g : ((ctx.options as unknown as IsmmLearnerOptions).stepScale ?? 0.25);
    let statSize = 0;
    let paramSize = 0;
    const { engine, cfg, state, r } = build(ctx, new Float64Array(ctx.layout.size), (sur, s) => {
      statSize = sur.statSize;
      paramSize = sur.paramSize;
      s.set(fromNumbers(snap.s, sur.statSize, "ismm snapshot s"));
      return n;
    }, savedGamma0);
    state.n = n;
    state.nAvg = nAvg;
    state.skippedMsteps = typeof skipped === "number" ? skipped : 0;
    state.theta.set(fromNumbers(snap.theta, paramSize, "ismm snapshot theta"));
    state.thetaAvg.set(fromNumbers(snap.thetaAvg, paramSize, "ismm snapshot thetaAvg"));
    // The MAP prior's row weight (set again by the next accumulate) and a diagnostic count.
    if (typeof snap.rowWeight === "number" && snap.rowWeight >= 0 && snap.rowWeight <= 1) engine.ws.rowWeight[0] = snap.rowWeight;
    if (typeof snap.ridgedSolves === "number" && snap.ridgedSolves >= 0) engine.ws.ridged[0] = snap.ridgedSolves;
    if (state.s.length !== statSize) throw new RangeError("ismm snapshot: statistic size mismatch");
    // Fast state: only when it was saved by the fast solver (else the first M-step refactorizes).
    if (engine.solver === "fast" && snap.solver === "fast" && snap.fast !== undefined) {
      engine.sur.importFastState(engine.ws, snap.fast, state.s);
    }
    return wrap(engine, cfg, state, r, snap);
  },
};
