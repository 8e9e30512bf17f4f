/**
 * The saved form of a `MoeRegressor` (model files and checkpoints): a tagged, versioned JSON
 * record holding the full state, and its validation on load. Shapes that depend on the model's
 * dimensions are checked lazily (the closures take d, q or |θ|), once the dimensions are known.
 */
import { ModelFormatError } from "../core/errors.js";
import type { JsonDouble } from "../core/json-doubles.js";
import { fromNumbers, type LearnerSnapshot } from "../learners/types.js";
import type { Scaler } from "../model/scaling.js";
import type { FitDiagnostics, InitSummary } from "./diagnostics.js";
import type { MoeRegressorOptions } from "./options.js";

/** Model file tag and version; loading refuses anything else. */
export const MODEL_FORMAT = "ismm-model";
export const MODEL_VERSION = 1;

/** The saved form of a `MoeRegressor`. */
export interface ModelSnapshot {
  readonly format: string;
  readonly version: number;
  readonly options: Record<string, unknown>;
  readonly meta: Record<string, unknown>;
  readonly dims: { K: number; d: number; q: number } | null;
  readonly scaler: { xMean: JsonDouble[]; xScale: JsonDouble[]; yMean: JsonDouble[]; yScale: JsonDouble[] } | null;
  readonly buffer: { n: number; X: JsonDouble[]; Y: JsonDouble[]; rows?: JsonDouble[] } | null;
  readonly startTheta: JsonDouble[] | null;
  readonly learner: LearnerSnapshot | null;
  readonly rng: { learner: number[]; order: number[] };
  readonly nSeen: number;
  /** Rows the learner took after initialization (absent in files before diagnostics: 0). */
  readonly learned?: number;
  readonly prequential: { sum: number; count: number };
  readonly finished: boolean;
  /** Outlier and rejected-row counters (absent: none recorded). */
  readonly counters?: { outliers: number; outlierRows: number[]; rejected: number };
  /** How the model was initialized (absent: not recorded). */
  readonly init?: InitSummary | null;
  /** The diagnostics when saved (derived from the rest; for readers such as `ismm inspect`). */
  readonly diagnostics?: FitDiagnostics | null;
}

/** A validated model file; dimension-dependent parts are decoded by the closures. */
export interface ParsedModel {
  readonly options: MoeRegressorOptions;
  readonly meta: Record<string, unknown>;
  readonly dims: { K: number; d: number; q: number } | null;
  readonly rngLearner: number[];
  readonly rngOrder: number[];
  readonly nSeen: number;
  readonly learned: number | undefined;
  readonly prequential: { sum: number; count: number };
  readonly finished: boolean;
  readonly counters: unknown;
  readonly init: unknown;
  readonly scaler: ((d: number, q: number) => Scaler) | null;
  readonly buffer: ((d: number, q: number) => { n: number; X: Float64Array; Y: Float64Array; rows: Float64Array }) | null;
  readonly startTheta: ((size: number) => Float64Array) | null;
  readonly learner: LearnerSnapshot | null;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0;
}

/** Largest θ a model file may declare (2^26 numbers, 512 MiB): far beyond any fit, still allocatable. */
const MAX_THETA_SIZE = 1 << 26;

/** Scales divide every value: each must be a finite number > 0 (a corrupted 0 gives NaN predictions). */
function positiveScales(v: unknown, length: number, what: string): Float64Array {
  const out = fromNumbers(v, length, what);
  for (let i = 0; i < length; i++) {
    if (!(out[i] > 0)) throw new ModelFormatError(`model file ${what}[${i}] must be a positive number, got ${out[i]}`);
  }
  return out;
}

/** Validates the tag, version and every field of a model file. Throws ModelFormatError. */
export function parseModelFile(data: unknown): ParsedModel {
  if (!isObj(data)) throw new ModelFormatError("model file must hold a JSON object");
  if (data.format !== MODEL_FORMAT) throw new ModelFormatError(`not an ismm model file (format is ${JSON.stringify(data.format)}, expected "${MODEL_FORMAT}")`);
  if (data.version !== MODEL_VERSION) throw new ModelFormatError(`unsupported model file version ${JSON.stringify(data.version)} (this ismm reads version ${MODEL_VERSION})`);
  if (!isObj(data.options)) throw new ModelFormatError("model file has no options object");
  const rng = data.rng;
  if (!isObj(rng) || !Array.isArray(rng.learner) || !Array.isArray(rng.order)) throw new ModelFormatError("model file has no rng state");
  if (!isCount(data.nSeen)) throw new ModelFormatError("model file nSeen must be a non-negative integer");
  const pq = data.prequential;
  if (!isObj(pq) || typeof pq.sum !== "number" || typeof pq.count !== "number") throw new ModelFormatError("model file has no prequential record");
  let dims: ParsedModel["dims"] = null;
  if (data.dims !== null && data.dims !== undefined) {
    const dm = data.dims;
    if (!isObj(dm) || !isCount(dm.K) || !isCount(dm.d) || !isCount(dm.q)) throw new ModelFormatError("model file dims must be {K, d, q} non-negative integers");
    dims = { K: dm.K, d: dm.d, q: dm.q };
    // θ has (K−1)(d+1) + K·q·(d+1) + K·q numbers; check before anything of that size is allocated.
    // With options.covariance "full", K·q(q−1)/2 more (the Cholesky factors' lower entries).
    const nChol = data.options.covariance === "full" ? (dm.q * (dm.q - 1)) / 2 : 0;
    const size = (dm.K - 1) * (dm.d + 1) + dm.K * dm.q * (dm.d + 1) + dm.K * dm.q + dm.K * nChol;
    if (!(size <= MAX_THETA_SIZE)) throw new ModelFormatError(`model file dims {K: ${dm.K}, d: ${dm.d}, q: ${dm.q}} are beyond what can be allocated (${size} parameters)`);
    const th = isObj(data.learner) ? data.learner.theta : undefined;
    if (Array.isArray(th) && th.length !== size) {
      throw new ModelFormatError(`model file learner.theta has ${th.length} numbers but dims {K: ${dm.K}, d: ${dm.d}, q: ${dm.q}} need ${size}`);
    }
  }
  const sc = data.scaler;
  const buf = data.buffer;
  const learner = data.learner;
  if (learner !== null && learner !== undefined && !isObj(learner)) throw new ModelFormatError("model file learner must be an object");
  return {
    options: data.options as MoeRegressorOptions,
    meta: isObj(data.meta) ? data.meta : {},
    dims,
    rngLearner: rng.learner as number[],
    rngOrder: rng.order as number[],
    nSeen: data.nSeen,
    learned: isCount(data.learned) ? data.learned : undefined,
    prequential: { sum: pq.sum, count: pq.count },
    finished: data.finished === true,
    counters: data.counters,
    init: isObj(data.init) ? data.init : null,
    scaler: isObj(sc)
      ? (d, q) => ({
          xMean: fromNumbers(sc.xMean, d, "scaler.xMean"), xScale: positiveScales(sc.xScale, d, "scaler.xScale"),
          yMean: fromNumbers(sc.yMean, q, "scaler.yMean"), yScale: positiveScales(sc.yScale, q, "scaler.yScale"),
        })
      : null,
    buffer: isObj(buf)
      ? (d, q) => {
          if (!isCount(buf.n)) throw new ModelFormatError("model file buffer.n must be a non-negative integer");
          const n = buf.n;
          const rows = Array.isArray(buf.rows) ? fromNumbers(buf.rows, n, "buffer.rows") : Float64Array.from({ length: n }, (_, i) => i + 1);
          return { n, X: fromNumbers(buf.X, n * d, "buffer.X"), Y: fromNumbers(buf.Y, n * q, "buffer.Y"), rows };
        }
      : null,
    startTheta: Array.isArray(data.startTheta) ? (size) => fromNumbers(data.startTheta, size, "startTheta") : null,
    learner: isObj(learner) ? (learner as unknown as LearnerSnapshot) : null,
  };
}
