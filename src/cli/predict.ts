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
  const reader = await openForModel(source, format, skipInvalid, loaded, modelPath, false, READ_BATCH_ROWS);
  const file = outPath === undefined ? undefined : await AtomicFile.create(outPath);
  const write = file === undefined ? writeStdout : (s: string) => file.write(s);
  const progress = new Progress(ctx.progress, ctx.tty, "predict");
  let rows = 0;
  try {
    const head: string[] = [];
    for (const t of targets) head.push(csvName(`${t}_mean`));
    for (const t of targets) head.push(csvName(`${t}_var`));
    for (let k = 1; k <= K; k++) head.push(`gate_${k}`);
    head.push("expert");
    await write(head.join(",") + "\n");
    const x = new Float64Array(d);
    const pred = model.createPrediction();
    const rest = d - 1;
    for await (const batch of reader.batches()) {
      const { n, X, Y } = batch;
      const lines: string[] = new Array(n);
      for (let i = 0; i < n; i++) {
        x[0] = Y[i];
        for (let a = 0; a < rest; a++) x[1 + a] = X[i * rest + a];
        model.predictInto(x, pred);
        const bad = nonFinitePrediction(pred, targets, label, batch.rowLines[i]);
        if (bad !== null) throw bad;
        let line = "";
        for (let j = 0; j < q; j++) line += `${pred.mean[j]},`;
        for (let j = 0; j < q; j++) line += `${pred.variance[j]},`;
        for (let k = 0; k < K; k++) line += `${pred.gate[k]},`;
        line += `${pred.expert + 1}`;
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
  usage: ["predict --model <model.json> <data> [--out <preds.csv>]"],
  description: [
    "Streams <data> (a path, or - for stdin) and writes CSV with a header: <target>_mean and",
    "<target>_var (predictive mean and variance per target, original units), gate_1..gate_K (gate",
    "probabilities) and expert (the most probable expert, 1-based); one output row per input row, in",
    "order. The data need the model's feature columns (any order, extra columns ignored); target",
    "columns are not needed. With --skip-invalid, invalid rows are dropped from the output and counted.",
  ].join("\n"),
  flags: [["Model, data and output", [...PREDICT_FLAGS, ...DATA_FLAGS]]],
  examples: [
    ["ismm predict --model model.json new.csv > preds.csv", "predictions to stdout"],
    ["ismm predict -m model.json new.ndjson --out preds.csv", "NDJSON in, CSV out"],
    ["cat new.csv | ismm predict -m model.json -", "from stdin"],
  ],
  run,
};
