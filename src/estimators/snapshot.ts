/**
 * A `MoeRegressor`'s state to and from its saved form (estimators/model-file.ts): save → load →
 * continue is bit-identical to never stopping.
 */
import { attachScorer } from "./learn-row.js";
import { ModelFormatError } from "../core/errors.js";
import { rngFromState } from "../core/rng.js";
import { learnerFactory } from "../learners/registry.js";
import { toNumbers } from "../learners/types.js";
import { nllShift } from "../model/scaling.js";
import { emptyCounters, type FitDiagnostics, type InitSummary, type RowCounters } from "./diagnostics.js";
import { learnerContext } from "./initialize.js";
import { MODEL_FORMAT, MODEL_VERSION, type ModelSnapshot, type ParsedModel } from "./model-file.js";
import { resolveOptions } from "./options.js";
import { createState, ensureDims, initRowsFor, type RegressorState } from "./state.js";

/** The JSON-ready saved form of `st`; `diagnostics` (derived, for readers) is stored alongside. */
export function toSnapshot(st: RegressorState, diagnostics: FitDiagnostics | null): ModelSnapshot {
  const L = st.L;
  const sc = st.scaler;
  const b = st.buffer;
  // `threads` is how fast this process runs, not part of the model (the result does not depend on it).
  const { threads: _threads, ...options } = st.options;
  return {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    options,
    meta: st.meta,
    dims: L ? { K: L.K, d: L.d, q: L.q } : null,
    scaler: sc ? { xMean: toNumbers(sc.xMean), xScale: toNumbers(sc.xScale), yMean: toNumbers(sc.yMean), yScale: toNumbers(sc.yScale) } : null,
    buffer: b && L
      ? { n: b.n, X: toNumbers(b.X.subarray(0, b.n * L.d)), Y: toNumbers(b.Y.subarray(0, b.n * L.q)), rows: toNumbers(b.rows.subarray(0, b.n)) }
      : null,
    startTheta: st.userTheta ? toNumbers(st.userTheta) : null,
    learner: st.learner ? st.learner.toJSON() : null,
    rng: { learner: st.learnerRng.getState(), order: st.orderRng.getState() },
    nSeen: st.seen,
    learned: st.learned,
    prequential: { sum: st.preqSum, count: st.preqCount },
    finished: st.finished,
    counters: { ...st.counters, outlierRows: st.counters.outlierRows.slice() },
    init: st.init,
    diagnostics,
  };
}

function countersFrom(v: unknown): RowCounters {
  const c = emptyCounters();
  if (typeof v !== "object" || v === null) return c;
  const o = v as Record<string, unknown>;
  const count = (x: unknown) => (typeof x === "number" && Number.isInteger(x) && x >= 0 ? x : 0);
  c.outliers = count(o.outliers);
  c.rejected = count(o.rejected);
  if (Array.isArray(o.outlierRows)) c.outlierRows = o.outlierRows.filter((r): r is number => typeof r === "number" && Number.isInteger(r) && r > 0);
  return c;
}

/** Rebuilds the state from a validated model file. Throws ModelFormatError. */
export function fromParsed(f: ParsedModel, threads?: number | null): RegressorState {
  const opts = f.options as Record<string, unknown>;
  const st = createState(resolveOptions(threads === undefined ? opts : { ...opts, threads }));
  st.meta = f.meta;
  st.learnerRng = rngFromState(f.rngLearner);
  st.orderRng = rngFromState(f.rngOrder);
  st.seen = f.nSeen;
  st.learned = f.learned ?? 0;
  st.preqSum = f.prequential.sum;
  st.preqCount = f.prequential.count;
  st.finished = f.finished;
  st.counters = countersFrom(f.counters);
  st.init = (f.init as InitSummary | null) ?? null;
  if (f.dims === null) return st;
  if (f.dims.K !== st.options.nExperts) {
    throw new ModelFormatError(`model file dims.K (${f.dims.K}) disagrees with options.nExperts (${st.options.nExperts})`);
  }
  const L = ensureDims(st, f.dims.d, f.dims.q, "fromJSON");
  if (f.startTheta) st.userTheta = f.startTheta(L.size);
  if (f.buffer) {
    const b = f.buffer(L.d, L.q);
    const cap = Math.max(initRowsFor(st, L), b.n);
    const X = new Float64Array(cap * L.d);
    const Y = new Float64Array(cap * L.q);
    const rows = new Float64Array(cap);
    X.set(b.X);
    Y.set(b.Y);
    rows.set(b.rows);
    st.buffer = { X, Y, n: b.n, cap, rows };
  }
  if (f.learner) {
    if (!f.scaler) throw new ModelFormatError("model file has a learner but no scaler");
    st.scaler = f.scaler(L.d, L.q);
    st.nllOffset = nllShift(st.scaler);
    if (f.learner.method !== st.options.method) throw new ModelFormatError(`model file learner method must be '${st.options.method}'`);
    st.learner = learnerFactory(st.options.method).restore(learnerContext(st, L), f.learner);
    attachScorer(st, L);
  }
  return st;
}
