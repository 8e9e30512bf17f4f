/**
 * The Markdown summary of a benchmark run, generated from the measured rows only: every number and
 * every "wins/loses" sentence comes from the CSV rows passed in (no hard-coded claims).
 */
import type { CurveRow as BenchRow } from "../src/index.js";
import type { Scenario } from "./scenarios/types.js";
import type { TuneResult, TuneRow } from "./tune.js";

/** Run metadata printed at the top. */
export interface RunMeta {
  readonly command: string;
  readonly profile: string;
  readonly date: string;
  readonly gitSha: string;
  readonly node: string;
  readonly cpu: string;
  readonly cores: number;
  readonly os: string;
  readonly loadStart: number[];
  readonly loadEnd: number[];
  readonly wallSeconds: number;
}

/**
 * Per-scenario facts for the summary, as plain JSON (saved as report.json, so that the summary can
 * be regenerated from the output directory without rerunning: `bench/run.ts --summarize <dir>`).
 */
export interface ScenarioReport {
  readonly name: string;
  readonly kind: "synthetic" | "real";
  readonly description: string;
  readonly seeds: readonly number[];
  readonly epochs: number;
  readonly streamLength: number;
  readonly startKind: string;
  /** Candidate labels of every method with a one-dimensional learning-rate grid (for edge flags). */
  readonly lrGrids: Readonly<Record<string, readonly string[]>>;
  readonly tuning: {
    readonly seeds: readonly number[];
    readonly rows: readonly TuneRow[];
    /** Selected config label per method. */
    readonly selected: Readonly<Record<string, string>>;
  };
  /** Notes of each repetition's instance (e.g. features kept), keyed by seed. */
  readonly notes: Readonly<Record<string, string>>;
}

/** The report of a scenario from its definition and run facts. */
export function scenarioReport(s: Scenario, tuning: TuneResult, notes: Map<number, string>, startKind: string, streamLength: number): ScenarioReport {
  const lrGrids: Record<string, string[]> = {};
  for (const m of s.methods) {
    if (m.candidates.length > 1 && m.candidates.every((c) => c.options.learningRate !== undefined)) lrGrids[m.method] = m.candidates.map((c) => c.label);
  }
  return {
    name: s.name, kind: s.kind, description: s.description, seeds: [...s.seeds], epochs: s.epochs, streamLength, startKind, lrGrids,
    tuning: {
      seeds: [...tuning.seeds],
      // JSON has no Infinity: diverged rows keep validationNll null-safe via `diverged`
      rows: tuning.rows.map((r) => ({ ...r, validationNll: Number.isFinite(r.validationNll) ? r.validationNll : Number.MAX_VALUE })),
      selected: Object.fromEntries(tuning.selected),
    },
    notes: Object.fromEntries([...notes].map(([k, v]) => [String(k), v])),
  };
}

/** True when `label` is the first or last value of a learning-rate grid of three or more. */
export function atGridEdge(rep: ScenarioReport, method: string, label: string): boolean {
  const grid = rep.lrGrids[method];
  if (grid === undefined || grid.length < 3) return false;
  const i = grid.indexOf(label);
  return i === 0 || i === grid.length - 1;
}

interface Stat {
  mean: number;
  sd: number;
  n: number;
}

function stat(xs: number[]): Stat {
  const n = xs.length;
  if (n === 0) return { mean: NaN, sd: NaN, n };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : NaN;
  return { mean, sd, n };
}

/** Compact number: 3 significant digits, exponent form for tiny/huge magnitudes. */
export function fmt(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(2);
  return Number(v.toPrecision(3)).toString();
}

function pm(s: Stat): string {
  if (s.n === 0) return "–";
  return Number.isFinite(s.sd) ? `${fmt(s.mean)} ± ${fmt(s.sd)}` : fmt(s.mean);
}

/** Mean ± sd of an NLL with 4 decimals (differences between methods sit in the 3rd–4th decimal). */
function pmNll(s: Stat): string {
  if (s.n === 0) return "–";
  return Number.isFinite(s.sd) ? `${s.mean.toFixed(4)} ± ${s.sd.toFixed(4)}` : s.mean.toFixed(4);
}

/** The final (largest `samples`) row of each rep. */
function finals(rows: readonly BenchRow[]): Map<number, BenchRow> {
  const out = new Map<number, BenchRow>();
  for (const r of rows) {
    const cur = out.get(r.rep);
    if (cur === undefined || r.samples > cur.samples) out.set(r.rep, r);
  }
  return out;
}

type Metric = "excess_nll" | "test_nll" | "test_mse" | "param_error";

const METRIC_NAME: Record<Metric, string> = {
  excess_nll: "final excess test NLL",
  test_nll: "final test NLL",
  test_mse: "final test MSE",
  param_error: "final parameter error",
};

/** Final value per rep of a metric; NaN (diverged) becomes +Infinity so that it ranks last. */
function finalValues(rows: readonly BenchRow[], metric: Metric): Map<number, number> {
  const out = new Map<number, number>();
  for (const [rep, r] of finals(rows)) {
    const v = r[metric];
    if (v === null) continue;
    out.set(rep, Number.isFinite(v) ? v : Infinity);
  }
  return out;
}

function meanOf(m: Map<number, number>): number {
  const xs = [...m.values()];
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

function medianOf(m: Map<number, number>): number {
  const xs = [...m.values()].sort((a, b) => a - b);
  const n = xs.length;
  if (n === 0) return NaN;
  return n % 2 === 1 ? xs[(n - 1) / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

const label = (method: string, config: string): string => (method === "em" ? "batch EM" : `${method} (${config})`);

interface Comparison {
  text: string;
  rank: number;
  of: number;
  best: string;
  diff: Stat;
  wins: number;
  reps: number;
}

/** "Where ISMM wins/loses" on one metric among the selected streaming configurations. */
function compare(rows: readonly BenchRow[], selected: Map<string, string>, metric: Metric): Comparison | null {
  const streaming = [...selected].filter(([m]) => m !== "em");
  const series = streaming
    .map(([m, c]) => ({ m, c, v: finalValues(rows.filter((r) => r.method === m && r.config === c), metric) }))
    .filter((s) => s.v.size > 0);
  const ismm = series.find((s) => s.m === "ismm");
  if (!ismm || series.length < 2) return null;
  const ranked = [...series].sort((a, b) => meanOf(a.v) - meanOf(b.v));
  const rank = ranked.indexOf(ismm) + 1;
  const other = rank === 1 ? ranked[1] : ranked[0];
  const diffs: number[] = [];
  let wins = 0;
  for (const [rep, v] of ismm.v) {
    const o = other.v.get(rep);
    if (o === undefined) continue;
    if (v < o) wins++;
    if (Number.isFinite(v) && Number.isFinite(o)) diffs.push(v - o);
  }
  const reps = [...ismm.v.keys()].filter((r) => other.v.has(r)).length;
  const d = stat(diffs);
  const se = d.n > 1 ? d.sd / Math.sqrt(d.n) : NaN;
  const noise = Number.isFinite(se) && Math.abs(d.mean) < 2 * se ? " — within two paired standard errors, i.e. not a clear difference" : "";
  const what = METRIC_NAME[metric];
  const ismmL = label("ismm", ismm.c);
  const otherL = label(other.m, other.c);
  const diffText = d.n > 0 ? `paired difference ISMM − ${other.m} = ${fmt(d.mean)}${Number.isFinite(se) ? ` ± ${fmt(se)} (standard error over ${d.n} reps)` : ""}${noise}` : "no paired finite values";
  const medians = `medians ${fmt(medianOf(ismm.v))} vs ${fmt(medianOf(other.v))}`;
  const text =
    rank === 1
      ? `**ISMM wins** on ${what}: ${ismmL} has the lowest mean (${fmt(meanOf(ismm.v))}) of ${series.length} streaming methods; runner-up ${otherL} (${fmt(meanOf(other.v))}; ${medians}). ISMM is lower in ${wins} of ${reps} reps; ${diffText}.`
      : `**ISMM loses** on ${what}: ${ismmL} ranks ${rank} of ${series.length} (mean ${fmt(meanOf(ismm.v))}); best is ${otherL} (${fmt(meanOf(other.v))}; ${medians}). ISMM is lower in ${wins} of ${reps} reps; ${diffText}.`;
  return { text, rank, of: series.length, best: rank === 1 ? ismmL : otherL, diff: d, wins, reps };
}

/** Selected config per method: tuning's choice, restricted to configs present in the rows. */
export function selectedConfigs(rows: readonly BenchRow[], rep: ScenarioReport): Map<string, string> {
  const out = new Map<string, string>();
  for (const [m, c] of Object.entries(rep.tuning.selected)) if (rows.some((r) => r.method === m && r.config === c)) out.set(m, c);
  return out;
}

function scenarioSection(rep: ScenarioReport, rows: readonly BenchRow[], plots: readonly string[]): { md: string[]; verdicts: string[][] } {
  const s = rep;
  const md: string[] = [];
  const selected = selectedConfigs(rows, rep);
  const synthetic = s.kind === "synthetic";
  md.push(`## ${s.name}`, "", s.description, "");
  md.push(
    `Repetitions: ${s.seeds.length} (seeds ${s.seeds.join(", ")}); stream length ${rep.streamLength} rows (${s.epochs} epoch${s.epochs === 1 ? "" : "s"}); start: ${rep.startKind}; tuning seed${rep.tuning.seeds.length > 1 ? "s" : ""} ${rep.tuning.seeds.join(", ")}. ` +
      `Excess NLL is relative to ${synthetic ? "the true parameters' test NLL" : "batch EM's test NLL on the same split (negative = better than batch EM)"}.`,
    "",
  );
  const header = synthetic
    ? ["method", "config", "selected", "excess NLL", "test NLL", "test MSE", "param error", "time (s)", "diverged"]
    : ["method", "config", "selected", "excess NLL", "test NLL", "test MSE", "time (s)", "diverged"];
  md.push(`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`);
  const order = ["ismm", "sgd", "rmsprop", "adam", "sophia", "em"];
  const combos = [...new Set(rows.map((r) => `${r.method}\u0000${r.config}`))]
    .map((k) => k.split("\u0000") as [string, string])
    .sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0]) || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  for (const [m, c] of combos) {
    const f = [...finals(rows.filter((r) => r.method === m && r.config === c)).values()];
    const val = (k: Metric): number[] => f.map((r) => r[k]).filter((v): v is number => v !== null && Number.isFinite(v));
    const diverged = f.filter((r) => r.test_nll === null || !Number.isFinite(r.test_nll)).length;
    const cells = [
      m === "em" ? "batch EM" : m, c, selected.get(m) === c ? "✓" : "",
      pm(stat(val("excess_nll"))), pmNll(stat(val("test_nll"))), pm(stat(val("test_mse"))),
      ...(synthetic ? [pm(stat(val("param_error")))] : []),
      fmt(stat(f.map((r) => r.seconds)).mean), `${diverged}/${f.length}`,
    ];
    md.push(`| ${cells.join(" | ")} |`);
  }
  md.push("", "Cells: mean ± sd over repetitions of the value at the end of the stream (diverged repetitions excluded from the mean and counted in the last column). Time: the method's own learning seconds over the whole stream (shared initialization and evaluation excluded).", "");
  const verdicts: string[][] = [];
  const lines: string[] = [];
  const metrics: Metric[] = synthetic ? ["excess_nll", "param_error"] : ["excess_nll", "test_mse"];
  for (const metric of metrics) {
    const c = compare(rows, selected, metric);
    if (c === null) continue;
    lines.push(`- ${c.text}`);
    // Hindsight: the ISMM configuration that did best on the TEST rows, if it is not the selected one.
    const sel = selected.get("ismm");
    if (sel !== undefined) {
      const alts = [...new Set(rows.filter((r) => r.method === "ismm").map((r) => r.config))]
        .map((cfg) => ({ cfg, mean: meanOf(finalValues(rows.filter((r) => r.method === "ismm" && r.config === cfg), metric)) }))
        .filter((a) => Number.isFinite(a.mean))
        .sort((a, b) => a.mean - b.mean);
      const selMean = meanOf(finalValues(rows.filter((r) => r.method === "ismm" && r.config === sel), metric));
      if (alts.length > 0 && alts[0].cfg !== sel && alts[0].mean < selMean) {
        const alt = compare(rows, new Map([...selected, ["ismm", alts[0].cfg]]), metric);
        if (alt !== null) lines.push(`  - Hindsight, not a fair comparison (configuration picked on the test rows): ISMM ${alts[0].cfg} has mean ${fmt(alts[0].mean)} and would rank ${alt.rank} of ${alt.of}.`);
      }
    }
    const se = c.diff.n > 1 ? c.diff.sd / Math.sqrt(c.diff.n) : NaN;
    verdicts.push([s.name, METRIC_NAME[metric].replace("final ", ""), `${c.rank} of ${c.of}`, c.best, c.diff.n > 0 ? `${fmt(c.diff.mean)}${Number.isFinite(se) ? ` ± ${fmt(se)}` : ""}` : "–", `${c.wins}/${c.reps}`]);
  }
  // ISMM versus batch EM and time
  const ismmC = selected.get("ismm");
  if (ismmC !== undefined && selected.has("em")) {
    const iv = finalValues(rows.filter((r) => r.method === "ismm" && r.config === ismmC), "excess_nll");
    const ev = finalValues(rows.filter((r) => r.method === "em"), "excess_nll");
    if (iv.size > 0 && ev.size > 0) {
      const gap = meanOf(iv) - meanOf(ev);
      lines.push(`- Against the batch reference: ISMM's mean final excess NLL is ${fmt(gap)} nats/obs ${gap >= 0 ? "above" : "below"} batch EM's (${fmt(meanOf(ev))}).`);
    }
  }
  const times = [...selected]
    .map(([m, c]) => ({ m, c, t: stat([...finals(rows.filter((r) => r.method === m && r.config === c)).values()].map((r) => r.seconds)).mean }))
    .filter((x) => Number.isFinite(x.t));
  if (times.length > 0) lines.push(`- Mean learning time (s): ${times.map((x) => `${x.m === "em" ? "batch EM" : x.m} ${fmt(x.t)}`).join(", ")}.`);
  const edges = [...selected].filter(([m, c]) => atGridEdge(rep, m, c));
  if (edges.length > 0) lines.push(`- Selected at the edge of its tuning grid (a wider grid might do better): ${edges.map(([m, c]) => `${m} (${c})`).join(", ")}.`);
  md.push("**Findings (generated from the numbers above; selected configurations only):**", "", ...lines, "");
  // tuning table
  if (rep.tuning.rows.length > 0) {
    md.push(`<details><summary>Tuning (validation NLL at the end of the stream, mean over tuning seed${rep.tuning.seeds.length > 1 ? "s" : ""} ${rep.tuning.seeds.join(", ")})</summary>`, "");
    md.push("| method | config | validation NLL | selected |", "|---|---|---|---|");
    for (const t of rep.tuning.rows) {
      md.push(`| ${t.method} | ${t.config} | ${t.diverged ? "diverged" : t.validationNll.toFixed(5)} | ${rep.tuning.selected[t.method] === t.config ? "✓" : ""} |`);
    }
    md.push("", "</details>", "");
  }
  if (Object.keys(rep.notes).length > 0) {
    md.push("<details><summary>Per-repetition notes</summary>", "");
    for (const [seed, note] of Object.entries(rep.notes)) md.push(`- seed ${seed}: ${note}`);
    md.push("", "</details>", "");
  }
  if (plots.length > 0) {
    md.push(...plots.map((p) => `![${p}](plots/${p}.png)`), "");
  }
  return { md, verdicts };
}

/** The whole summary.md. */
export function renderSummary(meta: RunMeta, reports: readonly ScenarioReport[], rows: readonly BenchRow[], plotNames: readonly string[], extraNotes: readonly string[] = []): string {
  const out: string[] = [];
  out.push(
    "# ISMM reproduction benchmark",
    "",
    "Softmax-gated Gaussian MoE regression fitted one row at a time by ISMM, SGD, RMSProp, Adam and Sophia-G (batch size 1), with batch EM as the reference optimum. " +
      "The paper's numbers are not available; these are our own measurements, reported whichever way they fall. Protocol and every choice: bench/README.md.",
    "",
    "Every configuration is chosen on validation data (a separate tuning seed or split), never on the test rows: the learning rate of each gradient method and ISMM's (α, γ0). Only the chosen learning rate is run on the repetitions; all four ISMM (α, γ0) configurations are run and listed, and the tables mark the chosen one (✓). The charts show the chosen configuration of every method (the runner hands only those rows to the plotting step, so the charts' own \"lowest final mean\" rule has a single candidate to pick).",
    "",
    `- Command: \`${meta.command}\` (profile: ${meta.profile})`,
    `- Date: ${meta.date}; git: ${meta.gitSha}`,
    `- Machine: ${meta.cpu}, ${meta.cores} cores, ${meta.os}; Node ${meta.node}`,
    `- Load average at start / end (1, 5, 15 min): ${meta.loadStart.map((v) => v.toFixed(2)).join(", ")} / ${meta.loadEnd.map((v) => v.toFixed(2)).join(", ")} — the machine is shared, so wall times are indicative only.`,
    `- Total wall time: ${fmt(meta.wallSeconds)} s`,
    "",
  );
  const sections: string[] = [];
  const verdicts: string[][] = [];
  for (const rep of reports) {
    const sRows = rows.filter((r) => r.scenario === rep.name);
    const safe = rep.name.replace(/[^A-Za-z0-9._-]+/g, "_");
    const plots = plotNames.filter((p) => p.startsWith(`${safe}-`));
    const { md, verdicts: v } = scenarioSection(rep, sRows, plots);
    sections.push(...md);
    verdicts.push(...v);
  }
  if (verdicts.length > 0) {
    out.push(
      "## Overview: where ISMM wins and loses",
      "",
      "Selected configurations (tuned on validation data), streaming methods only (batch EM excluded). ISMM − best other: paired mean difference of the final values ± its standard error (negative = ISMM better); wins = repetitions where ISMM's final value is lower.",
      "",
      "| scenario | metric | ISMM rank | best method | ISMM − best other | ISMM wins |",
      "|---|---|---|---|---|---|",
      ...verdicts.map((v) => `| ${v.join(" | ")} |`),
      "",
    );
  }
  if (extraNotes.length > 0) out.push(...extraNotes, "");
  out.push(...sections);
  return out.join("\n") + "\n";
}
