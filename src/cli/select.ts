/**
 * `ismm select`: how many experts? Fits each K of a range through the same streaming loop as `fit`
 * (src/cli/train.ts) on the training rows of a seeded split, then scores the final model in one
 * more streaming pass: log-likelihood on the training rows, AIC, BIC, ICL, and the NLL of the
 * held-out rows. Memory stays constant in the number of rows (one reader batch at a time).
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, extname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { InputError, MoeRegressor, type TableFormat } from "../index.js";
import { ESTIMATOR_FLAGS, estimatorOptions, type Flags, type FlagSpec } from "./args.js";
import { writeFileAtomic } from "./atomic-write.js";
import { checkOutputs } from "./outputs.js";
import type { Command } from "./command.js";
import { fmtInt, fmtNum, fmtSeconds, type Ctx } from "./context.js";
import { isRegularFile, resolveFormat, sourceLabel } from "./data.js";
import { CliFileError, UsageError } from "./errors.js";
import { DATA_FLAGS, columnList, dataArgument, formatFlag } from "./fit.js";
import { Progress } from "./progress.js";
import { ORDER_FLAGS, passOrder } from "./order-flags.js";
import { fitAndScore, type SelectJob, type SelectOutcome, type SelectRow } from "./select-fit.js";
import type { WorkerError } from "./select-worker.js";
import { AUTO_L1_GRID, parseL1Grid, withoutFlag } from "./select-lambda.js";

export { criteria, freeParameters, holdoutSplit } from "./select-fit.js";

export const CRITERIA = ["bic", "icl", "aic", "holdout"] as const;
export type Criterion = (typeof CRITERIA)[number];
/** Default criterion: see scripts/select-criterion.ts and the README ("Choosing K"). */
export const DEFAULT_CRITERION: Criterion = "bic";
const DEFAULT_HOLDOUT = 0.2;

const SELECT_FLAGS: readonly FlagSpec[] = [
  { name: "target", short: "t", kind: "list", value: "col", doc: "response column; repeat for several targets" },
  { name: "features", kind: "list", value: "c1,c2,...", doc: "comma-separated feature columns (default: every column except the targets)" },
  { name: "experts", kind: "string", value: "range", doc: "numbers of experts to compare: 1-6, or a list 2,3,5 (default 1-6)" },
  { name: "criterion", kind: "string", value: CRITERIA.join("|"), doc: `how the best K is chosen (default ${DEFAULT_CRITERION}); lower is better for all four` },
  { name: "holdout-fraction", kind: "string", value: "f", doc: `share of rows held out (seeded by --seed) for the held-out NLL, in [0, 1) (default ${DEFAULT_HOLDOUT}; 0: none)` },
  { name: "validation", kind: "string", value: "file", doc: "score every fit on the rows of this file instead of held-out rows: the whole data file is learned, the holdout NLL column is this file's mean NLL and the default criterion is holdout (same columns; --format applies to both)" },
  { name: "epochs", kind: "string", value: "E", doc: "passes over the training rows per K (default 1); passes after the first reading are shuffled (--order)" },
  ...ORDER_FLAGS,
  { name: "l1", kind: "string", value: "grid", doc: `elastic-net λ1 values to compare alongside K: a list like 0.001,0.01,0.1, or 'auto' = ${AUTO_L1_GRID.join(",")} (default 0: no penalty; one value fits that λ1 for every K)` },
  { name: "jobs", short: "j", kind: "string", value: "N", doc: "K values fitted at once, each on a worker thread (default: the number of cores, at most the number of K; 1 = in this process, with a progress display)" },
  { name: "out", short: "o", kind: "string", value: "model.json", doc: "save the best model here (atomically)" },
  { name: "json", kind: "boolean", doc: 'print {"best": K, "criterion": …, "table": [...]} instead of a table' },
];

/** ", λ1 = v" for a job with an explicit λ1 (progress and details). */
function jobL1(job: SelectJob): string {
  return typeof job.options.l1 === "number" && job.options.l1 > 0 ? `, λ1=${job.options.l1}` : "";
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

/**
 * A worker on `file`. From the TypeScript sources (tests, `tsx`), Node 20 does not pass the tsx
 * loader to workers, so the worker registers it first.
 */
function startWorker(file: string): Worker {
  if (extname(file) !== ".ts") return new Worker(file);
  const api = import.meta.resolve("tsx/esm/api");
  const code = `import { register } from ${JSON.stringify(api)}; register(); await import(${JSON.stringify(pathToFileURL(file).href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`));
}

/** Runs the jobs on `jobs` worker threads (in this process when 1); outcomes in job order. */
async function runJobs(list: readonly SelectJob[], jobs: number, ctx: Ctx): Promise<SelectOutcome[]> {
  if (jobs <= 1) {
    const out: SelectOutcome[] = [];
    for (const job of list) out.push(await fitAndScore(job, new Progress(ctx.progress, ctx.tty, `select K=${job.K}${jobL1(job)}`)));
    return out;
  }
  const here = fileURLToPath(import.meta.url);
  const workerFile = join(dirname(here), `select-worker${extname(here)}`);
  const outcomes: SelectOutcome[] = new Array(list.length);
  let next = 0;
  const workers: Worker[] = [];
  const lane = async (): Promise<void> => {
    const w = startWorker(workerFile);
    workers.push(w);
    while (next < list.length) {
      const i = next++;
      const reply = await new Promise<{ outcome?: SelectOutcome; error?: WorkerError }>((resolve, reject) => {
        w.once("message", resolve);
        w.once("error", reject);
        w.postMessage(list[i]);
      });
      w.removeAllListeners("error");
      if (reply.error !== undefined) {
        const e = reply.error;
        throw e.kind === "option" ? new UsageError(e.message, "select") : e.kind === "file" ? new CliFileError(e.message) : new Error(e.message);
      }
      outcomes[i] = reply.outcome as SelectOutcome;
      ctx.detail(`K = ${list[i].K}${jobL1(list[i])} done (${fmtSeconds((outcomes[i].row?.seconds ?? 0) * 1000)})`);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(jobs, list.length) }, lane));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return outcomes;
}

async function run(flags: Flags, ctx: Ctx): Promise<number> {
  const cmd = "select";
  const source = dataArgument(flags, cmd);
  const targets = columnList(flags.list("target"), "target", cmd);
  if (targets.length === 0) throw new UsageError("select needs at least one --target column", cmd);
  const features = flags.has("features") ? columnList(flags.list("features"), "features", cmd) : undefined;
  const Ks = parseExperts(flags.str("experts") ?? "1-6", cmd);
  const validation = flags.str("validation");
  if (validation !== undefined && flags.has("holdout-fraction")) {
    throw new UsageError("--validation and --holdout-fraction both say which rows are held out: give one of them", cmd);
  }
  const criterion = flags.choice("criterion", CRITERIA, validation !== undefined ? "holdout" : DEFAULT_CRITERION);
  const fraction = validation !== undefined ? 0 : flags.num("holdout-fraction", DEFAULT_HOLDOUT, -1e-300);
  if (!(fraction < 1)) throw new UsageError(`--holdout-fraction must be in [0, 1). Got ${fraction} instead`, cmd);
  if (criterion === "holdout" && fraction === 0 && validation === undefined) throw new UsageError("--criterion holdout needs --holdout-fraction > 0 or --validation", cmd);
  const epochs = flags.int("epochs", 1, 1);
  const { order, shuffleRows } = passOrder(flags, cmd);
  const jobs = flags.int("jobs", Math.min(availableParallelism(), Ks.length), 1, 256);
  const out = flags.str("out");
  checkOutputs(cmd, [{ flag: "out", path: out }], [{ what: "the data file", path: source }, { what: "the validation file", path: validation }]);
  const format: TableFormat = resolveFormat(source, formatFlag(flags));
  const skipInvalid = flags.bool("skip-invalid");
  if (source === "-" || (existsSync(source) && !(await isRegularFile(source)))) {
    throw new UsageError(`select reads the data several times (a fit and a scoring pass per K): ${source === "-" ? "stdin" : `'${source}'`} can be read only once; save the data to a file`, cmd);
  }
  if (validation !== undefined && (validation === "-" || (existsSync(validation) && !(await isRegularFile(validation))))) {
    throw new UsageError(`--validation is read once per fit: ${validation === "-" ? "stdin" : `'${validation}'`} can be read only once; save the rows to a file`, cmd);
  }
  const valid = validation === undefined ? undefined : { source: validation, format: resolveFormat(validation, formatFlag(flags)) };
  const l1Grid = parseL1Grid(flags.str("l1"), cmd); // null: --l1 absent (select's own flag shadows the option)
  const options = estimatorOptions(withoutFlag(flags, "l1"), { nExperts: Ks[0] });
  delete options.nExperts;
  const seed = new MoeRegressor(options).options.seed;
  const label = sourceLabel(source);
  const list: SelectJob[] = Ks.flatMap((K) =>
    (l1Grid ?? [null]).map((l1) => ({ K, source, format, targets, features, skipInvalid, epochs, order, shuffleRows, options: l1 === null ? options : { ...options, l1 }, fraction, seed, validation: valid })),
  );
  const outcomes = await runJobs(list, jobs, ctx);
  const table: SelectRow[] = [];
  const models = new Map<SelectRow, string>();
  let skippedNote: string | undefined;
  let validationNote: string | undefined;
  for (const o of outcomes) {
    if (o.warning !== undefined) ctx.warn(o.warning);
    if (o.row === null || o.model === null) continue;
    table.push(o.row);
    // Fewer than 5 rows per parameter: the likelihood can be driven up by fitting noise.
    if (o.row.n < 5 * o.row.params) ctx.warn(`K = ${o.row.K}${l1Grid ? `, λ1 = ${o.row.l1}` : ""}: ${fmtInt(o.row.n)} training rows for ${o.row.params} parameters (fewer than 5 per parameter): its criteria are unreliable`);
    models.set(o.row, o.model);
    if (o.skipped.count > 0) skippedNote = `ismm: skipped ${fmtInt(o.skipped.count)} invalid row${o.skipped.count === 1 ? "" : "s"} of ${label} (first: ${o.skipped.firstReasons[0]})`;
    const vs = o.validationSkipped;
    if (vs !== undefined && vs.count > 0) validationNote = `ismm: skipped ${fmtInt(vs.count)} invalid row${vs.count === 1 ? "" : "s"} of the validation file ${sourceLabel(validation as string)} (first: ${vs.firstReasons[0]})`;
  }
  if (table.length === 0) throw new InputError(`no K of ${Ks.join(", ")} could be fitted to ${label}`);
  const score = (r: SelectRow): number => (criterion === "holdout" ? (r.holdoutNll ?? Infinity) : r[criterion]);
  const bestRow = table.reduce((b, r) => (score(r) < score(b) ? r : b));
  const best = bestRow.K;
  if (out !== undefined) await writeFileAtomic(out, (models.get(bestRow) as string) + "\n");
  if (skippedNote !== undefined) ctx.info(skippedNote);
  if (validationNote !== undefined) ctx.info(validationNote);
  if (flags.bool("json")) {
    process.stdout.write(JSON.stringify({ best, ...(l1Grid ? { bestL1: bestRow.l1 } : {}), criterion, holdoutFraction: fraction, ...(validation !== undefined ? { validation } : {}), table }) + "\n");
  } else if (!ctx.quiet) {
    const rows = [["K", ...(l1Grid ? ["λ1"] : []), "logLik", "params", "AIC", "BIC", "ICL", "holdout NLL", "time", ""]];
    for (const r of table) {
      rows.push([
        String(r.K), ...(l1Grid ? [String(r.l1)] : []), fmtNum(r.logLik, 7), String(r.params), fmtNum(r.aic, 7), fmtNum(r.bic, 7), fmtNum(r.icl, 7),
        r.holdoutNll === null ? "-" : fmtNum(r.holdoutNll, 5), fmtSeconds(r.seconds * 1000), r === bestRow ? `← best (${criterion})` : "",
      ]);
    }
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    const n = table[0].n;
    process.stdout.write(
      `ismm select: ${label}, ${fmtInt(n)} training rows, ${fmtInt(table[0].holdoutRows)} ${validation !== undefined ? `validation rows in ${sourceLabel(validation)}` : "held out"}; best K = ${best}${l1Grid ? `, λ1 = ${bestRow.l1}` : ""} by ${criterion}${out !== undefined ? `; model written to ${out}` : ""}\n` +
        rows.map((r) => r.map((c, i) => (i === rows[0].length - 1 ? c : c.padStart(widths[i]))).join("  ").trimEnd()).join("\n") + "\n",
    );
  }
  return 0;
}

export const selectCommand: Command = {
  name: "select",
  summary: "choose the number of experts: fit each K, compare log-likelihood, AIC, BIC, ICL and held-out NLL",
  usage: ["select <data> --target <col> [--experts 1-6] [--criterion bic|icl|aic|holdout] [--holdout-fraction f | --validation file] [--json] [--out best.json] [options]"],
  description: [
    "For each K, fits the model on the training rows exactly as 'ismm fit' does (same streaming loop,",
    "options, seed and initialization; --epochs passes), then scores the final model in one more",
    "streaming pass over the file. Rows are split by a seeded hash of their position (--seed,",
    "--holdout-fraction): held-out rows are never learned. Columns:",
    "  logLik       ℓ = Σ log p(y | x) of the final model over the n training rows (a scoring pass, not",
    "               the prequential sum of the streaming pass, which mixes early and late models)",
    "  params       k = (K−1)(d+1) + K·q·(d+1) + K·q  (gate, expert coefficients, variances); with",
    "               λ1 > 0 only the nonzero expert coefficients count (the lasso's degrees of freedom)",
    "  AIC, BIC     −2ℓ + 2k,  −2ℓ + k·log n",
    "  ICL          BIC − 2 Σ_i log max_k τ_ik (penalizes overlapping experts; τ: responsibilities)",
    "  holdout NLL  mean −log p(y | x) over the held-out rows",
    "All are lower-is-better. The default criterion is BIC: on synthetic streams with known K it",
    "picked the true K most often (scripts/select-criterion.ts; README 'Choosing K'). K values whose",
    "fit fails (e.g. too few rows for K experts) are skipped with a warning. The data must be a file.",
    "The K values are fitted in parallel on --jobs worker threads; the results do not depend on --jobs.",
    "With --l1 a grid of elastic-net λ1 values (docs/SPARSE.md) is fitted for every K and the best",
    "(K, λ1) pair is chosen by the same criterion; --criterion holdout is the validation-set choice.",
    "--validation FILE scores every fit on a separate file instead (the whole data file is learned; the",
    "holdout NLL column is then that file's mean NLL, the one 'ismm evaluate' reports for the saved",
    "model, and holdout becomes the default criterion).",
  ].join("\n"),
  flags: [
    ["Data, range and output", [...SELECT_FLAGS, ...DATA_FLAGS]],
    ["Estimator options for every K (the MoeRegressor options table; --experts is the range above)", ESTIMATOR_FLAGS.filter((f) => f.name !== "experts" && f.name !== "l1")],
  ],
  examples: [
    ["ismm select data.csv -t y", "K = 1..6, BIC"],
    ["ismm select data.csv -t y --experts 2-5 --criterion holdout --holdout-fraction 0.3", "held-out NLL"],
    ["ismm select data.csv -t y --json --out best.json | jq .best", "save the best model"],
    ["ismm select data.csv -t y --experts 3 --l1 auto --criterion holdout", "choose the lasso weight λ1 on held-out rows"],
    ["ismm select train.csv -t y --experts 3 --l1 auto --validation valid.csv -o best.json", "choose λ1 on a validation file"],
  ],
  run,
};
