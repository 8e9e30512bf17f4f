/**
 * `ismm fit`: stream a CSV/NDJSON table into a MoeRegressor, epoch by epoch, with optional
 * checkpoints and resume, then write the model atomically.
 */
import { stat } from "node:fs/promises";
import { resolve as resolvePath } from "node:path";
import { DataError, ModelFormatError, MoeRegressor, NumericalError, openTable, type TableFormat, type TableReader } from "../index.js";
import { ESTIMATOR_FLAGS, estimatorOptions, type Flags, type FlagSpec } from "./args.js";
import { writeFileAtomic } from "./atomic-write.js";
import { fingerprintDifference, readCheckpoint, writeCheckpoint, type CheckpointProgress, type Fingerprint } from "./checkpoint.js";
import type { Command } from "./command.js";
import { fmtInt, fmtNum, fmtSeconds, peakRssMiB, type Ctx } from "./context.js";
import { resolveFormat, sourceLabel } from "./data.js";
import { UsageError, withSource } from "./errors.js";
import { checkOutputs } from "./outputs.js";
import { PrequentialLog } from "./prequential.js";
import { REDIS_FLAGS } from "./redis-flags.js";
import { ORDER_FLAGS, passOrder } from "./order-flags.js";
import { replayableInput, REPLAY_BYTES } from "./replay-input.js";
import { Progress } from "./progress.js";
import { defaultShuffleRows } from "./shuffle-buffer.js";
import { train } from "./train.js";
import { packageVersion } from "./version.js";

/** Mini-batch rows when --threads is given without --batch-size: enough rows per batch that handing it to the threads is cheap next to computing its statistic (bench/threads.ts measures B = 64 and 256). */
export const THREADS_BATCH_SIZE = 256;

/**
 * Rows per reader batch of `fit`: READ_BATCH_ROWS, or the mini-batch size when ISMM learns in
 * smaller mini-batches, so that parsing the next rows and the threads' work on the previous batch
 * alternate at the grain of one mini-batch (with 1,024-row reads the threads sat idle while the main
 * thread parsed). It depends only on saved options (checkpoints record reader-batch lines).
 */
export function readBatchRows(model: MoeRegressor): number {
  const o = model.options;
  return o.method === "ismm" && o.batchSize > 1 ? Math.min(READ_BATCH_ROWS, o.batchSize) : READ_BATCH_ROWS;
}

/** Rows per reader batch. Fixed: checkpoints record batch start lines, so resume needs the same. */
export const READ_BATCH_ROWS = 1024;
const DEFAULT_CHECKPOINT_EVERY = 10000;

export const DATA_FLAGS: readonly FlagSpec[] = [
  { name: "format", kind: "string", value: "csv|ndjson", doc: "data format (default: from the extension: .ndjson/.jsonl → ndjson, else csv; stdin: csv)" },
  { name: "skip-invalid", kind: "boolean", doc: "skip rows with a missing, empty, NaN/Infinity or non-numeric cell, or the wrong number of fields, and report how many (default: such a row is an error)" },
];

const FIT_FLAGS: readonly FlagSpec[] = [
  { name: "target", short: "t", kind: "list", value: "col", doc: "response column; repeat for several targets (q > 1)" },
  { name: "features", kind: "list", value: "c1,c2,...", doc: "comma-separated feature columns (default: every column except the targets)" },
  { name: "out", short: "o", kind: "string", value: "model.json", doc: "where to write the model (written atomically: a failed fit leaves no file)" },
  { name: "epochs", kind: "string", value: "E", doc: "learning passes over the data, each re-reading the file (default 1; stdin allows only 1); passes after the first reading are shuffled (--order)" },
  ...ORDER_FLAGS,
  { name: "prequential-out", kind: "string", value: "F.csv", doc: "write the prequential (predict-then-learn) NLL and MSE at 1, 2, 4, … scored rows and at the end (see below)" },
];

const CHECKPOINT_FLAGS: readonly FlagSpec[] = [
  { name: "checkpoint", kind: "string", value: "file", doc: "write the full fit state to this file every --checkpoint-every rows (atomically)" },
  { name: "checkpoint-every", kind: "string", value: "rows", doc: `rows learned between checkpoints (default ${DEFAULT_CHECKPOINT_EVERY})` },
  { name: "resume", kind: "string", value: "file", doc: "continue from a checkpoint; pass the same data and options as the interrupted run" },
];

/** Splits repeated/comma-separated column lists; UsageError on empty names. */
export function columnList(values: readonly string[], flag: string, command: string): string[] {
  const out: string[] = [];
  for (const v of values) {
    for (const name of v.split(",")) {
      const t = name.trim();
      if (t.length === 0) throw new UsageError(`--${flag} has an empty column name in ${JSON.stringify(v)}`, command);
      out.push(t);
    }
  }
  const seen = new Set<string>();
  for (const c of out) {
    if (seen.has(c)) throw new UsageError(`--${flag} lists column '${c}' twice`, command);
    seen.add(c);
  }
  return out;
}

/** The single positional data argument. */
export function dataArgument(flags: Flags, command: string): string {
  const pos = flags.parsed.positionals;
  if (pos.length === 0) throw new UsageError(`${command} needs a data file (a path, or - for stdin)`, command);
  if (pos.length > 1) throw new UsageError(`${command} takes one data file, got ${pos.length}: ${pos.map((p) => JSON.stringify(p)).join(" ")}`, command);
  return pos[0];
}

export function formatFlag(flags: Flags): TableFormat | undefined {
  return flags.choice("format", ["csv", "ndjson"] as const);
}

/** A path that exists but is neither a regular file nor a directory (a pipe, a device). */
async function isOneShot(path: string): Promise<boolean> {
  try {
    const s = await stat(path);
    return !s.isFile() && !s.isDirectory();
  } catch {
    return false;
  }
}

async function dataSize(source: string): Promise<number | null> {
  if (source === "-") return null;
  try {
    const s = await stat(source);
    return s.isFile() ? s.size : null;
  } catch {
    return null;
  }
}

/**
 * The model file's text, after checking that it loads back (finite parameters, valid state): `fit`
 * never writes a model that `predict`/`evaluate` would refuse. NumericalError (exit 1) otherwise.
 */
export function loadableModelJson(model: MoeRegressor): string {
  const json = JSON.stringify(model.toJSON());
  try {
    MoeRegressor.fromJSON(JSON.parse(json));
  } catch (err) {
    if (!(err instanceof ModelFormatError)) throw err;
    throw new NumericalError(`the fit ended with a model that cannot be loaded (${err.message}); nothing was written: check the data for extreme values, or use fewer experts`);
  }
  return json;
}

/** "initialization: 133 rows, EM (10 restarts); then 20 ismm passes (2,660 rows learned)". */
export function whatRan(model: MoeRegressor, learningPasses: number): string {
  const init = model.initialization;
  const method = model.options.method;
  const start = init === null
    ? "no initialization"
    : `initialization: ${fmtInt(init.rows)} rows, ${init.method === "given" ? "given parameters" : `EM${init.restarts > 1 ? ` (${init.restarts} restarts)` : ""}`}`;
  if (method === "em") return `${start}; then batch EM on every row`;
  const n = model.nLearned;
  const B = model.options.batchSize;
  const T = model.threadCount;
  const batches = method === "ismm" && B > 1 ? `, mini-batches of ${fmtInt(B)} rows on ${T} thread${T === 1 ? "" : "s"}` : "";
  return `${start}; then ${learningPasses} ${method} pass${learningPasses === 1 ? "" : "es"} (${fmtInt(n)} row${n === 1 ? "" : "s"} learned${batches})`;
}

async function run(flags: Flags, ctx: Ctx): Promise<number> {
  const t0 = performance.now();
  const cmd = "fit";
  const source = dataArgument(flags, cmd);
  if (/^redis:\/\//i.test(source)) return (await import("./fit-redis.js")).fitRedis(flags, ctx, source);
  const redisFlag = REDIS_FLAGS.find((f) => flags.has(f.name));
  if (redisFlag !== undefined) throw new UsageError(`--${redisFlag.name} is for a redis:// input (see docs/SCALE-OUT.md)`, cmd);
  const targets = columnList(flags.list("target"), "target", cmd);
  if (targets.length === 0) throw new UsageError("fit needs at least one --target column", cmd);
  const featureFlag = flags.has("features") ? columnList(flags.list("features"), "features", cmd) : undefined;
  if (featureFlag !== undefined && featureFlag.length === 0) throw new UsageError("--features needs at least one column", cmd);
  const both = featureFlag?.find((f) => targets.includes(f));
  if (both !== undefined) throw new UsageError(`column '${both}' is both a --target and in --features`, cmd);
  const out = flags.str("out");
  if (out === undefined) throw new UsageError("fit needs --out <model.json>", cmd);
  const format = resolveFormat(source, formatFlag(flags));
  const skipInvalid = flags.bool("skip-invalid");
  let epochs = flags.int("epochs", 1, 1);
  const { order, shuffleRows } = passOrder(flags, cmd);
  const ckPath = flags.str("checkpoint");
  if (flags.has("checkpoint-every") && ckPath === undefined) throw new UsageError("--checkpoint-every needs --checkpoint <file>", cmd);
  const ckEvery = flags.int("checkpoint-every", DEFAULT_CHECKPOINT_EVERY, 1);
  const resumePath = flags.str("resume");
  checkOutputs(cmd, [{ flag: "out", path: out }, { flag: "checkpoint", path: ckPath }, { flag: "prequential-out", path: flags.str("prequential-out") }], [
    { what: "the data file", path: source },
    { what: "the --resume checkpoint", path: resumePath, outputsAllowed: ["checkpoint"] },
  ]);
  const oneShot = source === "-" || (await isOneShot(source));
  if (epochs > 1 && oneShot) {
    const what = source === "-" ? "stdin" : `'${source}' is not a regular file and`;
    throw new UsageError(`--epochs ${epochs} needs a file: ${what} can be read only once (save the data to a file, or use --epochs 1)`, cmd);
  }

  const options = estimatorOptions(flags);
  const method = options.method ?? "ismm";
  if (flags.has("threads") && !flags.has("batch-size")) {
    // Threads share the rows of a mini-batch: without a batch size, --threads means a useful one.
    if (method === "ismm") options.batchSize = THREADS_BATCH_SIZE;
  }
  // Threads serve ISMM's mini-batches, batch EM's iterations, and the initialization's EM starts of every method.
  if (flags.has("threads") && method !== "ismm" && method !== "em") ctx.warn(`--threads: --method ${String(method)} learns on one thread; only the initialization's EM starts use the threads`);
  else if (flags.has("threads") && options.batchSize === 1) ctx.warn("--threads: per-row ISMM (--batch-size 1) learns on one thread; only the initialization's EM starts use the threads (use --batch-size 64 or more)");
  let model = new MoeRegressor(options);
  if (model.options.method === "em") {
    ctx.warn("--method em is batch EM: it keeps every row in memory (memory grows with the data, unlike the streaming methods)");
    if (epochs > 1) {
      ctx.warn(`batch EM iterates to convergence on the stored rows; --epochs ${epochs} is ignored (one pass)`);
      epochs = 1;
    }
  }
  // The thread count changes the speed, never the model (parallel/chunks.ts): a resume may use another.
  const { threads: _threads, ...modelOptions } = model.options;
  const runOptions: Record<string, unknown> = { ...modelOptions, targets, features: featureFlag ?? null, epochs, format, skipInvalid, order, shuffleBuffer: shuffleRows ?? "auto" };
  ctx.detail(`ismm ${packageVersion()}, node ${process.version}`);
  ctx.detail(`options: ${JSON.stringify(runOptions)}`);

  let start: { epoch: number; rows: number; line: number; rowsTotal: number; skippedBefore: number; refused: number } | undefined;
  let saved: Fingerprint | undefined;
  let resumeNote: string | undefined;
  if (resumePath !== undefined) {
    const ck = await readCheckpoint(resumePath);
    saved = ck.fingerprint;
    model = ck.model;
    if (Object.hasOwn(options, "threads")) model = MoeRegressor.fromJSON(model.toJSON(), { threads: options.threads as number | null });
    const p = ck.progress;
    if (p.epoch > epochs) {
      throw new UsageError(`cannot resume from '${resumePath}': it is at epoch ${p.epoch} of ${p.epochs}, past --epochs ${epochs}; rerun with the options of the interrupted fit`, cmd);
    }
    start = { epoch: Math.max(1, p.epoch), rows: p.rows, line: p.line, rowsTotal: p.rowsTotal, skippedBefore: p.skippedBefore, refused: p.refusedEpoch ?? 0 };
    resumeNote = `ismm: resuming from ${resumePath}: epoch ${p.epoch}/${p.epochs}, ${fmtInt(p.rows)} rows of the epoch done (${fmtInt(p.rowsTotal)} rows learned)`;
  }

  const size = await dataSize(source);
  const absSource = source === "-" ? "-" : resolvePath(source);
  let fingerprint: Fingerprint | undefined;
  const label = sourceLabel(source);
  const batchRows = readBatchRows(model);
  // A one-shot input (stdin, a pipe) is kept while it fills the initialization buffer: a data set
  // smaller than the buffer is read again, from memory, for its learning pass (cli/replay-input.ts).
  const replay = oneShot ? replayableInput(source, () => !model.isInitialized) : null;
  let opened = 0;
  const open = async (): Promise<TableReader> => {
    opened++;
    if (replay === null) return openTable({ source, format, targets, features: featureFlag, skipInvalid, batchRows });
    const input = opened === 1 ? await replay.first() : replay.again();
    if (input === null) {
      throw new DataError(`${source === "-" ? "stdin" : "this input"} can be read only once and its rows were not all kept for the learning pass (more than ${REPLAY_BYTES >> 20} MiB); save the data to a file`, { file: label });
    }
    return openTable({ source, input, format, targets, features: featureFlag, skipInvalid, batchRows });
  };
  const onOpen = (reader: TableReader, epoch: number): void => {
    if (fingerprint !== undefined) return;
    fingerprint = {
      run: { ...runOptions, features: [...reader.featureNames] },
      data: { source: absSource, size, header: [...reader.header] },
    };
    if (saved !== undefined) {
      const diff = fingerprintDifference(saved, fingerprint);
      if (diff !== null) {
        const msg = `cannot resume from '${resumePath}': ${diff.message}; rerun with the data and options of the interrupted fit`;
        if (diff.kind === "option") throw new UsageError(msg, cmd);
        throw new DataError(msg, { file: label });
      }
      ctx.info(resumeNote as string);
    }
    ctx.detail(`data ${label} (${format}${size !== null ? `, ${fmtInt(size)} bytes` : ""}): targets ${reader.targetNames.join(", ")}; ${reader.featureNames.length} features ${reader.featureNames.join(", ")}; epoch ${epoch}`);
  };

  const checkpoint =
    ckPath === undefined
      ? undefined
      : {
          every: ckEvery,
          write: async (progress: CheckpointProgress): Promise<void> => {
            await writeCheckpoint(ckPath, fingerprint as Fingerprint, progress, model);
          },
        };

  model.meta = {
    tool: "ismm",
    command: "fit",
    source,
    format,
    targets,
    features: featureFlag ?? null,
    epochs,
    skipInvalid,
  };
  const progress = new Progress(ctx.progress, ctx.tty, "fit");
  const preqPath = flags.str("prequential-out");
  const preq = preqPath === undefined ? undefined : new PrequentialLog(model);
  const tTrain = performance.now();
  const shuffle = order === "shuffle" ? { seed: model.options.seed, bufferRows: shuffleRows, blockRows: batchRows } : undefined;
  const result = await train({ model, open, label, epochs, start, checkpoint, progress, onOpen, skipInvalid, marks: preq, shuffle });
  progress.done({ rows: result.rowsTotal, fraction: 1, loss: model.progressiveNll, extra: preq?.status() });
  const trainMs = performance.now() - tTrain;
  try {
    model.finish();
  } catch (err) {
    throw withSource(err, label);
  }
  const fp = fingerprint as Fingerprint;
  model.meta = { ...model.meta, features: fp.run.features, rowsPerEpoch: result.rowsPerEpoch, skippedRowsPerEpoch: result.skipped.count };
  if (shuffle !== undefined && result.passes > 1) {
    // Recorded only when a pass was shuffled: file-order fits write the same file as before --order.
    const rows = shuffleRows ?? defaultShuffleRows((fp.run.features as readonly string[]).length, targets.length);
    model.meta = { ...model.meta, order: "shuffle", shuffleBuffer: rows };
  }
  await writeFileAtomic(out, loadableModelJson(model) + "\n");
  const preqNote = preq === undefined ? null : await preq.finish(result.rowsTotal, preqPath as string);
  if (preqNote !== null) ctx.warn(preqNote);

  if (result.skipped.count > 0) {
    ctx.info(
      `ismm: skipped ${fmtInt(result.skipped.count)} invalid row${result.skipped.count === 1 ? "" : "s"} of ${label}${epochs > 1 ? " per epoch" : ""} (first: ${result.skipped.firstReasons[0]})`,
    );
  }
  for (const w of model.warnings()) ctx.warn(w);
  const loss = model.progressiveNll;
  ctx.out(
    `ismm fit: ${model.options.method}, K = ${model.options.nExperts}, ${fmtInt(result.rowsPerEpoch)} rows; ${whatRan(model, result.passes - (result.wholeData ? 1 : 0))} in ${fmtSeconds(trainMs)}` +
      `${Number.isFinite(loss) ? `; progressive NLL ${fmtNum(loss)}` : ""}; seed ${model.options.seed}; model written to ${out}`,
  );
  ctx.detail(`rows/s ${fmtInt(result.rowsTotal / Math.max(trainMs / 1000, 1e-9))}; total time ${fmtSeconds(performance.now() - t0)}`);
  ctx.detail(`peak RSS ${peakRssMiB().toFixed(1)} MiB`);
  return 0;
}

export const fitCommand: Command = {
  name: "fit",
  summary: "fit a mixture of experts to a data stream (CSV/NDJSON file or stdin)",
  usage: [
    "fit <data> --target <col> [--target <col2> ...] [--features <c1,c2,...>] --out <model.json> [options]",
    "fit redis://[user:pass@]host:port/stream --group <G> --target <col> [--until-drained] [--out <model.json>] [options]",
  ],
  description: [
    "Reads <data> (a path, or - for stdin) as a stream: rows are parsed in batches and learned as they",
    "arrive, so memory does not grow with the number of rows. Input and target scaling (median and",
    "IQR) and the initial parameters come from the first --init-rows rows (a bounded buffer; a",
    "multi-start EM initialization with a weak variance prior), then each row updates the model once",
    "(ISMM by default). Every --epochs pass re-reads the file. A file smaller than the buffer is fitted",
    "whole (with --restarts) and then learned in --epochs passes. Rows with a value beyond ±1e150 are",
    "errors (or skipped with --skip-invalid); outliers and degenerate fits print warnings.",
    "--method em is batch EM: it stores the rows (a warning says so).",
    "",
    "Order of the passes: the first reading of the file is in file order (it streams; the model",
    "initializes on the first rows), so --epochs 1 on a file larger than the initialization buffer is",
    "one streaming pass. Every later pass is shuffled by default (--order shuffle), as the library's",
    "fit() shuffles its epochs: rows go through a seeded buffer of --shuffle-buffer rows (default: 64",
    "MiB of doubles); once it is full each new row takes the place of a random held row, which is",
    "learned. A file of at most that many rows is thus learned in a fresh uniformly random order",
    "every pass; a longer one in a locally shuffled order, in memory bounded by the buffer. The order",
    "of a pass depends only on --seed, the pass number and the file. --order sequential learns every",
    "pass in file order (constant memory, one reader batch). A file smaller than the initialization",
    "buffer is read once to fill it, so all its --epochs learning passes are shuffled.",
    "",
    "--batch-size B learns ISMM in mini-batches of B rows (one blend and one exact M-step per batch);",
    "--threads T|auto computes each batch on T threads (without --batch-size: batches of 256 rows), and",
    "runs the initialization's EM starts and restarts on up to T threads (when they are worth it, e.g.",
    "a small file fitted whole with 10 restarts), and with --method em the row sums of every EM",
    "iteration. The model depends on B, never on T: --threads 1, 2 and auto write the same file",
    "(docs/MINIBATCH.md).",
    "",
    "Checkpoints hold the whole state (model, RNG, position in the data, a fingerprint of options and",
    "data) and are written atomically, so the last one survives a crash or kill -9. Resume with the",
    "same command plus --resume <file>: the result equals an uninterrupted run (a shuffled pass is",
    "read again from its start with the same draws, and learning resumes after the rows it had learned).",
    "",
    "--prequential-out F.csv (River's progressive_val_score, VW's progressive validation): each row is",
    "scored by the model that predicts (the averaged parameters) before it learns the row. A line is",
    "written when the number of scored rows reaches 1, 2, 4, 8, … and at the end, with the columns",
    "rows (rows learned so far, including the initialization buffer, which is not scored), scored,",
    "nll and mse (running means over the scored rows, original units), window_rows, window_nll,",
    "window_mse (the rows since the previous line) and seconds. After --resume the file starts at the",
    "resumed point and mse counts the rows since then. The progress display shows the running values.",
    "",
    "redis://host:port/stream: a scale-out worker. Each stream entry is a row (fields = column names).",
    "Workers with the same --group, on any machines, fit one model kept in Redis: each reads a batch",
    "(--batch-size rows, default 256), learns it as one mini-batch ISMM step at the current model and",
    "commits the new model with the acknowledgement of exactly those entries in one atomic step: every",
    "row is learned exactly once, also when a worker is killed (its entries are taken over after",
    "--claim-idle). The first worker's options hold for all. --out writes the model when it stops.",
  ].join("\n"),
  flags: [
    ["Data and output", [...FIT_FLAGS, ...DATA_FLAGS]],
    ["Checkpoints", CHECKPOINT_FLAGS],
    ["Redis stream input (scale-out workers; docs/SCALE-OUT.md)", REDIS_FLAGS],
    ["Estimator options (the MoeRegressor options table)", ESTIMATOR_FLAGS],
  ],
  examples: [
    ["ismm fit data.csv --target y --out model.json", "ISMM with K = 2 experts on every other column"],
    ["ismm fit data.csv -t y --features x1,x2 --experts 3 --epochs 5 --seed 7 -o model.json", "3 experts, 5 passes"],
    ["ismm simulate --rows 100000 | ismm fit - --target y --out model.json", "stream from stdin"],
    ["ismm fit big.csv -t y -o m.json --checkpoint ck.json --checkpoint-every 50000", "checkpoint every 50,000 rows"],
    ["ismm fit big.csv -t y -o m.json --checkpoint ck.json --checkpoint-every 50000 --resume ck.json", "resume after a crash"],
    ["ismm fit data.ndjson -t y1 -t y2 --method adam --lr 0.01 -o m.json", "two targets, an Adam baseline"],
    ["ismm fit data.csv -t y -o m.json --prequential-out preq.csv", "prequential NLL/MSE at doubling row counts"],
    ["ismm fit wide.csv -t y --experts 3 --batch-size 256 --threads auto -o m.json", "mini-batches on every core"],
    ["ismm fit redis://127.0.0.1:6379/rows --group g -t y --until-drained -o m.json", "one of several workers on a Redis stream"],
  ],
  run,
};
