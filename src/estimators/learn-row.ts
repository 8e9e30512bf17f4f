/**
 * One row into the estimator: buffer it (before initialization) or scale it and pass it to the
 * learner, scoring it first with the parameters that predict (prequential, predict-then-learn).
 *
 * Rows are screened in two tiers:
 *  - not computable (a non-finite value, or |v| > 1e150 whose square would overflow a statistic):
 *    `RowError` before anything changes — the caller can locate it, skip it, or stop;
 *  - an outlier (after initialization, some value more than `outlierThreshold` robust scales from
 *    the median): counted and named in the diagnostics, not learned — one wild value must not
 *    poison the statistic every later row is blended into.
 */
import { RowError } from "../core/errors.js";
import { isComputable, MAX_ABS_VALUE } from "../core/limits.js";
import type { MoeLayout } from "../model/dims.js";
import { predictMoments, rowPosterior, type RowWorkspace } from "../model/moe.js";
import { scaleDesign, scaleTargets, type Scaler } from "../model/scaling.js";
import type { Learner } from "../learners/types.js";
import { MAX_EXAMPLES } from "./diagnostics.js";
import { initRowsFor, type RegressorState } from "./state.js";

/** Throws RowError if some value of the row is not computable. `row` names it within the caller's batch. */
export function checkRow(
  caller: string, row: number, x: ArrayLike<number>, xo: number, d: number, y: ArrayLike<number>, yo: number, q: number,
): void {
  for (let a = 0; a < d; a++) {
    const v = x[xo + a];
    if (!isComputable(v)) throw new RowError(caller, row, "x", a, Number.isFinite(v) ? `${v}, beyond ±${MAX_ABS_VALUE}` : `${v}`);
  }
  for (let j = 0; j < q; j++) {
    const v = y[yo + j];
    if (!isComputable(v)) throw new RowError(caller, row, "y", j, Number.isFinite(v) ? `${v}, beyond ±${MAX_ABS_VALUE}` : `${v}`);
  }
}

function bufferRow(st: RegressorState, L: MoeLayout, x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number): void {
  if (st.buffer === null) {
    const cap = initRowsFor(st, L);
    st.buffer = { X: new Float64Array(cap * L.d), Y: new Float64Array(cap * L.q), n: 0, cap, rows: new Float64Array(cap) };
  }
  const b = st.buffer;
  for (let a = 0; a < L.d; a++) b.X[b.n * L.d + a] = x[xo + a];
  for (let j = 0; j < L.q; j++) b.Y[b.n * L.q + j] = y[yo + j];
  b.rows[b.n] = st.seen;
  b.n++;
}

/**
 * Learns one checked row. Before initialization the row is buffered, and the return value says
 * whether the buffer is now full (the caller initializes); afterwards the row is scaled into the
 * state's scratch (no allocation), screened for outliers, scored by the predicting parameters, and
 * learned (returns false).
 */
export function learnRow(st: RegressorState, L: MoeLayout, x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number): boolean {
  st.seen++;
  const learner = st.learner;
  if (learner === null) {
    bufferRow(st, L, x, xo, y, yo);
    return (st.buffer as NonNullable<RegressorState["buffer"]>).n >= initRowsFor(st, L);
  }
  const sc = st.scaler as Scaler;
  const xs = st.xs;
  const ys = st.ys;
  scaleDesign(sc, x, xo, L.d, xs, 0);
  scaleTargets(sc, y, yo, L.q, ys, 0);
  if (isOutlier(st, L, xs, 0, ys, 0)) {
    noteOutlier(st, st.seen);
    return false;
  }
  scoreAndLearn(st, L, learner, xs, ys);
  return false;
}

/**
 * True when some value of a scaled row (design row at X[xo..], its intercept skipped; targets at
 * Y[yo..]) is more than `outlierThreshold` robust scales from the median. Never, when the threshold is null.
 */
export function isOutlier(st: RegressorState, L: MoeLayout, X: Float64Array, xo: number, Y: Float64Array, yo: number): boolean {
  const limit = st.options.outlierThreshold;
  if (limit === null) return false;
  for (let i = 1; i < L.p; i++) if (Math.abs(X[xo + i]) > limit) return true;
  for (let j = 0; j < L.q; j++) if (Math.abs(Y[yo + j]) > limit) return true;
  return false;
}

/** Records an outlier's ordinal (the first few) and counts it. */
export function noteOutlier(st: RegressorState, ordinal: number): void {
  const c = st.counters;
  c.outliers++;
  if (c.outlierRows.length < MAX_EXAMPLES) c.outlierRows.push(ordinal);
}

/**
 * Gives a learner that scores rows itself (mini-batch ISMM, when a batch starts) the estimator's
 * prequential scorer. Call whenever `st.learner` is set.
 */
export function attachScorer(st: RegressorState, L: MoeLayout): void {
  const learner = st.learner;
  if (learner?.setScorer === undefined) return;
  learner.setScorer((X, xo, Y, yo) => scoreRow(st, L, learner, X, xo, Y, yo));
}

/** Prequential score of the scaled row under the predicting parameters, then one learner step. */
function scoreAndLearn(st: RegressorState, L: MoeLayout, learner: Learner, xs: Float64Array, ys: Float64Array): void {
  if (learner.setScorer === undefined) scoreRow(st, L, learner, xs, 0, ys, 0);
  learner.learn(xs, 0, ys, 0);
  st.learned++;
}

/** Adds the prequential score of the scaled row (X[xo..], Y[yo..]) under the predicting parameters. */
function scoreRow(st: RegressorState, L: MoeLayout, learner: Learner, X: Float64Array, xo: number, Y: Float64Array, yo: number): void {
  const ws = st.rowWs as RowWorkspace;
  if (st.trackSq) addSquaredError(st, L, learner, X, xo, Y, yo, ws);
  rowPosterior(L, learner.params(), X, xo, Y, yo, ws);
  const f = ws.loss[0];
  if (Number.isFinite(f)) {
    st.preqSum += f + st.nllOffset;
    st.preqCount++;
  }
}

/**
 * Learns m checked rows (raw X m×d, Y m×q) of an initialized model as ONE mini-batch step: each row
 * is scaled, screened for outliers (counted, left out) and scored by the predicting parameters, then
 * the kept rows go to `learner.learnBatch` together (or one by one for a method without batch steps).
 */
export function learnRowsAsBatch(st: RegressorState, L: MoeLayout, X: ArrayLike<number>, xo: number, Y: ArrayLike<number>, yo: number, m: number): void {
  const learner = st.learner as Learner;
  const sc = st.scaler as Scaler;
  learner.flushPending?.(); // rows of an unfinished batch come first, as their own step
  if (st.batchX === null || st.batchX.length < m * L.p) {
    st.batchX = new Float64Array(m * L.p);
    st.batchY = new Float64Array(m * L.q);
  }
  const bX = st.batchX;
  const bY = st.batchY as Float64Array;
  let kept = 0;
  for (let i = 0; i < m; i++) {
    st.seen++;
    scaleDesign(sc, X, xo + i * L.d, L.d, bX, kept * L.p);
    scaleTargets(sc, Y, yo + i * L.q, L.q, bY, kept * L.q);
    if (isOutlier(st, L, bX, kept * L.p, bY, kept * L.q)) {
      noteOutlier(st, st.seen);
      continue;
    }
    scoreRow(st, L, learner, bX, kept * L.p, bY, kept * L.q);
    if (learner.learnBatch === undefined) {
      learner.learn(bX, kept * L.p, bY, kept * L.q);
      st.learned++;
    } else kept++;
  }
  if (kept > 0) {
    (learner.learnBatch as NonNullable<Learner["learnBatch"]>)(bX, 0, bY, 0, kept);
    st.learned += kept;
  }
}

/** Squared error (original units) of the predictive mean of the scaled row, before learning it. */
function addSquaredError(st: RegressorState, L: MoeLayout, learner: Learner, X: Float64Array, xo: number, Y: Float64Array, yo: number, ws: RowWorkspace): void {
  const sc = st.scaler as Scaler;
  predictMoments(L, learner.params(), X, xo, ws, st.sqMean, st.sqVar);
  for (let j = 0; j < L.q; j++) {
    const r = sc.yScale[j] * (Y[yo + j] - st.sqMean[j]);
    st.preqSq += r * r;
  }
  st.preqSqRows++;
}
