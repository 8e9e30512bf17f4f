/**
 * One K of `ismm select`: fit on the training rows of the seeded split through the same streaming
 * loop as `fit` (train.ts), then one scoring pass of the final model — log-likelihood and ICL term
 * on the training rows, NLL of the held-out rows. Runs in the command's process or in a worker.
 */
import { createRowWorkspace, InputError, moeLayout, MoeRegressor, openTable, rowPosterior, thetaFromParameters, type TableFormat, type TableReader } from "../index.js";
import { sourceLabel } from "./data.js";
import { withSource } from "./errors.js";
import { READ_BATCH_ROWS } from "./fit.js";
import type { Progress } from "./progress.js";
import { train } from "./train.js";
import { activeParameters } from "./select-lambda.js";

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** Free parameters for K experts, d inputs (p = d + 1 with the intercept), q targets, diagonal covariance. */
export function freeParameters(K: number, d: number, q: number): number {
  const p = d + 1;
  return (K - 1) * p + K * q * p + K * q;
}

/** One row of the selection table (null where undefined, e.g. no held-out rows). */
export interface SelectRow {
  readonly K: number;
  /** λ1 of the fit (0: unpenalized); with λ1 > 0, `params` counts nonzero expert coefficients (select-lambda.ts). */
  readonly l1: number;
  /** Σ log p(y_i | x_i) of the final model over the training rows. */
  readonly logLik: number;
  readonly params: number;
  /** Training rows (the n of BIC). */
  readonly n: number;
  readonly aic: number;
  readonly bic: number;
  readonly icl: number;
  readonly holdoutNll: number | null;
  readonly holdoutRows: number;
  readonly seconds: number;
}

/**
 * AIC = −2ℓ + 2k, BIC = −2ℓ + k log n, ICL = BIC − 2 Σ_i log τ_i,ẑ(i) (the hard-assignment entropy
 * of the responsibilities, as mclust/flexmix): all lower-is-better.
 */
export function criteria(logLik: number, k: number, n: number, sumLogMaxTau: number): { aic: number; bic: number; icl: number } {
  const bic = -2 * logLik + k * Math.log(n);
  return { aic: -2 * logLik + 2 * k, bic, icl: bic - 2 * sumLogMaxTau };
}

/** A seeded, stateless split: row `index` (0-based among valid rows) is held out when its hash < fraction. */
export function holdoutSplit(seed: number, fraction: number): (index: number) => boolean {
  return (index: number) => {
    let h = Math.imul(index ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(seed + 0x632be5ab, 0xc2b2ae35);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return (h >>> 0) / 4294967296 < fraction;
  };
}

/** Streams the data through a fitted model: training log-likelihood and ICL term, held-out NLL. */
export async function scorePass(model: MoeRegressor, reader: TableReader, isHoldout: (i: number) => boolean): Promise<{ logLik: number; sumLogMaxTau: number; n: number; holdoutSum: number; holdoutRows: number }> {
  const d = reader.featureNames.length;
  const q = reader.targetNames.length;
  const K = model.nExperts;
  const sigma2 = model.parameters().sigma2;
  // Full covariance: τ from the model's own E-step on θ in original units (identity scaling).
  const full = model.options.covariance === "full" && q > 1;
  const FL = full ? moeLayout({ K, d, q, covariance: "full" }) : null;
  const ftheta = FL ? thetaFromParameters(FL, model.parameters()) : null;
  const fws = FL ? createRowWorkspace(FL) : null;
  const xd = new Float64Array(d + 1);
  xd[0] = 1;
  const x = new Float64Array(d);
  const y = new Float64Array(q);
  const a = new Float64Array(K);
  const pred = model.createPrediction();
  let logLik = 0;
  let sumLogMaxTau = 0;
  let n = 0;
  let holdoutSum = 0;
  let holdoutRows = 0;
  let index = 0;
  for await (const { n: m, X, Y } of reader.batches()) {
    for (let i = 0; i < m; i++, index++) {
      for (let c = 0; c < d; c++) x[c] = X[i * d + c];
      for (let j = 0; j < q; j++) y[j] = Y[i * q + j];
      const nll = model.nllOne(x, y);
      if (isHoldout(index)) {
        holdoutSum += nll;
        holdoutRows++;
        continue;
      }
      logLik -= nll;
      n++;
      if (K === 1) continue;
      // Responsibilities τ_k ∝ π_k(x) Π_j N(y_j; μ_kj, σ²_kj) (original units), in the log domain.
      if (FL && ftheta && fws) {
        for (let c = 0; c < d; c++) xd[1 + c] = x[c];
        rowPosterior(FL, ftheta, xd, 0, y, 0, fws);
        let tmax = 0;
        for (let k = 0; k < K; k++) tmax = Math.max(tmax, fws.a[k]);
        sumLogMaxTau += Math.log(tmax);
        continue;
      }
      model.predictInto(x, pred);
      let best = -Infinity;
      for (let k = 0; k < K; k++) {
        let s = Math.log(pred.gate[k]);
        for (let j = 0; j < q; j++) {
          const r = y[j] - pred.expertMeans[k * q + j];
          s -= HALF_LOG_2PI + 0.5 * Math.log(sigma2[k][j]) + (0.5 * r * r) / sigma2[k][j];
        }
        a[k] = s;
        if (s > best) best = s;
      }
      // log max_k τ_k = a_max − log Σ_k exp(a_k); a_max − (−nll) computed stably via the LSE.
      let acc = 0;
      for (let k = 0; k < K; k++) acc += Math.exp(a[k] - best);
      sumLogMaxTau -= Math.log(acc);
    }
  }
  return { logLik, sumLogMaxTau, n, holdoutSum, holdoutRows };
}

/** Everything one K needs (plain data: it crosses to a worker thread). */
export interface SelectJob {
  readonly K: number;
  readonly source: string;
  readonly format: TableFormat;
  readonly targets: readonly string[];
  readonly features: readonly string[] | undefined;
  readonly skipInvalid: boolean;
  readonly epochs: number;
  /** Row order of the passes after the first reading (`--order`), and the shuffle buffer's rows (`--shuffle-buffer`). */
  readonly order: "shuffle" | "sequential";
  readonly shuffleRows: number | undefined;
  /** Estimator options except nExperts. */
  readonly options: Record<string, unknown>;
  readonly fraction: number;
  readonly seed: number;
  /** Score on this file instead of held-out rows (fraction is then 0). */
  readonly validation?: { readonly source: string; readonly format: TableFormat };
}

export interface SelectOutcome {
  /** null when this K could not be fitted (`warning` says why). */
  readonly row: SelectRow | null;
  /** The fitted model's `toJSON()` text (meta included). */
  readonly model: string | null;
  readonly warning?: string;
  readonly skipped: { count: number; firstReasons: string[] };
  /** Invalid rows skipped in the validation file (with --skip-invalid). */
  readonly validationSkipped?: { count: number; firstReasons: string[] };
}

/** Fits and scores one K. An InputError (e.g. too few rows for K experts) becomes a warning. */
export async function fitAndScore(job: SelectJob, progress?: Progress): Promise<SelectOutcome> {
  const t0 = performance.now();
  const { K, source, format, targets, features, skipInvalid, epochs } = job;
  const label = sourceLabel(source);
  const isHoldout = holdoutSplit(job.seed, job.fraction);
  const open = (): Promise<TableReader> => openTable({ source, format, targets, features, skipInvalid, batchRows: READ_BATCH_ROWS });
  const model = new MoeRegressor({ ...job.options, nExperts: K });
  let featureNames: readonly string[] = [];
  let result;
  try {
    // Passes after the first are shuffled as in `fit` (train.ts); the split stays on file positions.
    const shuffle = job.order === "shuffle" ? { seed: model.options.seed, bufferRows: job.shuffleRows, blockRows: READ_BATCH_ROWS } : undefined;
    result = await train({ model, open, label, epochs, keep: (i) => !isHoldout(i), progress, onOpen: (r) => (featureNames = r.featureNames), shuffle });
    progress?.done();
    model.finish();
  } catch (err) {
    progress?.done();
    if (err instanceof InputError) return { row: null, model: null, warning: `K = ${K} skipped: ${(withSource(err, label) as Error).message}`, skipped: { count: 0, firstReasons: [] } };
    throw withSource(err, label);
  }
  const reader = await open();
  let s;
  try {
    s = await scorePass(model, reader, isHoldout);
  } catch (err) {
    throw withSource(err, label);
  } finally {
    reader.close();
  }
  let validationSkipped: { count: number; firstReasons: string[] } | undefined;
  if (job.validation !== undefined) {
    // The training file's feature names, so that the validation file's columns are matched by name.
    const v = job.validation;
    const vlabel = sourceLabel(v.source);
    let vr: TableReader | undefined;
    try {
      vr = await openTable({ source: v.source, format: v.format, targets, features: featureNames, skipInvalid, batchRows: READ_BATCH_ROWS });
      const vs = await scorePass(model, vr, () => true); // every row held out: its NLL sum, as `evaluate` computes it
      s = { ...s, holdoutSum: vs.holdoutSum, holdoutRows: vs.holdoutRows };
      validationSkipped = vr.skipped();
    } catch (err) {
      throw withSource(err, vlabel);
    } finally {
      vr?.close();
    }
  }
  const l1 = typeof job.options.l1 === "number" ? job.options.l1 : 0;
  const k = l1 > 0 ? activeParameters(model.parameters()) : freeParameters(K, featureNames.length, targets.length);
  const c = criteria(s.logLik, k, s.n, s.sumLogMaxTau);
  model.meta = {
    tool: "ismm", command: "select", source, format, targets: [...targets], features: [...featureNames], epochs, skipInvalid,
    rowsPerEpoch: result.rowsPerEpoch, skippedRowsPerEpoch: result.skipped.count, holdoutFraction: job.fraction,
    ...(job.validation !== undefined ? { validation: job.validation.source } : {}),
  };
  const row: SelectRow = {
    K, l1, logLik: s.logLik, params: k, n: s.n, ...c,
    holdoutNll: s.holdoutRows > 0 ? s.holdoutSum / s.holdoutRows : null, holdoutRows: s.holdoutRows,
    seconds: (performance.now() - t0) / 1000,
  };
  return { row, model: JSON.stringify(model.toJSON()), skipped: result.skipped, ...(validationSkipped !== undefined ? { validationSkipped } : {}) };
}
