/**
 * `ismm predict`: stream rows through a fitted model and write one CSV row of predictions per
 * input row (constant memory), to --out (atomically) or stdout.
 */
import { once } from "node:events";
import { ModelFormatError } from "../index.js";
import type { Flags, FlagSpec } from "./args.js";
import { AtomicFile } from "./atomic-write.js";
import type { Command } from "./command.js";
import { fmtInt, fmtSeconds, peakRssMiB, type Ctx } from "./context.js";
import { loadModel, resolveFormat, sourceLabel } from "./data.js";
import { UsageError, withSource } from "./errors.js";
import { DATA_FLAGS, READ_BATCH_ROWS, dataArgument, formatFlag } from "./fit.js";
import { nonFinitePrediction, openForModel } from "./model-data.js";
import { checkOutputs } from "./outputs.js";
import { Progress } from "./progress.js";

export const MODEL_FLAG: FlagSpec = { name: "model", short: "m", kind: "string", value: "model.json", doc: "model file written by 'ismm fit'" };

const PREDICT_FLAGS: readonly FlagSpec[] = [
  MODEL_FLAG,
  { name: "out", short: "o", kind: "string", value: "preds.csv", doc: "write the predictions here (atomically; a regular file or a new name) instead of stdout ('-': stdout)" },
  {
    name: "log-density",
    kind: "boolean",
    negatable: true,
    doc: "add a log_density column when the data have the target columns (default on; --no-log-density ignores the targets)",
  },
];

/** Escapes a column name for a CSV header. */
function csvName(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes to stdout, waiting when the pipe is full. */
async function writeStdout(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, "drain");
}

async function run(flags: Flags, ctx: Ctx): Promise<number> {
  const cmd = "predict";
  const modelPath = flags.str("model");
  if (modelPath === undefined) throw new UsageError("predict needs --model <model.json>", cmd);
  const source = dataArgument(flags, cmd);
  const format = resolveFormat(source, formatFlag(flags));
  const skipInvalid = flags.bool("skip-invalid");
  const outFlag = flags.str("out");
  const outPath = outFlag === "-" ? undefined : outFlag;
  checkOutputs(cmd, [{ flag: "out", path: outPath }], [
    { what: "the data file", path: source },
    { what: "the model file", path: modelPath },
  ]);
  const t0 = performance.now();
  const loaded = await loadModel(modelPath);
  const { model, features, targets } = loaded;
  if (features.length === 0) throw new ModelFormatError(`${modelPath}: the model has no feature columns; predict needs at least one`);
  const K = model.nExperts;
  const d = features.length;
  const q = targets.length;
  const label = sourceLabel(source);
  const reader = await openForModel(source, format, skipInvalid, loaded, modelPath, flags.tri("log-density") === false ? false : "if-present", READ_BATCH_ROWS);
  // Targets read: X holds the model's features in order; otherwise feature 0 is in the target slot.
  const withY = reader.targetNames.length === q && reader.targetNames.every((t, j) => t === targets[j]);
  const file = outPath === undefined ? undefined : await AtomicFile.create(outPath);
  const write = file === undefined ? writeStdout : (s: string) => file.write(s);
  const progress = new Progress(ctx.progress, ctx.tty, "predict");
  let rows = 0;
  try {
    const head: string[] = ["row"];
    for (const t of targets) head.push(csvName(`${t}_mean`));
    for (const t of targets) head.push(csvName(`${t}_var`));
    // Full covariance: the predictive covariance of every target pair, after the variances.
    const covCols = model.options.covariance === "full";
    if (covCols) for (let j = 1; j < q; j++) for (let i = 0; i < j; i++) head.push(csvName(`cov_${targets[i]}_${targets[j]}`));
    for (let k = 1; k <= K; k++) head.push(`gate_${k}`);
    head.push("expert");
    if (withY) head.push("log_density");
    await write(head.join(",") + "\n");
    const x = new Float64Array(d);
    const y = new Float64Array(q);
    const pred = model.createPrediction();
    const rest = d - 1;
    for await (const batch of reader.batches()) {
      const { n, X, Y, dataRows } = batch;
      const lines: string[] = new Array(n);
      for (let i = 0; i < n; i++) {
        if (withY) {
          for (let a = 0; a < d; a++) x[a] = X[i * d + a];
          for (let j = 0; j < q; j++) y[j] = Y[i * q + j];
        } else {
          x[0] = Y[i];
          for (let a = 0; a < rest; a++) x[1 + a] = X[i * rest + a];
        }
        model.predictInto(x, pred);
        const bad = nonFinitePrediction(pred, targets, label, batch.rowLines[i]);
        if (bad !== null) throw bad;
        let line = `${dataRows[i]},`;
        for (let j = 0; j < q; j++) line += `${pred.mean[j]},`;
        for (let j = 0; j < q; j++) line += `${pred.variance[j]},`;
        const cov = pred.covariance;
        if (covCols && cov !== undefined) for (let j = 1; j < q; j++) for (let i = 0; i < j; i++) line += `${cov[i * q + j]},`;
        for (let k = 0; k < K; k++) line += `${pred.gate[k]},`;
        line += `${pred.expert + 1}`;
        if (withY) line += `,${-model.nllOne(x, y)}`;
        lines[i] = line;
      }
      await write(lines.join("\n") + "\n");
      rows += n;
      const total = reader.totalBytes;
      progress.update({ rows, fraction: total ? reader.bytesRead() / total : undefined });
    }
    progress.done({ rows, fraction: 1 });
    if (file !== undefined) await file.commit();
  } catch (err) {
    await file?.abort();
    throw withSource(err, label);
  } finally {
    reader.close();
  }
  const skipped = reader.skipped();
  if (skipped.count > 0) {
    ctx.info(`ismm: skipped ${fmtInt(skipped.count)} invalid row${skipped.count === 1 ? "" : "s"} of ${label}; they have no output row (first: ${skipped.firstReasons[0]})`);
  }
  if (outPath !== undefined) ctx.out(`ismm predict: ${fmtInt(rows)} rows predicted with ${modelPath}; written to ${outPath}`);
  ctx.detail(`time ${fmtSeconds(performance.now() - t0)}; peak RSS ${peakRssMiB().toFixed(1)} MiB`);
  return 0;
}

export const predictCommand: Command = {
  name: "predict",
  summary: "predict means, variances, gate probabilities and the MAP expert for each row",
  usage: ["predict --model <model.json> <data> [--out <preds.csv>] [--no-log-density]"],
  description: [
    "Streams <data> (a path, or - for stdin) and writes CSV with a header: row (the 1-based data row of",
    "the input: data records after the header, blank lines not counted), <target>_mean and <target>_var",
    "(predictive mean and variance per target, original units), for a model fitted with --covariance",
    "full cov_<a>_<b> (predictive covariance of every target pair a before b, in target order),",
    "gate_1..gate_K (gate probabilities),",
    "expert (the most probable expert, 1-based: gate_<expert> is the largest; the library's",
    "Prediction.expert is the same expert 0-based) and, when the data have the model's target columns,",
    "log_density (log p(y | x) of the row under the model, original units: its mean over the rows is",
    "minus the nll of 'ismm evaluate' on the same data). One output row per input row, in order. The",
    "data need the model's feature columns (any order, extra columns ignored); target columns are",
    "optional (when present they are read and must be valid; --no-log-density ignores them). With",
    "--skip-invalid, invalid rows are dropped from the output and counted: their row numbers are missing.",
  ].join("\n"),
  flags: [["Model, data and output", [...PREDICT_FLAGS, ...DATA_FLAGS]]],
  examples: [
    ["ismm predict --model model.json new.csv > preds.csv", "predictions to stdout"],
    ["ismm predict -m model.json new.ndjson --out preds.csv", "NDJSON in, CSV out"],
    ["cat new.csv | ismm predict -m model.json -", "from stdin"],
  ],
  run,
};
