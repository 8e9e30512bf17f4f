/**
 * The whole state of a `MoeRegressor` as one plain record (Optimisers.jl style): the class is a thin
 * shell over it, and the steps (estimators/learn-row.ts, estimators/initialize.ts) and the model
 * file (estimators/snapshot.ts) are functions over it.
 */
import { InputError } from "../core/errors.js";
import { createRng, type Rng } from "../core/rng.js";
import type { Learner } from "../learners/types.js";
import { moeLayout, type MoeLayout } from "../model/dims.js";
import { createRowWorkspace, type RowWorkspace } from "../model/moe.js";
import type { Scaler } from "../model/scaling.js";
import { emptyCounters, type InitSummary, type RowCounters } from "./diagnostics.js";
import type { ResolvedOptions } from "./options.js";

/** Raw rows held before initialization (bounded: `cap` rows). */
export interface InitBuffer {
  X: Float64Array; // cap×d, raw units
  Y: Float64Array; // cap×q
  n: number;
  cap: number;
  /** 1-based ordinal (among rows seen) of each buffered row, for naming outliers. */
  rows: Float64Array;
}

export interface RegressorState {
  readonly options: ResolvedOptions;
  meta: Record<string, unknown>;
  L: MoeLayout | null;
  scaler: Scaler | null;
  /** Σ_j log σ_j of the scaler: scaled-units NLL + this = NLL in original units (fixed with the scaler). */
  nllOffset: number;
  buffer: InitBuffer | null;
  learner: Learner | null;
  /** Parameters given by `startFrom` (original units), used instead of the EM initialization. */
  userTheta: Float64Array | null;
  learnerRng: Rng;
  orderRng: Rng;
  /** Rows seen (buffered, learned or set aside as outliers; not rows refused with a RowError). */
  seen: number;
  /** Rows the learner took after initialization. */
  learned: number;
  /** Σ and count of the prequential NLL (original units) of the predicting parameters, before each row. */
  preqSum: number;
  preqCount: number;
  /** Opt-in (`trackPrequentialError`, not saved): Σ squared error of the prediction before each row, rows counted. */
  preqSq: number;
  preqSqRows: number;
  trackSq: boolean;
  finished: boolean;
  counters: RowCounters;
  init: InitSummary | null;
  // owned scratch (allocated once the dimensions are known)
  xs: Float64Array;
  ys: Float64Array;
  rowWs: RowWorkspace | null;
  /** q-vectors for the prequential squared error's prediction. */
  sqMean: Float64Array;
  sqVar: Float64Array;
  /** `learnBatch` scratch: scaled design rows and targets (grown to the largest batch). */
  batchX: Float64Array | null;
  batchY: Float64Array | null;
}

export function createState(options: ResolvedOptions): RegressorState {
  const root = createRng(options.seed);
  return {
    options, meta: {}, L: null, scaler: null, nllOffset: 0, buffer: null, learner: null, userTheta: null,
    learnerRng: root.fork(2), orderRng: root.fork(3),
    seen: 0, learned: 0, preqSum: 0, preqCount: 0, preqSq: 0, preqSqRows: 0, trackSq: false, finished: false,
    counters: emptyCounters(), init: null,
    xs: new Float64Array(0), ys: new Float64Array(0), rowWs: null, sqMean: new Float64Array(0), sqVar: new Float64Array(0),
    batchX: null, batchY: null,
  };
}

/** Fixes d and q on first use (allocating the scratch), or checks them. */
export function ensureDims(st: RegressorState, d: number, q: number, caller: string): MoeLayout {
  if (st.L) {
    if (st.L.d !== d) throw new InputError(`${caller} requires x of length ${st.L.d}, got ${d}`);
    if (st.L.q !== q) throw new InputError(`${caller} requires y of length ${st.L.q}, got ${q}`);
    return st.L;
  }
  const L = moeLayout({ K: st.options.nExperts, d, q });
  st.L = L;
  st.xs = new Float64Array(L.p);
  st.ys = new Float64Array(q);
  st.rowWs = createRowWorkspace(L);
  st.sqMean = new Float64Array(q);
  st.sqVar = new Float64Array(q);
  return L;
}

/** Rows buffered before initialization: option `initRows` or max(1000, 5·K·p). */
export function initRowsFor(st: RegressorState, L: MoeLayout): number {
  return st.options.initRows ?? Math.max(1000, 5 * L.K * L.p);
}

/** Number of rows needed to initialize: one per free parameter, and at least 2K. */
export function minInitRows(L: MoeLayout): number {
  return Math.max(L.size, 2 * L.K);
}
