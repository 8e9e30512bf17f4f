/**
 * `ismm plot`: pictures of a fitted model on data, or of a prequential log, through the library's
 * Vega-Lite → SVG → PNG pipeline (src/plot; its packages load only when this command runs).
 */
import { extname } from "node:path";
import { buildFitted1dSpec, buildMultiFeatureSpec, buildPrequentialSpec, readAll, svgToPng, vegaLiteToSvg, type ChartSpec } from "../index.js";
import type { Flags, FlagSpec } from "./args.js";
import { writeFileAtomic } from "./atomic-write.js";
import { checkOutputs } from "./outputs.js";
import type { Command } from "./command.js";
import { fmtInt, type Ctx } from "./context.js";
import { loadModel, resolveFormat, sourceLabel } from "./data.js";
import { UsageError, withSource } from "./errors.js";
import { DATA_FLAGS, READ_BATCH_ROWS, formatFlag } from "./fit.js";
import { openForModel } from "./model-data.js";
import { multiFeatureData, oneFeatureData, reservoir } from "./plot-data.js";
import { PREQUENTIAL_COLUMNS } from "./prequential.js";
import { MODEL_FLAG } from "./predict.js";

const DEFAULT_POINTS = 2000;

const PLOT_FLAGS: readonly FlagSpec[] = [
  MODEL_FLAG,
  { name: "out", short: "o", kind: "string", value: "fit.png|fit.svg", doc: "the image to write (atomically); PNG or SVG by the extension" },
  { name: "target", short: "t", kind: "string", value: "col", doc: "which target to draw when the model has several (default: the first)" },
  { name: "points", kind: "string", value: "N", doc: `rows drawn: a seeded uniform sample of N rows of the data (default ${DEFAULT_POINTS})` },
  { name: "prequential", kind: "string", value: "F.csv", doc: "draw the prequential log written by 'ismm fit --prequential-out' instead of a model" },
  { name: "title", kind: "string", value: "text", doc: "chart title (default: describes the model and data)" },
];

async function modelChart(flags: Flags, modelPath: string, ctx: Ctx): Promise<ChartSpec> {
  const cmd = "plot";
  const pos = flags.parsed.positionals;
  if (pos.length !== 1) throw new UsageError(`plot --model needs one data file (a path, or - for stdin), got ${pos.length}`, cmd);
  const source = pos[0];
  const loaded = await loadModel(modelPath);
  const { model, features, targets } = loaded;
  const target = flags.str("target") ?? targets[0];
  const j = targets.indexOf(target);
  if (j < 0) throw new UsageError(`--target '${target}' is not a target of the model (${targets.join(", ")})`, cmd);
  const cap = flags.int("points", DEFAULT_POINTS, 1);
  const format = resolveFormat(source, formatFlag(flags));
  const label = sourceLabel(source);
  const reader = await openForModel(source, format, flags.bool("skip-invalid"), loaded, modelPath, true, READ_BATCH_ROWS);
  let sample;
  try {
    sample = await reservoir(reader, cap, model.options.seed);
  } catch (err) {
    throw withSource(err, label);
  } finally {
    reader.close();
  }
  const K = model.nExperts;
  const shown = sample.n < sample.seen ? `${fmtInt(sample.n)} of ${fmtInt(sample.seen)} rows` : `${fmtInt(sample.n)} rows`;
  const title = flags.str("title") ?? `${target}: mixture of ${K} expert${K === 1 ? "" : "s"} (${modelPath}) on ${label}, ${shown}`;
  ctx.detail(`plot: ${features.length} feature${features.length === 1 ? "" : "s"}; ${shown} drawn`);
  if (features.length === 1) return buildFitted1dSpec(oneFeatureData(model, sample, j, { feature: features[0], target, title }));
  return buildMultiFeatureSpec(multiFeatureData(model, sample, j, features, target, title));
}

async function prequentialChart(path: string, flags: Flags): Promise<ChartSpec> {
  const t = await readAll({ source: path, format: "csv", targets: ["nll"], features: ["scored", "window_nll", "mse", "window_mse"] });
  const col = (a: number): number[] => Array.from({ length: t.n }, (_, i) => t.X[i * 4 + a]);
  return buildPrequentialSpec({
    rows: col(0), nll: Array.from(t.Y), windowNll: col(1), mse: col(2), windowMse: col(3),
    title: flags.str("title") ?? `Prequential (predict-then-learn) evaluation: ${sourceLabel(path)}, ${fmtInt(t.n)} lines`,
  });
}

async function run(flags: Flags, ctx: Ctx): Promise<number> {
  const cmd = "plot";
  const out = flags.str("out");
  if (out === undefined) throw new UsageError("plot needs --out <file.png|file.svg>", cmd);
  const kind = extname(out).toLowerCase();
  if (kind !== ".png" && kind !== ".svg") throw new UsageError(`--out must end in .png or .svg, got '${out}'`, cmd);
  const preq = flags.str("prequential");
  const modelPath = flags.str("model");
  checkOutputs(cmd, [{ flag: "out", path: out }], [
    { what: "the --prequential log", path: preq },
    { what: "the model", path: modelPath },
    { what: "the data file", path: flags.parsed.positionals[0] },
  ]);
  if (preq !== undefined && modelPath !== undefined) throw new UsageError("give either --model with data or --prequential, not both (run plot twice)", cmd);
  let spec: ChartSpec;
  if (preq !== undefined) {
    if (flags.parsed.positionals.length > 0) throw new UsageError("plot --prequential takes no data file", cmd);
    try {
      spec = await prequentialChart(preq, flags);
    } catch (err) {
      throw withSource(err, sourceLabel(preq));
    }
  } else if (modelPath !== undefined) {
    spec = await modelChart(flags, modelPath, ctx);
  } else {
    throw new UsageError("plot needs --model <model.json> and a data file, or --prequential <F.csv>", cmd);
  }
  const svg = await vegaLiteToSvg(spec);
  await writeFileAtomic(out, kind === ".svg" ? svg : await svgToPng(svg));
  ctx.out(`ismm plot: ${preq !== undefined ? "prequential curve" : "model"} written to ${out}`);
  return 0;
}

export const plotCommand: Command = {
  name: "plot",
  summary: "draw a fitted model on data, or a prequential log, as PNG or SVG",
  usage: ["plot --model <model.json> <data> --out <fit.png|fit.svg> [--target <col>] [--points N]", "plot --prequential <preq.csv> --out <preq.png>"],
  description: [
    "With one feature: the data (grey points), each expert's mean line, the mixture mean (dashed) and",
    "a 90% predictive interval (the 5% and 95% quantiles of the mixture), with the gate probabilities",
    "π_k(x) in a panel below. With several features: observed against predicted mean, coloured by",
    "the most probable expert, and below each row's gate probabilities against its position along",
    "the gate's most important direction (the top singular vector of the gate slopes per sd of the",
    "inputs; the axis title gives its weights). The data need the model's feature and target columns;",
    "a seeded uniform sample of --points rows is drawn (memory stays bounded).",
    `--prequential F.csv draws the log of 'ismm fit --prequential-out' (columns ${PREQUENTIAL_COLUMNS.slice(0, 7).join(", ")}):`,
    "running and window NLL (top) and squared error (bottom) against the rows scored (log scale).",
    "The charts use the bundled Roboto font only (no system fonts needed). Written atomically.",
  ].join("\n"),
  flags: [["Model, data and output", [...PLOT_FLAGS, ...DATA_FLAGS]]],
  examples: [
    ["ismm plot --model model.json data.csv --out fit.png", "the fitted model on its data"],
    ["ismm plot -m model.json data.csv --target y2 --out fit.svg", "a second target, as SVG"],
    ["ismm plot --prequential preq.csv --out preq.png", "the prequential curve of a fit"],
  ],
  run,
};
