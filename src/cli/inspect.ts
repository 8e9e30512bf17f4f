/**
 * `ismm inspect`: what a fitted model learned, in the data's original units and named by column —
 * gate vectors, expert coefficients per target, variances — plus the estimator's diagnostics
 * (`MoeRegressor.diagnostics()`, with its warnings) and the training summary recorded in the model file.
 */
import type { FitDiagnostics, MoeParameters, MoeRegressor } from "../index.js";
import type { Flags, FlagSpec } from "./args.js";
import type { Command } from "./command.js";
import { fmtInt, fmtNum, type Ctx } from "./context.js";
import { loadModel, type LoadedModel } from "./data.js";
import { UsageError } from "./errors.js";
import { MODEL_FLAG } from "./predict.js";

/** Name of the intercept term in coefficient tables. */
export const INTERCEPT = "(intercept)";

const INSPECT_FLAGS: readonly FlagSpec[] = [
  MODEL_FLAG,
  { name: "json", kind: "boolean", doc: "print one JSON object instead of tables" },
];

/** One expert's parameters named by column. */
export interface NamedExpert {
  /** 1-based, as predict's `expert` column. */
  readonly expert: number;
  /** Gate vector by term; the last expert is the reference (all zeros). */
  readonly gate: Record<string, number>;
  /** Per target: coefficient by term. */
  readonly beta: Record<string, Record<string, number>>;
  /** Per target: variance σ². */
  readonly sigma2: Record<string, number>;
  /** Full-covariance models: Σ_k by target pair (covariance[a][b]). */
  readonly covariance?: Record<string, Record<string, number>>;
}

/** The parameters section of `inspect --json` (original units). */
export interface InspectParameters extends MoeParameters {
  /** Terms of every coefficient vector: the intercept, then the features. */
  readonly terms: string[];
  readonly targets: string[];
  readonly experts: NamedExpert[];
}

/** The parameters in original units: the library's arrays plus the same numbers named by column. */
export function namedParameters(model: MoeRegressor, features: readonly string[], targets: readonly string[]): InspectParameters {
  const P = model.parameters();
  const terms = [INTERCEPT, ...features];
  const K = model.nExperts;
  const named = (v: readonly number[]): Record<string, number> => Object.fromEntries(terms.map((t, i) => [t, v[i]]));
  const experts: NamedExpert[] = [];
  for (let k = 0; k < K; k++) {
    experts.push({
      expert: k + 1,
      gate: named(k < K - 1 ? P.gate[k] : terms.map(() => 0)),
      beta: Object.fromEntries(targets.map((t, j) => [t, named(P.beta[k][j])])),
      sigma2: Object.fromEntries(targets.map((t, j) => [t, P.sigma2[k][j]])),
      ...(P.covariance ? { covariance: Object.fromEntries(targets.map((a, i) => [a, Object.fromEntries(targets.map((b, j) => [b, (P.covariance as number[][][])[k][i][j]]))])) } : {}),
    });
  }
  return { gate: P.gate, beta: P.beta, sigma2: P.sigma2, ...(P.covariance ? { covariance: P.covariance } : {}), terms, targets: [...targets], experts };
}

/** Per-expert view of the fit, for the diagnostics table. */
export interface ExpertDiagnostics {
  readonly expert: number;
  /** Per target: σ² in the scaled units of the fit (σ²/sd(y)²), the units of the variance floor. */
  readonly scaledVariance: number[];
  /** True when some scaled variance sits at the floor (a collapsed expert). */
  readonly atVarianceFloor: boolean;
  /** ‖gate slopes‖ in scaled inputs (per robust sd of each feature); 0 for the reference expert. */
  readonly gateSlopeNorm: number;
  /** π_k at the median input of the initialization buffer. */
  readonly gateAtMeanInput: number;
}

/** The estimator's own diagnostics (`MoeRegressor.diagnostics()`), a per-expert table and the warnings. */
export type ModelDiagnostics = FitDiagnostics & {
  readonly experts: ExpertDiagnostics[];
  /** `MoeRegressor.warnings()`: one line per kind of trouble, with what to do. */
  readonly notes: string[];
};

/** The diagnostics section: the estimator's recorded diagnostics plus a per-expert table from the parameters. */
export function modelDiagnostics(model: MoeRegressor): ModelDiagnostics {
  const D = model.diagnostics();
  const sc = model.scaling();
  const P = model.parameters();
  const K = model.nExperts;
  const d = model.nFeatures ?? 0;
  const { xMean, xScale, yScale } = sc;
  // Gate logits at the scaler's centre (the median input), then softmax.
  const eta = new Array<number>(K).fill(0);
  for (let k = 0; k < K - 1; k++) {
    let s = P.gate[k][0];
    for (let a = 0; a < d; a++) s += P.gate[k][1 + a] * xMean[a];
    eta[k] = s;
  }
  const m = Math.max(...eta);
  const z = eta.reduce((acc, e) => acc + Math.exp(e - m), 0);
  const experts: ExpertDiagnostics[] = [];
  for (let k = 0; k < K; k++) {
    let norm2 = 0;
    if (k < K - 1) for (let a = 0; a < d; a++) norm2 += (P.gate[k][1 + a] * xScale[a]) ** 2;
    experts.push({
      expert: k + 1,
      scaledVariance: P.sigma2[k].map((v, j) => v / (yScale[j] * yScale[j])),
      atVarianceFloor: D.varianceFloorExperts.includes(k),
      gateSlopeNorm: Math.sqrt(norm2),
      gateAtMeanInput: Math.exp(eta[k] - m) / z,
    });
  }
  return { ...D, experts, notes: model.warnings() };
}

/** The training summary recorded in the model file. */
export function trainingSummary(loaded: LoadedModel): Record<string, unknown> {
  const { model } = loaded;
  const meta = model.meta;
  const preq = model.progressiveNll;
  return {
    rowsLearned: model.nSeen,
    rowsPerEpoch: meta.rowsPerEpoch ?? null,
    skippedRowsPerEpoch: meta.skippedRowsPerEpoch ?? null,
    epochs: meta.epochs ?? null,
    method: model.method,
    seed: model.options.seed,
    source: meta.source ?? null,
    format: meta.format ?? null,
    features: loaded.features,
    targets: loaded.targets,
    progressiveNll: Number.isFinite(preq) ? preq : null,
    options: { ...model.options },
  };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ").trimEnd()).join("\n");
}

/** The plain-text report. */
export function inspectText(path: string, P: InspectParameters, D: ModelDiagnostics, T: Record<string, unknown>): string {
  const K = P.experts.length;
  const out: string[] = [];
  const rows = T.rowsPerEpoch === null ? "?" : fmtInt(T.rowsPerEpoch as number);
  const epochs = typeof T.epochs === "number" ? `${T.epochs} epoch${T.epochs === 1 ? "" : "s"}` : "? epochs";
  out.push(`ismm inspect: ${path}: K = ${K} expert${K === 1 ? "" : "s"}, ${T.method}, ${rows} rows × ${epochs}, seed ${T.seed}`);
  out.push(`targets ${P.targets.join(", ")}; features ${P.terms.slice(1).join(", ") || "(none)"}; original units`);
  out.push("", `Gate (log-odds of each expert against expert ${K}, the reference): π_k(x) = softmax_k(w_kᵀx)`);
  out.push(table([["term", ...P.experts.map((e) => `expert ${e.expert}`)], ...P.terms.map((t) => [t, ...P.experts.map((e) => (e.expert === K ? "0" : fmtNum(e.gate[t], 5)))])]));
  for (const y of P.targets) {
    out.push("", `Expert means of ${y}: E[${y} | x, expert k] = β_kᵀx`);
    out.push(
      table([
        ["term", ...P.experts.map((e) => `expert ${e.expert}`)],
        ...P.terms.map((t) => [t, ...P.experts.map((e) => fmtNum(e.beta[y][t], 5))]),
        [`variance σ²`, ...P.experts.map((e) => fmtNum(e.sigma2[y], 5))],
      ]),
    );
  }
  for (const e of P.experts) {
    const C = e.covariance;
    if (C === undefined) continue;
    out.push("", `Noise covariance Σ_${e.expert} of expert ${e.expert} (correlations below the diagonal)`);
    out.push(
      table([
        ["", ...P.targets],
        ...P.targets.map((a, i) => [a, ...P.targets.map((b, j) => (j < i ? `r ${fmtNum(C[a][b] / Math.sqrt(C[a][a] * C[b][b]), 3)}` : fmtNum(C[a][b], 5)))]),
      ]),
    );
  }
  out.push("", "Diagnostics (scaled = units of the fit: robust sd(y) = 1):");
  out.push(
    table([
      ["expert", "scaled σ²", "at floor", "gate slope norm", "gate at median x"],
      ...D.experts.map((e) => [String(e.expert), e.scaledVariance.map((v) => fmtNum(v)).join(" "), e.atVarianceFloor ? "yes" : "no", fmtNum(e.gateSlopeNorm), fmtNum(e.gateAtMeanInput)]),
    ]),
  );
  const init = D.init;
  if (init !== null) {
    out.push(`initialization: ${fmtInt(init.rows)} rows, ${init.method === "given" ? "given parameters" : `EM, ${init.restarts} restart${init.restarts === 1 ? "" : "s"}`}; then ${fmtInt(D.rowsLearned)} rows learned`);
  }
  out.push(
    `rows set aside as outliers ${fmtInt(D.outliers)}, refused ${fmtInt(D.rejected)}; skipped M-steps ${fmtInt(D.skippedMsteps)}, ridged solves ${fmtInt(D.ridgedSolves)}, guard trips ${fmtInt(D.guardTrips)}; max gate slope ${fmtNum(D.maxGateSlope)}`,
  );
  out.push(...(D.notes.length > 0 ? D.notes.map((n) => `warning: ${n}`) : ["no warnings"]));
  const preq = T.progressiveNll;
  out.push("", `Training: ${fmtInt(T.rowsLearned as number)} rows learned${typeof preq === "number" ? `, progressive NLL ${fmtNum(preq)}` : ""}; data ${T.source ?? "?"} (${T.format ?? "?"})`);
  const o = T.options as Record<string, unknown>;
  out.push(`options: ${Object.entries(o).map(([k, v]) => `${k}=${v === null ? "auto" : String(v)}`).join(" ")}`);
  return out.join("\n");
}

async function run(flags: Flags, ctx: Ctx): Promise<number> {
  const cmd = "inspect";
  const path = flags.str("model");
  if (path === undefined) throw new UsageError("inspect needs --model <model.json>", cmd);
  if (flags.parsed.positionals.length > 0) throw new UsageError(`inspect takes no data file, got ${JSON.stringify(flags.parsed.positionals[0])}`, cmd);
  const loaded = await loadModel(path);
  const parameters = namedParameters(loaded.model, loaded.features, loaded.targets);
  const diagnostics = modelDiagnostics(loaded.model);
  const training = trainingSummary(loaded);
  if (flags.bool("json")) {
    // The JSON is the result: printed even with --quiet.
    process.stdout.write(JSON.stringify({ model: path, parameters, diagnostics, training }) + "\n");
  } else if (!ctx.quiet) {
    process.stdout.write(inspectText(path, parameters, diagnostics, training) + "\n");
  }
  return 0;
}

export const inspectCommand: Command = {
  name: "inspect",
  summary: "show a fitted model's parameters (original units, named by column), diagnostics and training summary",
  usage: ["inspect --model <model.json> [--json]"],
  description: [
    "Prints what the model learned, in the data's original units: the gate vectors w_k (log-odds of",
    "expert k against the last expert, whose vector is 0), each expert's coefficients β_kj for every",
    "target and its variance σ²_kj, each named by column ('(intercept)' first). With them",
    "  π_k(x) = exp(w_kᵀx) / Σ_l exp(w_lᵀx),   E[y_j | x] = Σ_k π_k(x) β_kjᵀx,   x = (1, features…)",
    "reproduce 'ismm predict' exactly. Experts are numbered 1..K as in predict's output.",
    "Diagnostics are computed from the parameters: each variance in the scaled units of the fit",
    "against --variance-floor (a collapsed expert), the gate slope norm per sd of the inputs (above 20",
    "the gate is a near-hard split), the gate probabilities at the mean input, and the M-steps skipped.",
    "--json prints {model, parameters: {gate, beta, sigma2, terms, targets, experts: [{expert, gate,",
    "beta, sigma2}]}, diagnostics: {...}, training: {rowsLearned, rowsPerEpoch, epochs, method, seed,",
    "options, ...}}; gate/beta/sigma2 are the library's parameters() arrays (gate has K−1 rows).",
    "A model fitted with --covariance full also shows each expert's noise covariance Σ_k (and the",
    "correlations); in --json, parameters.covariance (K × q × q) and experts[].covariance by target pair.",
  ].join("\n"),
  flags: [["Model", INSPECT_FLAGS]],
  examples: [
    ["ismm inspect --model model.json", "tables of coefficients and diagnostics"],
    ["ismm inspect -m model.json --json | jq .parameters.experts", "named coefficients as JSON"],
  ],
  run,
};
