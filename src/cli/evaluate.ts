/**
 * `ismm evaluate`: stream labelled rows through a fitted model and report NLL, MSE, MAE and R²
 * (constant memory: src/evaluate/metrics.ts).
 */
import { DataError, RegressionMetrics, type MetricsSummary, type TableReader } from "../index.js";
import type { Flags, FlagSpec } from "./args.js";
import type { Command } from "./command.js";
import { fmtInt, fmtNum, fmtSeconds, peakRssMiB, type Ctx } from "./context.js";
import { loadModel, resolveFormat, sourceLabel, type LoadedModel } from "./data.js";
import { UsageError, withSource } from "./errors.js";
import { DATA_FLAGS, READ_BATCH_ROWS, dataArgument, formatFlag } from "./fit.js";
import { nonFinitePrediction, openForModel } from "./model-data.js";
import { MODEL_FLAG } from "./predict.js";
import { Progress } from "./progress.js";

const EVALUATE_FLAGS: readonly FlagSpec[] = [
  MODEL_FLAG,
  { name: "json", kind: "boolean", doc: "print one JSON object instead of a table" },
];

/**
 * Streams `reader` through the model into a metrics accumulator. `keep(i)` selects rows by their
 * 0-based index among the valid rows (the demo's split).
 */
export async function scoreStream(loaded: LoadedModel, reader: TableReader, label: string, progress?: Progress, keep?: (index: number) => boolean): Promise<RegressionMetrics> {
  const { model } = loaded;
  const d = reader.featureNames.length;
  const q = reader.targetNames.length;
  const metrics = new RegressionMetrics(q);
  const x = new Float64Array(d);
  const y = new Float64Array(q);
  const pred = model.createPrediction();
  let index = 0;
  for await (const batch of reader.batches()) {
    const { n, X, Y } = batch;
    for (let i = 0; i < n; i++, index++) {
      if (keep !== undefined && !keep(index)) continue;
      for (let a = 0; a < d; a++) x[a] = X[i * d + a];
      for (let j = 0; j < q; j++) y[j] = Y[i * q + j];
      model.predictInto(x, pred);
      const line = batch.rowLines[i];
      const bad = nonFinitePrediction(pred, reader.targetNames, label, line);
      if (bad !== null) throw bad;
      try {
        metrics.update(y, 0, pred.mean, 0, model.nllOne(x, y));
      } catch (err) {
        if (err instanceof RangeError) throw new DataError(`the row cannot be scored: ${err.message}`, { file: label, line });
        throw err;
      }
    }
    if (progress !== undefined) {
      const total = reader.totalBytes;
      progress.update({ rows: index, fraction: total ? reader.bytesRead() / total : undefined });
    }
  }
  return metrics;
}

/** NaN → null so the JSON stays valid. */
function num(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** The aligned plain-text table of `evaluate`. */
export function metricsTable(s: MetricsSummary, targets: readonly string[]): string {
  const names = ["nll", "mse", "mae", "r2"] as const;
  const rows: string[][] = [];
  if (targets.length === 1) {
    rows.push(["metric", "value"]);
    rows.push(["n", fmtInt(s.n)]);
    for (const m of names) rows.push([m, fmtNum(s[m], 6)]);
  } else {
    rows.push(["metric", "overall", ...targets]);
    rows.push(["n", fmtInt(s.n), ...targets.map(() => "")]);
    rows.push(["nll", fmtNum(s.nll, 6), ...targets.map(() => "")]);
    for (const m of ["mse", "mae", "r2"] as const) rows.push([m, fmtNum(s[m], 6), ...s.perTarget[m].map((v) => fmtNum(v, 6))]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ").trimEnd()).join("\n");
}

async function run(flags: Flags, ctx: Ctx): Promise<number> {
  const cmd = "evaluate";
  const modelPath = flags.str("model");
  if (modelPath === undefined) throw new UsageError("evaluate needs --model <model.json>", cmd);
  const source = dataArgument(flags, cmd);
  const format = resolveFormat(source, formatFlag(flags));
  const skipInvalid = flags.bool("skip-invalid");
  const t0 = performance.now();
  const loaded = await loadModel(modelPath);
  const label = sourceLabel(source);
  const reader = await openForModel(source, format, skipInvalid, loaded, modelPath, true, READ_BATCH_ROWS);
  const progress = new Progress(ctx.progress, ctx.tty, "evaluate");
  let metrics: RegressionMetrics;
  try {
    metrics = await scoreStream(loaded, reader, label, progress);
    progress.done({ rows: metrics.n, fraction: 1 });
  } catch (err) {
    throw withSource(err, label);
  } finally {
    reader.close();
  }
  const s = metrics.summary();
  const skipped = reader.skipped();
  if (skipped.count > 0) {
    ctx.info(`ismm: skipped ${fmtInt(skipped.count)} invalid row${skipped.count === 1 ? "" : "s"} of ${label} (first: ${skipped.firstReasons[0]})`);
  }
  if (flags.bool("json")) {
    const doc = {
      n: s.n,
      nll: num(s.nll),
      mse: num(s.mse),
      mae: num(s.mae),
      r2: num(s.r2),
      q: s.q,
      targets: loaded.targets,
      perTarget: { mse: s.perTarget.mse.map(num), mae: s.perTarget.mae.map(num), r2: s.perTarget.r2.map(num) },
      skipped: skipped.count,
      data: source,
      model: modelPath,
    };
    // The JSON is the result: printed even with --quiet.
    process.stdout.write(JSON.stringify(doc) + "\n");
  } else {
    ctx.out(`ismm evaluate: ${modelPath} on ${label} (${loaded.targets.length === 1 ? `target ${loaded.targets[0]}` : `${loaded.targets.length} targets`})`);
    if (!ctx.quiet) process.stdout.write(metricsTable(s, loaded.targets) + "\n");
  }
  ctx.detail(`time ${fmtSeconds(performance.now() - t0)}; peak RSS ${peakRssMiB().toFixed(1)} MiB`);
  return 0;
}

export const evaluateCommand: Command = {
  name: "evaluate",
  summary: "score a model on labelled data: NLL, MSE, MAE, R²",
  usage: ["evaluate --model <model.json> <data> [--json]"],
  description: [
    "Streams <data> (a path, or - for stdin; needs the model's feature and target columns) and prints:",
    "  n    rows evaluated",
    "  nll  mean negative log predictive density per row, original units; with several targets the",
    "       model's joint density of the q targets of a row (not a sum of per-target marginals)",
    "  mse  mean squared error; with several targets the mean over all targets (= over all n·q residuals)",
    "  mae  mean absolute error, aggregated the same way",
    "  r2   1 − SSE/SST per target (SST from a streaming Welford variance of y); with several targets",
    "       the uniform average of the per-target R² (scikit-learn's default); undefined (null in JSON)",
    "       for a constant target",
    "--json prints one object: {n, nll, mse, mae, r2, q, targets, perTarget: {mse, mae, r2}, skipped,",
    "data, model}; otherwise an aligned table (per-target columns when q > 1).",
  ].join("\n"),
  flags: [["Model and data", [...EVALUATE_FLAGS, ...DATA_FLAGS]]],
  examples: [
    ["ismm evaluate --model model.json test.csv", "a small table"],
    ["ismm evaluate -m model.json test.csv --json | jq .r2", "machine-readable"],
  ],
  run,
};
