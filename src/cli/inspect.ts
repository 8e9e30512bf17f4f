/**
 * `ismm inspect`: what a fitted model learned, in the data's original units and named by column —
 * gate vectors, expert coefficients per target, variances — plus diagnostics computed from the
 * parameters and the training summary recorded in the model file.
 */
import type { MoeParameters, MoeRegressor } from "../index.js";
import type { Flags, FlagSpec } from "./args.js";
import type { Command } from "./command.js";
import { fmtInt, fmtNum, type Ctx } from "./context.js";
import { loadModel, type LoadedModel } from "./data.js";
import { UsageError } from "./errors.js";
import { MODEL_FLAG } from "./predict.js";

/** Name of the intercept term in coefficient tables. */
export const INTERCEPT = "(intercept)";
/** A gate slope norm (scaled inputs) above this makes the gate nearly a hard split: exp(20) ≈ 5e8 odds per sd. */
const SEPARABLE_GATE_NORM = 20;
/** An expert whose gate probability at the mean input is below this is reported as nearly unused. */
const RARE_GATE_PROB = 1e-3;

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
    });
  }
  return { gate: P.gate, beta: P.beta, sigma2: P.sigma2, terms, targets: [...targets], experts };
}

/** Per-expert diagnostics computed from the parameters and the scaler. */
export interface ExpertDiagnostics {
  readonly expert: number;
  /** Per target: σ² in the scaled units of the fit (σ²/sd(y)²), the units of the variance floor. */
  readonly scaledVariance: number[];
  /** True when some scaled variance sits at the floor (a collapsed expert). */
  readonly atVarianceFloor: boolean;
  /** ‖gate slopes‖ in scaled inputs (per sd of each feature); 0 for the reference expert. */
  readonly gateSlopeNorm: number;
  /** π_k at the mean input of the initialization buffer. */
  readonly gateAtMeanInput: number;
}

export interface ModelDiagnostics {
  readonly varianceFloor: number;
  readonly experts: ExpertDiagnostics[];
  /** Experts with a variance at the floor (1-based). */
  readonly varianceFloorExperts: number[];
  /** Experts whose gate probability at the mean input is below 1e-3 (1-based). */
  readonly rareExperts: number[];
  /** Largest gate slope norm; above 20 the gate is close to a hard (separable) split. */
  readonly maxGateSlopeNorm: number;
  readonly separableGate: boolean;
  /** ISMM M-steps skipped by the guards (from the learner state), when the method records it. */
  readonly skippedMsteps?: number;
  /** Counts the estimator recorded during the fit, when the model has them. */
  readonly recorded?: unknown;
  readonly notes: string[];
}

/**
 * The diagnostics section: computed here from the parameters (variance vs floor, gate slopes, gate
 * at the mean input); counts the estimator recorded during the fit are merged under `recorded`.
 */
export function modelDiagnostics(model: MoeRegressor): ModelDiagnostics {
  const snap = model.toJSON();
  const sc = snap.scaler;
  const P = model.parameters();
  const K = model.nExperts;
  const floor = model.options.varianceFloor;
  const d = model.nFeatures ?? 0;
  const q = model.nTargets ?? 0;
  const xMean = sc?.xMean ?? new Array<number>(d).fill(0);
  const xScale = sc?.xScale ?? new Array<number>(d).fill(1);
  const yScale = sc?.yScale ?? new Array<number>(q).fill(1);
  // Gate logits at the mean input, then softmax.
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
    const scaledVariance = P.sigma2[k].map((v, j) => v / (yScale[j] * yScale[j]));
    let norm2 = 0;
    if (k < K - 1) for (let a = 0; a < d; a++) norm2 += (P.gate[k][1 + a] * xScale[a]) ** 2;
    experts.push({
      expert: k + 1,
      scaledVariance,
      // Relative slack 1e-9: the floor is applied in log space, so σ² at the floor round-trips to ~1e-15.
      atVarianceFloor: scaledVariance.some((v) => v <= floor * (1 + 1e-9)),
      gateSlopeNorm: Math.sqrt(norm2),
      gateAtMeanInput: Math.exp(eta[k] - m) / z,
    });
  }
  const maxGateSlopeNorm = Math.max(0, ...experts.map((e) => e.gateSlopeNorm));
  const varianceFloorExperts = experts.filter((e) => e.atVarianceFloor).map((e) => e.expert);
  const rareExperts = experts.filter((e) => e.gateAtMeanInput < RARE_GATE_PROB).map((e) => e.expert);
  const notes: string[] = [];
  if (varianceFloorExperts.length > 0) notes.push(`expert${varianceFloorExperts.length > 1 ? "s" : ""} ${varianceFloorExperts.join(", ")} at the variance floor: a collapsed expert (fits few points exactly); try fewer experts`);
  if (maxGateSlopeNorm > SEPARABLE_GATE_NORM) notes.push(`gate slopes up to ${fmtNum(maxGateSlopeNorm)} per sd: the gate is nearly a hard split (separable data)`);
  if (rareExperts.length > 0) notes.push(`expert${rareExperts.length > 1 ? "s" : ""} ${rareExperts.join(", ")} nearly unused at the mean input (gate < ${RARE_GATE_PROB})`);
  const learner = snap.learner as { skippedMsteps?: unknown } | null;
  const recorded = (model as unknown as { diagnostics?: () => unknown }).diagnostics?.();
  return {
    varianceFloor: floor,
    experts,
    varianceFloorExperts,
    rareExperts,
    maxGateSlopeNorm,
    separableGate: maxGateSlopeNorm > SEPARABLE_GATE_NORM,
    ...(typeof learner?.skippedMsteps === "number" ? { skippedMsteps: learner.skippedMsteps } : {}),
    ...(recorded !== undefined ? { recorded } : {}),
    notes,
  };
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
  out.push("", "Diagnostics (from the parameters; scaled = units of the fit, sd(y) = 1):");
  out.push(
    table([
      ["expert", "scaled σ²", "at floor", "gate slope norm", "gate at mean x"],
      ...D.experts.map((e) => [String(e.expert), e.scaledVariance.map((v) => fmtNum(v)).join(" "), e.atVarianceFloor ? "yes" : "no", fmtNum(e.gateSlopeNorm), fmtNum(e.gateAtMeanInput)]),
    ]),
  );
  if (D.skippedMsteps !== undefined) out.push(`skipped M-steps: ${fmtInt(D.skippedMsteps)}`);
  if (D.recorded !== undefined) out.push(`recorded during the fit: ${JSON.stringify(D.recorded)}`);
  out.push(...(D.notes.length > 0 ? D.notes.map((n) => `note: ${n}`) : ["no warnings"]));
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
  ].join("\n"),
  flags: [["Model", INSPECT_FLAGS]],
  examples: [
    ["ismm inspect --model model.json", "tables of coefficients and diagnostics"],
    ["ismm inspect -m model.json --json | jq .parameters.experts", "named coefficients as JSON"],
  ],
  run,
};
