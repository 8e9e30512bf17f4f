/**
 * Fit diagnostics: what a user needs to tell a good fit from a broken one, recorded with the model
 * and turned into one-line warnings with a remedy (`diagnosticWarnings`).
 *
 * Counted while learning (by the estimator): rows set aside as outliers, rows rejected as not
 * computable. Read from the learner (`Learner.health`): skipped and ridged M-steps, guard trips,
 * the experts' weights in the statistic. Derived from θ (scaled units) on demand: experts at the
 * variance floor, experts with too few effective rows (weak) or none (dead), and a separable gate
 * (a gate slope so steep that the gate is a hard switch on the standardized inputs).
 */
import type { MoeLayout } from "../model/dims.js";
import type { LearnerHealth } from "../learners/types.js";

/** Slope, per robust standard deviation of an input, above which the gate is reported as separable. */
export const SEPARABLE_SLOPE = 50;
/** Rows per free parameter below which the model is reported as too large for the data. */
export const MIN_ROWS_PER_PARAMETER = 3;
/** Rows set aside or rejected whose ordinals are kept (the first few). */
export const MAX_EXAMPLES = 5;

/** How the model was initialized. */
export interface InitSummary {
  /** Rows the initialization fitted (outliers excluded). */
  readonly rows: number;
  /** "em" (multi-start EM on the buffer) or "given" (`startFrom`). */
  readonly method: "em" | "given";
  /** True when the stream ended before the buffer filled: the buffer was the whole data set. */
  readonly wholeData: boolean;
  /** EM runs refined to the end and compared; the best by EM objective was kept. */
  readonly restarts: number;
  /** EM objective (mean NLL + MAP penalty, scaled units) of each refined run, and of the one kept. */
  readonly objectives: number[];
  readonly objective: number;
  /** Whether the kept run met the EM tolerance. */
  readonly converged: boolean;
  /** The MAP prior in force (options, with auto values resolved from the rows per parameter). */
  readonly prior: { readonly variancePrior: number; readonly gateRidge: number };
  /** True when the prior was strengthened because there were fewer than 3 rows per free parameter. */
  readonly strongPrior: boolean;
}

/** Counters the estimator keeps (saved with the model). */
export interface RowCounters {
  /** Rows more than `outlierThreshold` robust scales from the median: seen, not learned (every pass counts). */
  outliers: number;
  /** 1-based ordinals (among the rows seen) of the first outliers. */
  outlierRows: number[];
  /** Rows refused with a RowError (non-finite or beyond ±1e150): not learned. */
  rejected: number;
}

export function emptyCounters(): RowCounters {
  return { outliers: 0, outlierRows: [], rejected: 0 };
}

/** Everything `MoeRegressor.diagnostics()` reports (JSON-ready). */
export interface FitDiagnostics {
  readonly rowsSeen: number;
  /** Rows the learner took after initialization (one ISMM step each). */
  readonly rowsLearned: number;
  readonly init: InitSummary | null;
  readonly outliers: number;
  readonly outlierRows: number[];
  readonly rejected: number;
  /** Free parameters: (K−1)p gate + Kqp coefficients + Kq variances. */
  readonly parameters: number;
  /** 0-based experts with some σ²_kj at (within 1 % of) the variance floor. */
  readonly varianceFloorExperts: number[];
  /** 0-based experts with fewer effective rows than coefficients (their fit is mostly the prior). */
  readonly weakExperts: number[];
  /** 0-based experts with (almost) no weight left: they explain no data. */
  readonly deadExperts: number[];
  /** Largest |gate slope| per robust sd of an input (0 for K = 1). */
  readonly maxGateSlope: number;
  readonly separableGate: boolean;
  readonly skippedMsteps: number;
  readonly ridgedSolves: number;
  readonly guardTrips: number;
}

/** Free parameters of a diagonal-covariance MoE: (K−1)p + Kqp + Kq. */
export function parameterCount(L: MoeLayout): number {
  return (L.K - 1) * L.p + L.K * L.q * L.p + L.K * L.q;
}

/** Assembles the diagnostics from θ (scaled units), the learner's health and the counters. */
export function computeDiagnostics(
  L: MoeLayout, theta: Float64Array, health: LearnerHealth, counters: RowCounters, init: InitSummary | null,
  rowsSeen: number, rowsLearned: number, varianceFloor: number,
): FitDiagnostics {
  const { K, q, p } = L;
  const floorExperts: number[] = [];
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < q; j++) {
      if (Math.exp(theta[L.logSigma2 + k * q + j]) <= 1.01 * varianceFloor) {
        floorExperts.push(k);
        break;
      }
    }
  }
  const weak: number[] = [];
  const dead: number[] = [];
  const w = health.expertWeights;
  const b = health.rowWeight;
  if (w !== undefined && b !== undefined && b > 0) {
    // Rows the statistic stands for: the SA window 1/γ_n, at most the distinct rows of a whole data set.
    const window = init?.wholeData ? Math.min(1 / b, init.rows) : 1 / b;
    for (let k = 0; k < K; k++) {
      const effective = w[k] * window;
      if (effective < 1) dead.push(k);
      else if (effective < p) weak.push(k);
    }
  }
  let maxSlope = 0;
  for (let k = 0; k < K - 1; k++) {
    for (let a = 1; a < p; a++) maxSlope = Math.max(maxSlope, Math.abs(theta[L.gate + k * p + a]));
  }
  return {
    rowsSeen,
    rowsLearned,
    init,
    outliers: counters.outliers,
    outlierRows: counters.outlierRows.slice(),
    rejected: counters.rejected,
    parameters: L.size, // (K−1)p + Kqp + Kq
    varianceFloorExperts: floorExperts,
    weakExperts: weak,
    deadExperts: dead,
    maxGateSlope: maxSlope,
    separableGate: maxSlope > SEPARABLE_SLOPE,
    skippedMsteps: health.skippedMsteps ?? 0,
    ridgedSolves: health.ridgedSolves ?? 0,
    guardTrips: health.guardTrips ?? 0,
  };
}

function experts(list: number[]): string {
  const names = list.map((k) => String(k + 1));
  return `${list.length === 1 ? "expert" : "experts"} ${names.join(", ")}`;
}

/**
 * One line per kind of trouble, each saying what happened and what to do (empty: nothing to
 * report). Expert numbers are 1-based, as in `ismm predict`'s `expert` column.
 */
export function diagnosticWarnings(D: FitDiagnostics, K: number): string[] {
  const out: string[] = [];
  const rows = D.init?.wholeData ? D.init.rows : D.rowsSeen - D.outliers;
  if (rows > 0 && rows < MIN_ROWS_PER_PARAMETER * D.parameters) {
    const reg = D.init?.strongPrior ? `; the prior was strengthened (variance prior ${D.init.prior.variancePrior}, gate ridge ${D.init.prior.gateRidge})` : "";
    out.push(
      `K = ${K} experts have ${D.parameters} free parameters for ${rows} rows (fewer than ${MIN_ROWS_PER_PARAMETER} rows each): the fit may be over-fitted${reg}; compare K with 'ismm select' or use fewer experts`,
    );
  }
  if (D.outliers > 0) {
    const which = D.outlierRows.length > 0 ? ` (row${D.outlierRows.length === 1 ? "" : "s"} ${D.outlierRows.join(", ")}${D.outliers > D.outlierRows.length ? ", …" : ""})` : "";
    out.push(
      `${D.outliers} row${D.outliers === 1 ? " was" : "s were"} more than the outlier threshold of robust scales from the median and not learned${which}${D.init?.wholeData ? " (counted on every pass)" : ""}: check the data, transform the column (e.g. log), or raise --outlier-threshold`,
    );
  }
  if (D.rejected > 0) out.push(`${D.rejected} row${D.rejected === 1 ? " was" : "s were"} rejected (non-finite or beyond ±1e150) and not learned`);
  if (D.deadExperts.length > 0) {
    out.push(`${experts(D.deadExperts)} explain${D.deadExperts.length === 1 ? "s" : ""} no data (no effective rows): use fewer experts`);
  }
  if (D.weakExperts.length > 0) {
    out.push(
      `${experts(D.weakExperts)} rest${D.weakExperts.length === 1 ? "s" : ""} on fewer effective rows than coefficients, so the variance prior dominates: use fewer experts or more data`,
    );
  }
  if (D.varianceFloorExperts.length > 0) {
    out.push(
      `${experts(D.varianceFloorExperts)} hit the variance floor (a collapsed expert fitting a few rows exactly): raise --variance-prior, use fewer experts or more data`,
    );
  }
  if (D.separableGate) {
    out.push(
      `the gate is separable (a slope of ${D.maxGateSlope.toPrecision(3)} per robust sd of an input): the experts' regions are a hard switch the data cannot pin down; raise --gate-ridge or use fewer experts`,
    );
  }
  if (D.skippedMsteps > 0) out.push(`${D.skippedMsteps} M-step${D.skippedMsteps === 1 ? " was" : "s were"} skipped (statistic outside the valid set): more rows before learning (--init-rows) may help`);
  if (D.ridgedSolves > 0) {
    out.push(`${D.ridgedSolves} least-squares solve${D.ridgedSolves === 1 ? "" : "s"} needed a ridge (collinear inputs, or an expert with too few rows): drop redundant columns or use fewer experts`);
  }
  if (D.init !== null && D.init.method === "em" && !D.init.converged && D.init.wholeData) {
    out.push("the initialization's EM stopped before converging: raise --refine-iters");
  }
  return out;
}
