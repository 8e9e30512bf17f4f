/**
 * `ismm select`: how many experts? Fits each K of a range through the same streaming loop as `fit`
 * (src/cli/train.ts) on the training rows of a seeded split, then scores the final model in one
 * more streaming pass: log-likelihood on the training rows, AIC, BIC, ICL, and the NLL of the
 * held-out rows. Memory stays constant in the number of rows (one reader batch at a time).
 */
import { InputError, MoeRegressor, openTable, type TableFormat, type TableReader } from "../index.js";
import { ESTIMATOR_FLAGS, estimatorOptions, type Flags, type FlagSpec } from "./args.js";
import { writeFileAtomic } from "./atomic-write.js";
import type { Command } from "./command.js";
import { fmtInt, fmtNum, fmtSeconds, type Ctx } from "./context.js";
import { isRegularFile, resolveFormat, sourceLabel } from "./data.js";
import { UsageError, withSource } from "./errors.js";
import { DATA_FLAGS, READ_BATCH_ROWS, columnList, dataArgument, formatFlag } from "./fit.js";
import { Progress } from "./progress.js";
import { train } from "./train.js";

export const CRITERIA = ["bic", "icl", "aic", "holdout"] as const;
export type Criterion = (typeof CRITERIA)[number];
/** Default criterion: see scripts/select-criterion.ts and the README ("Choosing K"). */
export const DEFAULT_CRITERION: Criterion = "bic";
const DEFAULT_HOLDOUT = 0.2;
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

const SELECT_FLAGS: readonly FlagSpec[] = [
  { name: "target", short: "t", kind: "list", value: "col", doc: "response column; repeat for several targets" },
  { name: "features", kind: "list", value: "c1,c2,...", doc: "comma-separated feature columns (default: every column except the targets)" },
  { name: "experts", kind: "string", value: "range", doc: "numbers of experts to compare: 1-6, or a list 2,3,5 (default 1-6)" },
  { name: "criterion", kind: "string", value: CRITERIA.join("|"), doc: `how the best K is chosen (default ${DEFAULT_CRITERION}); lower is better for all four` },
  { name: "holdout-fraction", kind: "string", value: "f", doc: `share of rows held out (seeded by --seed) for the held-out NLL, in [0, 1) (default ${DEFAULT_HOLDOUT}; 0: none)` },
  { name: "epochs", kind: "string", value: "E", doc: "passes over the training rows per K (default 1)" },
  { name: "out", short: "o", kind: "string", value: "model.json", doc: "save the best model here (atomically)" },
  { name: "json", kind: "boolean", doc: 'print {"best": K, "criterion": …, "table": [...]} instead of a table' },
];

/** Free parameters for K experts, d inputs (p = d + 1 with the intercept), q targets, diagonal covariance. */
export function freeParameters(K: number, d: number, q: number): number {
  const p = d + 1;
  return (K - 1) * p + K * q * p + K * q;
}

/** One row of the selection table (null where undefined, e.g. no held-out rows). */
export interface SelectRow {
  readonly K: number;
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

/** Parses "1-6" or "2,3,5" (or "3") into sorted distinct K ≥ 1. */
export function parseExperts(raw: string, command: string): number[] {
  const out = new Set<number>();
  for (const part of raw.split(",")) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m ? Number(m[2] ?? m[1]) : NaN;
    if (!m || lo < 1 || hi < lo || hi > 64) {
      throw new UsageError(`--experts must be a range like 1-6 or a list like 2,3,5 of integers in [1, 64]. Got ${JSON.stringify(raw)} instead`, command);
    }
    for (let k = lo; k <= hi; k++) out.add(k);
  }
  return [...out].sort((a, b) => a - b);
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
async function scorePass(model: MoeRegressor, reader: TableReader, isHoldout: (i: number) => boolean): Promise<{ logLik: number; sumLogMaxTau: number; n: number; holdoutSum: number; holdoutRows: number }> {
  const d = reader.featureNames.length;
  const q = reader.targetNames.length;
  const K = model.nExperts;
  const sigma2 = model.parameters().sigma2;
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

async function run(flags: Flags, ctx: Ctx): Promise<number> {
  const cmd = "select";
  const source = dataArgument(flags, cmd);
  const targets = columnList(flags.list("target"), "target", cmd);
  if (targets.length === 0) throw new UsageError("select needs at least one --target column", cmd);
  const features = flags.has("features") ? columnList(flags.list("features"), "features", cmd) : undefined;
  const Ks = parseExperts(flags.str("experts") ?? "1-6", cmd);
  const criterion = flags.choice("criterion", CRITERIA, DEFAULT_CRITERION);
  const fraction = flags.num("holdout-fraction", DEFAULT_HOLDOUT, -1e-300);
  if (!(fraction < 1)) throw new UsageError(`--holdout-fraction must be in [0, 1). Got ${fraction} instead`, cmd);
  if (criterion === "holdout" && fraction === 0) throw new UsageError("--criterion holdout needs --holdout-fraction > 0", cmd);
  const epochs = flags.int("epochs", 1, 1);
  const out = flags.str("out");
  const format: TableFormat = resolveFormat(source, formatFlag(flags));
  const skipInvalid = flags.bool("skip-invalid");
  if (!(await isRegularFile(source))) {
    throw new UsageError(`select reads the data several times (a fit and a scoring pass per K): ${source === "-" ? "stdin" : `'${source}'`} can be read only once; save the data to a file`, cmd);
  }
  const base = estimatorOptions(flags, { nExperts: Ks[0] });
  const seed = new MoeRegressor(base).options.seed;
  const isHoldout = holdoutSplit(seed, fraction);
  const label = sourceLabel(source);
  const open = (): Promise<TableReader> => openTable({ source, format, targets, features, skipInvalid, batchRows: READ_BATCH_ROWS });
  const table: SelectRow[] = [];
  const models = new Map<number, MoeRegressor>();
  let featureNames: readonly string[] = [];
  let skippedNote: string | undefined;
  for (const K of Ks) {
    const t0 = performance.now();
    const model = new MoeRegressor(estimatorOptions(flags, { nExperts: K }));
    const progress = new Progress(ctx.progress, ctx.tty, `select K=${K}`);
    let result;
    try {
      result = await train({ model, open, label, epochs, keep: (i) => !isHoldout(i), progress, onOpen: (r) => (featureNames = r.featureNames) });
      progress.done();
      model.finish();
    } catch (err) {
      progress.done();
      if (err instanceof InputError) {
        ctx.warn(`K = ${K} skipped: ${(withSource(err, label) as Error).message}`);
        continue;
      }
      throw withSource(err, label);
    }
    if (result.skipped.count > 0) skippedNote = `ismm: skipped ${fmtInt(result.skipped.count)} invalid row${result.skipped.count === 1 ? "" : "s"} of ${label} (first: ${result.skipped.firstReasons[0]})`;
    const reader = await open();
    let s;
    try {
      s = await scorePass(model, reader, isHoldout);
    } catch (err) {
      throw withSource(err, label);
    } finally {
      reader.close();
    }
    const k = freeParameters(K, featureNames.length, targets.length);
    const c = criteria(s.logLik, k, s.n, s.sumLogMaxTau);
    table.push({
      K, logLik: s.logLik, params: k, n: s.n, ...c,
      holdoutNll: s.holdoutRows > 0 ? s.holdoutSum / s.holdoutRows : null, holdoutRows: s.holdoutRows,
      seconds: (performance.now() - t0) / 1000,
    });
    model.meta = { tool: "ismm", command: "select", source, format, targets, features: [...featureNames], epochs, skipInvalid, rowsPerEpoch: result.rowsPerEpoch, skippedRowsPerEpoch: result.skipped.count, holdoutFraction: fraction };
    models.set(K, model);
    ctx.detail(`K = ${K}: logLik ${fmtNum(s.logLik, 8)}, BIC ${fmtNum(c.bic, 8)}, ${fmtSeconds(performance.now() - t0)}`);
  }
  if (table.length === 0) throw new InputError(`no K of ${Ks.join(", ")} could be fitted to ${label}`);
  const score = (r: SelectRow): number => (criterion === "holdout" ? (r.holdoutNll ?? Infinity) : r[criterion]);
  const best = table.reduce((b, r) => (score(r) < score(b) ? r : b)).K;
  if (out !== undefined) await writeFileAtomic(out, JSON.stringify((models.get(best) as MoeRegressor).toJSON()) + "\n");
  if (skippedNote !== undefined) ctx.info(skippedNote);
  if (flags.bool("json")) {
    process.stdout.write(JSON.stringify({ best, criterion, holdoutFraction: fraction, table }) + "\n");
  } else if (!ctx.quiet) {
    const rows = [["K", "logLik", "params", "AIC", "BIC", "ICL", "holdout NLL", "time", ""]];
    for (const r of table) {
      rows.push([
        String(r.K), fmtNum(r.logLik, 7), String(r.params), fmtNum(r.aic, 7), fmtNum(r.bic, 7), fmtNum(r.icl, 7),
        r.holdoutNll === null ? "-" : fmtNum(r.holdoutNll, 5), fmtSeconds(r.seconds * 1000), r.K === best ? `← best (${criterion})` : "",
      ]);
    }
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    const n = table[0].n;
    process.stdout.write(
      `ismm select: ${label}, ${fmtInt(n)} training rows, ${fmtInt(table[0].holdoutRows)} held out; best K = ${best} by ${criterion}${out !== undefined ? `; model written to ${out}` : ""}\n` +
        rows.map((r) => r.map((c, i) => (i === rows[0].length - 1 ? c : c.padStart(widths[i]))).join("  ").trimEnd()).join("\n") + "\n",
    );
  }
  return 0;
}

export const selectCommand: Command = {
  name: "select",
  summary: "choose the number of experts: fit each K, compare log-likelihood, AIC, BIC, ICL and held-out NLL",
  usage: ["select <data> --target <col> [--experts 1-6] [--criterion bic|icl|aic|holdout] [--holdout-fraction f] [--json] [--out best.json] [options]"],
  description: [
    "For each K, fits the model on the training rows exactly as 'ismm fit' does (same streaming loop,",
    "options, seed and initialization; --epochs passes), then scores the final model in one more",
    "streaming pass over the file. Rows are split by a seeded hash of their position (--seed,",
    "--holdout-fraction): held-out rows are never learned. Columns:",
    "  logLik       ℓ = Σ log p(y | x) of the final model over the n training rows (a scoring pass, not",
    "               the prequential sum of the streaming pass, which mixes early and late models)",
    "  params       k = (K−1)(d+1) + K·q·(d+1) + K·q  (gate, expert coefficients, variances)",
    "  AIC, BIC     −2ℓ + 2k,  −2ℓ + k·log n",
    "  ICL          BIC − 2 Σ_i log max_k τ_ik (penalizes overlapping experts; τ: responsibilities)",
    "  holdout NLL  mean −log p(y | x) over the held-out rows",
    "All are lower-is-better. The default criterion is BIC: on synthetic streams with known K it",
    "picked the true K most often (scripts/select-criterion.ts; README 'Choosing K'). K values whose",
    "fit fails (e.g. too few rows for K experts) are skipped with a warning. The data must be a file.",
  ].join("\n"),
  flags: [
    ["Data, range and output", [...SELECT_FLAGS, ...DATA_FLAGS]],
    ["Estimator options for every K (the MoeRegressor options table; --experts is the range above)", ESTIMATOR_FLAGS.filter((f) => f.name !== "experts")],
  ],
  examples: [
    ["ismm select data.csv -t y", "K = 1..6, BIC"],
    ["ismm select data.csv -t y --experts 2-5 --criterion holdout --holdout-fraction 0.3", "held-out NLL"],
    ["ismm select data.csv -t y --json --out best.json | jq .best", "save the best model"],
  ],
  run,
};
