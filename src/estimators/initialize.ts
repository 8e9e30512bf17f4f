/**
 * Initialization from the buffered rows (README "Initialization without ground truth"):
 *
 *  1. a robust scaler (median, IQR/1.349) fitted on the buffer, fixed from then on;
 *  2. rows more than `outlierThreshold` robust scales from the median are set aside (counted and
 *     named in the diagnostics), so one gross value cannot steer the start;
 *  3. θ0 by multi-start EM with the MAP prior (mm/init.ts), or the user's `startFrom` parameters.
 *     When the stream ended before the buffer filled (`wholeData`: the buffer is the whole data
 *     set, so EM is cheap), `restarts` runs (default 10) are each refined to convergence and the
 *     lowest EM objective (mean NLL + MAP penalty, which a collapsed expert cannot game) is kept;
 *  4. the learner starts from θ0 with the remaining buffer (ISMM seeds its statistic with it).
 */
import { attachScorer } from "./learn-row.js";
import { createRng } from "../core/rng.js";
import { InputError } from "../core/errors.js";
import { learnerFactory } from "../learners/registry.js";
import type { LearnerContext } from "../learners/types.js";
import type { MoeLayout } from "../model/dims.js";
import { fitScaler, identityScaler, nllShift, scaleDesign, scaleTargets, thetaToScaled } from "../model/scaling.js";
import { initDefaults, initializeMoe } from "../mm/init.js";
import { availableThreads } from "../parallel/batch-stats.js";
import { MIN_ROWS_PER_PARAMETER } from "./diagnostics.js";
import { isOutlier, noteOutlier } from "./learn-row.js";
import { minInitRows, type RegressorState } from "./state.js";

/** Restarts refined when the buffer holds the whole data set and `restarts` is null (auto). */
export const WHOLE_DATA_RESTARTS = 10;

/** The learner's options: the estimator's, with the MAP prior in force (auto values resolved at initialization). */
export function learnerContext(st: RegressorState, L: MoeLayout): LearnerContext {
  const prior = st.init?.prior ?? resolvePrior(st.options.variancePrior, st.options.gateRidge, false);
  // Elastic net: ISMM predicts with its last iterate, whose zeros are exact (a Polyak average of sparse
  // iterates is dense; docs/SPARSE.md).
  const sparse = st.options.l1 > 0 || st.options.l2 > 0 ? { averageFrom: null } : {};
  return { layout: L, options: { ...st.options, ...prior, ...sparse } as unknown as Record<string, unknown>, rng: st.learnerRng };
}

/** Auto (null) prior strengths: stronger when the initialization has fewer than 3 rows per parameter. */
export function resolvePrior(variancePrior: number | null, gateRidge: number | null, overParameterized: boolean): { variancePrior: number; gateRidge: number } {
  return {
    variancePrior: variancePrior ?? (overParameterized ? 0.5 : 0.05),
    gateRidge: gateRidge ?? (overParameterized ? 1 : 0),
  };
}

function tooFew(n: number, L: MoeLayout, need: number, what: string): InputError {
  const s = (v: number, w: string) => `${v} ${w}${v === 1 ? "" : "s"}`;
  return new InputError(
    `${s(n, what)} are too few for ${s(L.K, "expert")} with ${s(L.d, "input")} and ${s(L.q, "target")}: at least ${need} are needed (one per parameter)`,
  );
}

/** Initializes `st` from its buffer. `wholeData`: the data ended before the buffer filled. */
export function initialize(st: RegressorState, wholeData: boolean): void {
  const L = st.L as MoeLayout;
  const b = st.buffer as NonNullable<RegressorState["buffer"]>;
  const o = st.options;
  const need = minInitRows(L);
  if (b.n < need) throw tooFew(b.n, L, need, "row");
  const sc = o.standardize ? fitScaler(b.X, L.d, b.Y, L.q, b.n) : identityScaler(L.d, L.q);
  const X = new Float64Array(b.n * L.p);
  const Y = new Float64Array(b.n * L.q);
  let n = 0;
  for (let i = 0; i < b.n; i++) {
    scaleDesign(sc, b.X, i * L.d, L.d, X, n * L.p);
    scaleTargets(sc, b.Y, i * L.q, L.q, Y, n * L.q);
    if (isOutlier(st, L, X, n * L.p, Y, n * L.q)) {
      noteOutlier(st, b.rows[i]);
      continue;
    }
    n++;
  }
  if (n < need) throw tooFew(n, L, need, "row without outliers");
  const restarts = o.restarts ?? (wholeData ? WHOLE_DATA_RESTARTS : 1);
  const overParameterized = n < MIN_ROWS_PER_PARAMETER * L.size;
  const prior = resolvePrior(o.variancePrior, o.gateRidge, overParameterized);
  const strongPrior = overParameterized && (o.variancePrior === null || o.gateRidge === null);
  let theta0: Float64Array;
  let weight = n;
  if (st.userTheta) {
    theta0 = thetaToScaled(L, sc, st.userTheta);
    st.init = { rows: n, method: "given", wholeData, restarts: 0, objectives: [], objective: NaN, converged: true, prior, strongPrior };
  } else {
    const def = initDefaults(L); // null initStarts / initIters / refineIters: by width
    const res = initializeMoe(L, X, Y, n, createRng(o.seed).fork(1), {
      // With the whole data set, every restart is screened from twice as many starts and refined to convergence.
      starts: Math.max(o.initStarts ?? def.starts, restarts > 1 ? 2 * restarts : 0),
      startIters: o.initIters ?? def.startIters,
      refineIters: wholeData ? Math.max(o.refineIters ?? def.refineIters, o.emMaxIter) : (o.refineIters ?? def.refineIters),
      tol: wholeData ? o.emTol : 1e-12,
      restarts,
      varianceFloor: o.varianceFloor, variancePrior: prior.variancePrior, priorVariance: o.priorVariance, gateRidge: prior.gateRidge,
      l1: o.l1, l2: o.l2, // elastic net (docs/SPARSE.md)
      threads: o.threads ?? availableThreads(), // starts and restarts on several threads (same result)
    });
    theta0 = res.theta;
    // A converged batch fit of the whole data set: its statistic stands for every EM pass over it.
    if (wholeData) weight = n * Math.max(1, res.iterations);
    st.init = { rows: n, method: "em", wholeData, restarts, objectives: res.refinedNlls, objective: res.nll, converged: res.converged, prior, strongPrior };
  }
  st.scaler = sc;
  st.nllOffset = nllShift(sc);
  st.learner = learnerFactory(o.method).create(learnerContext(st, L), theta0, { X: X.subarray(0, n * L.p), Y: Y.subarray(0, n * L.q), n, weight });
  attachScorer(st, L);
  st.buffer = null;
}
