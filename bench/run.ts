/**
 * Reproduction benchmark of ISMM against SGD, RMSProp, Adam, Sophia-G and batch EM (issue 5).
 *
 *   npx tsx bench/run.ts [--quick | --full] [--out <dir>] [--scenarios S1,crime] [--no-plots]
 *
 * Writes into <dir> (default bench/results/<profile>):
 *   results.csv   every measured point (scenario,method,config,rep,samples,seconds,test_nll,
 *                 excess_nll,param_error,test_mse), rewritten after every scenario
 *   results.ndjson the same rows, one JSON object per line (read by --summarize and bench/plot)
 *   tuning.csv    every tuning candidate's validation NLL
 *   summary.md    tables, generated findings, machine and command
 *   meta.json     run metadata
 *   report.json   per-scenario facts (tuning, notes) so that `--summarize <dir>` can rewrite summary.md
 *   fitted-1d.json + plots/S1-fitted-1d.svg/png   the 1-D fitted model of S1
 *   plots/*.svg, plots/*.png   charts from bench/plot (selected configurations only)
 * The plots can be regenerated from the rows: `npx tsx bench/plot/main.ts --in <dir>/results.ndjson --out <dir>/plots`
 * (that draws the configuration with the best final test value per method, which may differ from the
 * validation-selected one drawn here).
 */
import { execSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { formatCurveCsv, formatCurveNdjson, parseCurveNdjson, plotBenchmark, plotFitted1d, type CurveRow as BenchRow, type Fitted1dData, type MoeRegressor } from "../src/index.js";
import { logCheckpoints, parametersNll, runMethod, sharedStart, streamLength, streamOrder } from "./engine.js";
import { allScenarios, filterScenarios } from "./scenarios/index.js";
import type { Instance, Profile, Scenario } from "./scenarios/types.js";
import { renderSummary, scenarioReport, type RunMeta, type ScenarioReport } from "./summary.js";
import { tuneScenario } from "./tune.js";

export const USAGE = `usage: npx tsx bench/run.ts [--quick | --full] [--out <dir>] [--scenarios <list>] [--no-plots]

  --quick            small profile (2 repetitions, shorter streams; a few minutes)
  --full             full profile (default)
  --out <dir>        output directory (default bench/results/<profile>)
  --scenarios <list> comma-separated names or prefixes, e.g. S1,crime (default: all)
  --no-plots         skip the SVG/PNG charts
  --summarize <dir>  only rewrite <dir>/summary.md from an earlier run's results.ndjson, report.json, meta.json`;

export interface CliArgs {
  profile: Profile;
  out: string | undefined;
  scenarios: string | undefined;
  plots: boolean;
  /** Only rewrite <dir>/summary.md from an earlier run's files. */
  summarize?: string;
}

/** Parses argv (without node and script). Throws Error on bad usage; returns "help" for --help. */
export function parseArgs(argv: readonly string[]): CliArgs | "help" {
  const a: CliArgs = { profile: "full", out: undefined, scenarios: undefined, plots: true };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === "--help" || flag === "-h") return "help";
    else if (flag === "--quick") a.profile = "quick";
    else if (flag === "--full") a.profile = "full";
    else if (flag === "--out") a.out = value();
    else if (flag === "--scenarios") a.scenarios = value();
    else if (flag === "--no-plots") a.plots = false;
    else if (flag === "--summarize") a.summarize = value();
    else throw new Error(`unknown argument: ${flag}`);
  }
  return a;
}

export interface BenchOptions {
  readonly profile: Profile;
  readonly outDir: string;
  /** Scenarios to run (default: all of the profile, filtered by `filter`). */
  readonly scenarios?: readonly Scenario[];
  readonly filter?: string;
  readonly plots?: boolean;
  /** The command line printed in the summary. */
  readonly command?: string;
  readonly log?: (msg: string) => void;
}

export interface BenchResult {
  readonly rows: BenchRow[];
  readonly reports: ScenarioReport[];
  readonly files: string[];
  readonly wallSeconds: number;
}

function gitSha(): string {
  try {
    const sha = execSync("git rev-parse --short HEAD", { stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
    const dirty = execSync("git status --porcelain", { stdio: ["ignore", "pipe", "ignore"] }).toString().trim() !== "";
    return dirty ? `${sha} (with uncommitted changes)` : sha;
  } catch {
    return "unknown";
  }
}

/** Data for the 1-D fitted-model chart from a fitted S1 model. */
export function fitted1dData(model: MoeRegressor, inst: Instance, title: string, nPoints = 800): Fitted1dData {
  const train = inst.train;
  if (train.d !== 1) throw new Error("the 1-D fitted plot needs d = 1");
  const n = Math.min(nPoints, train.n);
  const x = Array.from(train.X.subarray(0, n));
  const y = Array.from(train.Y.subarray(0, n));
  const lo = Math.min(...x);
  const hi = Math.max(...x);
  const G = 201;
  const grid = Array.from({ length: G }, (_, g) => lo + ((hi - lo) * g) / (G - 1));
  const pred = model.predict(Float64Array.from(grid), G);
  const P = model.parameters();
  const K = P.beta.length;
  const experts = P.beta.map((bk) => grid.map((v) => bk[0][0] + bk[0][1] * v));
  const gate = Array.from({ length: K }, (_, k) => grid.map((_, g) => pred.gate[g * K + k]));
  return { x, y, grid, experts, gate, mean: Array.from(pred.mean), title };
}

/** Runs the benchmark and writes every output file. */
export async function runBenchmark(opts: BenchOptions): Promise<BenchResult> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const t0 = performance.now();
  const loadStart = os.loadavg();
  const scenarios = filterScenarios(opts.scenarios ?? allScenarios(opts.profile), opts.filter);
  const outDir = opts.outDir;
  const plotDir = path.join(outDir, "plots");
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  const write = (name: string, text: string): void => {
    const f = path.join(outDir, name);
    writeFileSync(f, text);
    if (!files.includes(f)) files.push(f);
  };
  const rows: BenchRow[] = [];
  const tuneRows: string[] = ["scenario,method,config,validation_nll,diverged,seconds"];
  const reports: ScenarioReport[] = [];
  let fitted: Fitted1dData | null = null;

  for (const s of scenarios) {
    const ts = performance.now();
    await s.load?.();
    log(`[${s.name}] tuning`);
    const tuning = tuneScenario(s, log);
    for (const t of tuning.rows) tuneRows.push([s.name, t.method, t.config, t.diverged ? "" : String(t.validationNll), String(t.diverged), t.seconds.toFixed(3)].join(","));
    const notes = new Map<number, string>();
    let total = 0;
    const initTimes: number[] = [];
    let perturbed = false;
    for (const [repIndex, seed] of s.seeds.entries()) {
      const inst = s.build(seed, "eval");
      if (inst.notes) notes.set(seed, inst.notes);
      const order = streamOrder(s, inst.train.n, seed);
      total = streamLength(s, inst.train);
      const checkpoints = logCheckpoints(s.initRows, total, s.checkpoints);
      const start = sharedStart(s, inst, order, seed);
      if (start.kind === "perturbed") perturbed = true;
      else initTimes.push(start.seconds);
      const truthNll = inst.truth ? parametersNll(inst.truth, inst.test) : null;
      const repRows: BenchRow[] = [];
      let emNll: number | null = null;
      // batch EM first: on real data its test NLL is the reference of the excess NLL
      const ordered = [...s.methods].sort((a, b) => (a.method === "em" ? -1 : 0) - (b.method === "em" ? -1 : 0));
      for (const m of ordered) {
        const chosen = tuning.selected.get(m.method);
        const configs = m.evalAll ? m.candidates : m.candidates.filter((c) => c.label === chosen);
        for (const config of configs) {
          const r = runMethod({ scenario: s, inst, seed, method: m.method, config, order, start, evalData: inst.test, checkpoints, truth: inst.truth });
          if (m.method === "em") emNll = r.points[r.points.length - 1].testNll;
          for (const p of r.points) {
            repRows.push({
              scenario: s.name, method: m.method, config: config.label, rep: seed, samples: p.samples, seconds: Number(p.seconds.toFixed(6)),
              test_nll: p.testNll, excess_nll: null, param_error: p.paramError, test_mse: p.testMse,
            });
          }
          const last = r.points[r.points.length - 1];
          log(`  ${s.name} rep ${seed} ${m.method} ${config.label}: test NLL ${last.testNll.toFixed(4)}${last.paramError !== null ? `, param error ${last.paramError.toFixed(3)}` : ""}, ${r.seconds.toFixed(2)} s${r.diverged ? " DIVERGED" : ""}`);
          if (s.fitted1d && repIndex === 0 && m.method === "ismm" && config.label === tuning.selected.get("ismm")) {
            fitted = fitted1dData(r.model, inst, `${s.name}: ISMM (${config.label}) after ${total} rows, rep ${seed}`);
          }
        }
      }
      const ref = truthNll ?? emNll;
      for (const r of repRows) {
        r.excess_nll = ref === null || r.test_nll === null ? null : r.test_nll - ref;
        rows.push(r);
      }
    }
    const startKind = perturbed
      ? `perturbed truth, shared by every method`
      : `the estimator's default initialization on the first ${s.initRows} rows, computed once per repetition and shared by every method (mean ${initTimes.length > 0 ? (initTimes.reduce((a, b) => a + b, 0) / initTimes.length).toFixed(2) : "?"} s; not included in the methods' times)`;
    reports.push(scenarioReport(s, tuning, notes, startKind, total));
    write("results.csv", formatCurveCsv(rows));
    write("results.ndjson", formatCurveNdjson(rows));
    log(`[${s.name}] done in ${((performance.now() - ts) / 1000).toFixed(1)} s`);
  }
  write("tuning.csv", tuneRows.join("\n") + "\n");

  // plots: the validation-selected configuration of every method
  const plotNames: string[] = [];
  if (opts.plots ?? true) {
    const selectedRows = rows.filter((r) => {
      const rep = reports.find((x) => x.name === r.scenario);
      return rep !== undefined && rep.tuning.selected[r.method] === r.config;
    });
    log("plotting");
    const out = await plotBenchmark(selectedRows, plotDir);
    for (const o of out) plotNames.push(o.name);
    if (fitted !== null) {
      await plotFitted1d(fitted, path.join(plotDir, "S1-fitted-1d"));
      plotNames.push("S1-fitted-1d");
    }
  }
  if (fitted !== null) write("fitted-1d.json", JSON.stringify(fitted) + "\n");

  const wallSeconds = (performance.now() - t0) / 1000;
  const meta: RunMeta = {
    command: opts.command ?? `npx tsx bench/run.ts ${opts.profile === "quick" ? "--quick " : ""}--out ${outDir}`,
    profile: opts.profile,
    date: new Date().toISOString(),
    gitSha: gitSha(),
    node: process.version,
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    os: `${os.platform()} ${os.release()}`,
    loadStart,
    loadEnd: os.loadavg(),
    wallSeconds,
  };
  write("report.json", JSON.stringify(reports, null, 1) + "\n");
  write("meta.json", JSON.stringify({ ...meta, scenarios: scenarios.map((s) => s.name), plots: plotNames }, null, 2) + "\n");
  write("summary.md", summaryText(meta, reports, rows, plotNames));
  log(`wrote ${outDir} in ${wallSeconds.toFixed(1)} s`);
  return { rows, reports, files, wallSeconds };
}

function summaryText(meta: RunMeta, reports: readonly ScenarioReport[], rows: readonly BenchRow[], plotNames: readonly string[]): string {
  const extra = [
    "Plots: ![S1 fitted](plots/S1-fitted-1d.png) shows the 1-D fit of S1 (first 800 training points, expert means, mixture mean, gate).",
  ].filter(() => plotNames.includes("S1-fitted-1d"));
  return renderSummary(meta, reports, rows, plotNames.filter((p) => p !== "S1-fitted-1d"), extra);
}

/**
 * Rewrites `<dir>/summary.md` from `results.ndjson`, `report.json` and `meta.json` of an earlier run
 * (no experiment is rerun; use after changing summary.ts).
 */
export function resummarize(dir: string): string {
  const rows = parseCurveNdjson(readFileSync(path.join(dir, "results.ndjson"), "utf8"));
  const reports = JSON.parse(readFileSync(path.join(dir, "report.json"), "utf8")) as ScenarioReport[];
  const meta = JSON.parse(readFileSync(path.join(dir, "meta.json"), "utf8")) as RunMeta & { plots?: string[] };
  const file = path.join(dir, "summary.md");
  writeFileSync(file, summaryText(meta, reports, rows, meta.plots ?? []));
  return file;
}

async function main(argv: readonly string[]): Promise<number> {
  let args: CliArgs | "help";
  try {
    args = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (args.summarize !== undefined) {
    process.stderr.write(`wrote ${resummarize(args.summarize)}\n`);
    return 0;
  }
  const outDir = args.out ?? path.join("bench", "results", args.profile);
  const command = ["npx tsx bench/run.ts", ...argv].join(" ");
  await runBenchmark({ profile: args.profile, outDir, filter: args.scenarios, plots: args.plots, command });
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
