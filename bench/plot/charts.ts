/**
 * Chart builders for the benchmark plots (Vega-Lite specs) and the 1-D
 * fitted-model example. Pure data -> spec functions, plus thin `plot*` helpers
 * that render through ./render.ts.
 *
 * Conventions shared by every chart:
 *  - Method colours are fixed (Okabe–Ito colour-blind-safe palette) in the
 *    domain order ismm, em, adam, rmsprop, sgd, sophia, so a method has the same
 *    colour in every chart whichever subset of methods is present.
 *  - Curves: line = mean over repetitions at each checkpoint, shaded band =
 *    min–max over repetitions (stated in each subtitle).
 *  - Per scenario, ONE config per method is chosen (lowest final mean of the
 *    scenario's primary metric: excess NLL, else test NLL, else test MSE, else
 *    parameter error) and used in all that scenario's charts; the legend reads
 *    e.g. "adam (lr=3e-3)".
 *  - Batch EM (one point per rep) is a dashed horizontal rule at the mean over
 *    reps of its final value, with a diamond at its cost (samples = epochs × n,
 *    or fit seconds) and labelled "batch EM".
 */
import path from "node:path";
import type * as vl from "vega-lite";
import type { Scale } from "vega-lite/types_unstable/scale.js";
import type { Axis } from "vega-lite/types_unstable/axis.js";
import type { PositionFieldDef } from "vega-lite/types_unstable/channeldef.js";
import type { LayerSpec } from "vega-lite/types_unstable/spec/layer.js";
import type { BenchRow, MetricColumn } from "./csv.js";
import { renderVegaLite, type RenderResult } from "./render.js";

// ---------------------------------------------------------------------------
// Colours and labels
// ---------------------------------------------------------------------------

/** Fixed method order (legend order and colour assignment). */
export const METHOD_ORDER = ["ismm", "em", "adam", "rmsprop", "sgd", "sophia"] as const;

/** Okabe–Ito palette (colour-blind safe); yellow omitted (poor contrast on white). */
export const METHOD_COLORS: Readonly<Record<(typeof METHOD_ORDER)[number], string>> = {
  ismm: "#0072B2", // blue
  em: "#000000", // black (reference rule)
  adam: "#D55E00", // vermillion
  rmsprop: "#009E73", // bluish green
  sgd: "#E69F00", // orange
  sophia: "#CC79A7", // reddish purple
};

const EXTRA_COLORS = ["#56B4E9", "#7F7F7F", "#8C564B", "#BCBD22", "#17BECF", "#9467BD"];

/** Label used for batch EM everywhere. */
export const EM_LABEL = "batch EM";

function isKnownMethod(m: string): m is (typeof METHOD_ORDER)[number] {
  return (METHOD_ORDER as readonly string[]).includes(m);
}

/** Sort methods: known ones in METHOD_ORDER, then unknown ones alphabetically. */
export function sortMethods(methods: Iterable<string>): string[] {
  const uniq = [...new Set(methods)];
  const known = METHOD_ORDER.filter((m) => uniq.includes(m)) as string[];
  const unknown = uniq.filter((m) => !isKnownMethod(m)).sort();
  return [...known, ...unknown];
}

/** Colour of a method; unknown methods get extra colours in order of `allUnknown`. */
export function methodColor(method: string, allUnknown: readonly string[] = []): string {
  if (isKnownMethod(method)) return METHOD_COLORS[method];
  const i = Math.max(0, allUnknown.indexOf(method));
  return EXTRA_COLORS[i % EXTRA_COLORS.length];
}

function isTrivialConfig(config: string): boolean {
  const c = config.trim().toLowerCase();
  return c === "" || c === "-" || c === "default" || c === "none" || c === "na";
}

/** Legend label: "adam (lr=3e-3)", "ismm", or "batch EM". */
export function methodLabel(method: string, config: string): string {
  if (method === "em") return EM_LABEL;
  return isTrivialConfig(config) ? method : `${method} (${config})`;
}

// ---------------------------------------------------------------------------
// Aggregation
// ---------------------------------------------------------------------------

const METRIC_INFO: Record<MetricColumn, { title: string; unit: string; short: string }> = {
  excess_nll: { title: "excess test NLL", unit: "nats/obs", short: "excess NLL" },
  test_nll: { title: "test NLL", unit: "nats/obs", short: "test NLL" },
  param_error: { title: "parameter error", unit: "distance to truth", short: "parameter error" },
  test_mse: { title: "test MSE", unit: "squared response units", short: "test MSE" },
};

function hasMetric(rows: readonly BenchRow[], metric: MetricColumn): boolean {
  return rows.some((r) => r[metric] !== null);
}

/** The metric used to pick a config per method in a scenario. */
export function primaryMetric(rows: readonly BenchRow[]): MetricColumn | null {
  for (const m of ["excess_nll", "test_nll", "test_mse", "param_error"] as const) if (hasMetric(rows, m)) return m;
  return null;
}

function groupBy<T, K>(xs: readonly T[], key: (x: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const x of xs) {
    const k = key(x);
    const g = out.get(k);
    if (g) g.push(x);
    else out.set(k, [x]);
  }
  return out;
}

/** Final value of `metric` for one rep's rows: the non-null value at the largest `samples`; NaN → +Infinity. */
function finalValue(repRows: readonly BenchRow[], metric: MetricColumn): number | null {
  let best: BenchRow | null = null;
  for (const r of repRows) {
    if (r[metric] === null) continue;
    if (best === null || r.samples > best.samples || (r.samples === best.samples && r.seconds > best.seconds)) best = r;
  }
  if (best === null) return null;
  const v = best[metric] as number;
  return Number.isFinite(v) ? v : Infinity;
}

/** Mean over reps of each rep's final metric value (Infinity if any rep diverged; null if no data). */
export function finalMean(rows: readonly BenchRow[], metric: MetricColumn): number | null {
  const finals: number[] = [];
  for (const repRows of groupBy(rows, (r) => r.rep).values()) {
    const v = finalValue(repRows, metric);
    if (v !== null) finals.push(v);
  }
  if (finals.length === 0) return null;
  return finals.reduce((a, b) => a + b, 0) / finals.length;
}

/**
 * For each method, the config with the lowest final mean `metric`
 * (ties and all-missing resolved by config name, so the choice is deterministic).
 */
export function selectBestConfigs(rows: readonly BenchRow[], metric: MetricColumn): Map<string, string> {
  const out = new Map<string, string>();
  for (const [method, mRows] of groupBy(rows, (r) => r.method)) {
    const byConfig = [...groupBy(mRows, (r) => r.config)].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    let bestConfig = byConfig[0][0];
    let bestVal = Infinity;
    for (const [config, cRows] of byConfig) {
      const v = finalMean(cRows, metric);
      if (v !== null && v < bestVal) {
        bestVal = v;
        bestConfig = config;
      }
    }
    out.set(method, bestConfig);
  }
  return out;
}

/** One aggregated checkpoint of a method's curve. */
export interface CurvePoint {
  method: string;
  label: string;
  /** rows processed at this checkpoint */
  samples: number;
  /** mean wall time over reps at this checkpoint, s */
  seconds: number;
  mean: number;
  lo: number;
  hi: number;
  /** number of reps with a finite value here */
  n: number;
}

export interface AggregateResult {
  points: CurvePoint[];
  /** non-finite metric values that were left out */
  nonFinite: number;
  reps: number;
}

/** Mean/min/max across reps at each `samples` checkpoint (rows must already be one method+config). */
export function aggregateCurve(rows: readonly BenchRow[], metric: MetricColumn, label: string): AggregateResult {
  let nonFinite = 0;
  const points: CurvePoint[] = [];
  const reps = new Set(rows.map((r) => r.rep)).size;
  const bySamples = [...groupBy(rows, (r) => r.samples)].sort((a, b) => a[0] - b[0]);
  for (const [samples, group] of bySamples) {
    const vals: number[] = [];
    const secs: number[] = [];
    for (const r of group) {
      const v = r[metric];
      if (v === null) continue;
      if (!Number.isFinite(v)) {
        nonFinite++;
        continue;
      }
      vals.push(v);
      if (Number.isFinite(r.seconds)) secs.push(r.seconds);
    }
    if (vals.length === 0) continue;
    points.push({
      method: group[0].method,
      label,
      samples,
      seconds: secs.length > 0 ? secs.reduce((a, b) => a + b, 0) / secs.length : NaN,
      mean: vals.reduce((a, b) => a + b, 0) / vals.length,
      lo: Math.min(...vals),
      hi: Math.max(...vals),
      n: vals.length,
    });
  }
  return { points, nonFinite, reps };
}

// ---------------------------------------------------------------------------
// Benchmark curve charts
// ---------------------------------------------------------------------------

export const CHART_KINDS = ["nll-vs-samples", "nll-vs-seconds", "param-error-vs-samples", "mse-vs-samples"] as const;
export type ChartKind = (typeof CHART_KINDS)[number];

export interface NamedChart {
  /** file base name: `<scenario>-<kind>` */
  name: string;
  scenario: string;
  kind: ChartKind;
  spec: vl.TopLevelSpec;
}

/** Width/height of the plotting area of curve charts, px. */
export const CHART_WIDTH = 600;
export const CHART_HEIGHT = 360;

function fmtNum(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return v.toLocaleString("en-US");
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return Number(v.toPrecision(3)).toString();
}

/** Last (largest-x) mean of each series. */
function seriesFinals(points: readonly CurvePoint[]): number[] {
  const last = new Map<string, CurvePoint>();
  for (const p of points) {
    const q = last.get(p.label);
    if (q === undefined || p.samples > q.samples) last.set(p.label, p);
  }
  return [...last.values()].map((p) => p.mean);
}

/**
 * Symlog constant: a power of ten at the scale of the final values (median of
 * their non-zero magnitudes), so the region where methods are compared is resolved.
 */
export function symlogConstant(finals: readonly number[], all: readonly number[]): number {
  let mags = finals.map(Math.abs).filter((v) => v > 0 && Number.isFinite(v));
  if (mags.length === 0) mags = all.map(Math.abs).filter((v) => v > 0 && Number.isFinite(v));
  if (mags.length === 0) return 1;
  mags.sort((a, b) => a - b);
  const med = mags[Math.floor(mags.length / 2)];
  return Math.pow(10, Math.floor(Math.log10(med)));
}

/**
 * Log-axis layout for data in [min, max] (> 0): a domain snapped outwards to a
 * fine 1-2-3…-9 grid (little wasted space) and tick values from {1,2,5}·10^k,
 * thinned for wide ranges and denser for narrow ones (at most ~8 labels).
 */
export function logAxis(min: number, max: number): { domain: [number, number]; ticks: number[] } {
  const decades = Math.log10(max / min);
  const FINE = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9];
  const grid = (m: readonly number[]): number[] => {
    const out: number[] = [];
    for (let k = Math.floor(Math.log10(min)) - 1; k <= Math.ceil(Math.log10(max)) + 1; k++) {
      for (const f of m) out.push(Number((f * Math.pow(10, k)).toPrecision(6)));
    }
    return out;
  };
  const eps = 1e-9;
  let lo: number;
  let hi: number;
  if (!(decades >= 0.05)) {
    // (nearly) constant data: a ±10% window
    lo = min / 1.1;
    hi = max * 1.1;
  } else {
    const dg = grid(decades > 6 ? [1, 3] : decades > 3 ? [1, 2, 5] : decades > 1 ? [1, 1.5, 2, 3, 4, 5, 6, 7, 8, 9] : FINE);
    lo = Math.max(...dg.filter((v) => v <= min * (1 + eps)));
    hi = Math.min(...dg.filter((v) => v >= max * (1 - eps)));
  }
  const inside = (m: readonly number[]): number[] => grid(m).filter((v) => v >= lo * (1 - eps) && v <= hi * (1 + eps));
  const span = Math.log10(hi / lo);
  let ticks = inside(span > 6 ? [1] : span > 3 ? [1, 3] : span > 1 ? [1, 2, 5] : FINE);
  if (ticks.length < 3) ticks = inside(FINE);
  if (ticks.length > 8) {
    const step = Math.ceil(ticks.length / 8);
    ticks = ticks.filter((_, i) => i % step === 0);
  }
  return { domain: [lo, hi], ticks };
}

/** Tick values for a symlog axis: 0 and ±{1,2,5}·10^k from c up to the data range. */
export function symlogTicks(min: number, max: number, c: number): number[] {
  const maxAbs = Math.max(Math.abs(min), Math.abs(max));
  const decades = Math.max(1, Math.ceil(Math.log10(maxAbs / c)));
  const mult = decades <= 2 ? [1, 2, 5] : decades <= 4 ? [1, 3] : [1];
  const mags: number[] = [];
  for (let k = 0; k <= decades; k++) for (const m of mult) mags.push(Number((m * c * Math.pow(10, k)).toPrecision(6)));
  const ticks = new Set<number>();
  if (min <= 0 && max >= 0) ticks.add(0);
  for (const v of mags) {
    if (v >= min && v <= max) ticks.add(v);
    if (-v >= min && -v <= max) ticks.add(-v);
  }
  // include the first tick beyond each end so the extreme values are labelled
  const up = mags.find((v) => v > max);
  if (max > 0 && up !== undefined) ticks.add(up);
  const down = mags.find((v) => -v < min);
  if (min < 0 && down !== undefined) ticks.add(-down);
  return [...ticks].sort((a, b) => a - b);
}

interface CurveChartOptions {
  scenario: string;
  kind: ChartKind;
  metric: MetricColumn;
  x: "samples" | "seconds";
  /** method -> chosen config (from selectBestConfigs on the scenario's primary metric) */
  configs: Map<string, string>;
  selectionMetric: MetricColumn;
}

/**
 * Build one curve chart for one scenario. `rows` must be that scenario's rows.
 * Returns null when there is nothing to draw for this metric.
 */
export function buildCurveChart(rows: readonly BenchRow[], opts: CurveChartOptions): vl.TopLevelSpec | null {
  const { metric, x: xKey } = opts;
  const methods = sortMethods(rows.map((r) => r.method));
  const unknown = methods.filter((m) => !isKnownMethod(m));
  const xOk = (v: number): boolean => Number.isFinite(v) && v > 0;

  // ---- streaming methods
  const curves: CurvePoint[] = [];
  const present = new Map<string, { label: string; color: string }>();
  let nonFinite = 0;
  let droppedX = 0;
  let maxReps = 0;
  for (const method of methods) {
    if (method === "em") continue;
    const config = opts.configs.get(method) ?? "";
    const mRows = rows.filter((r) => r.method === method && r.config === config);
    const label = methodLabel(method, config);
    const agg = aggregateCurve(mRows, metric, label);
    nonFinite += agg.nonFinite;
    const pts = agg.points.filter((p) => {
      const ok = xOk(p[xKey]);
      // a samples = 0 starting point cannot sit on a log axis; that is expected, not worth a note
      if (!ok && !(p[xKey] === 0)) droppedX++;
      return ok;
    });
    if (pts.length === 0) continue;
    maxReps = Math.max(maxReps, agg.reps);
    curves.push(...pts);
    present.set(method, { label, color: methodColor(method, unknown) });
  }

  // ---- batch EM reference
  let em: { y: number; x: number | null; reps: number; lo: number; hi: number } | null = null;
  if (methods.includes("em")) {
    const config = opts.configs.get("em") ?? "";
    const emRows = rows.filter((r) => r.method === "em" && r.config === config);
    const finals: { v: number; x: number }[] = [];
    for (const repRows of groupBy(emRows, (r) => r.rep).values()) {
      const withVal = repRows.filter((r) => r[metric] !== null);
      if (withVal.length === 0) continue;
      const last = withVal.reduce((a, b) => (b.samples > a.samples ? b : a));
      const v = last[metric] as number;
      if (!Number.isFinite(v)) {
        nonFinite++;
        continue;
      }
      finals.push({ v, x: last[xKey] });
    }
    if (finals.length > 0) {
      const xs = finals.map((f) => f.x).filter(xOk);
      const vs = finals.map((f) => f.v);
      em = {
        y: vs.reduce((a, b) => a + b, 0) / vs.length,
        x: xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : null,
        reps: finals.length,
        lo: Math.min(...vs),
        hi: Math.max(...vs),
      };
    }
  }
  // legend entries in fixed method order (batch EM right after ismm)
  const labels: string[] = [];
  const colors: string[] = [];
  for (const method of methods) {
    const entry = method === "em" ? (em !== null ? { label: EM_LABEL, color: METHOD_COLORS.em } : undefined) : present.get(method);
    if (entry !== undefined) {
      labels.push(entry.label);
      colors.push(entry.color);
    }
  }
  if (curves.length === 0) return null; // batch EM alone is not a curve

  // ---- scales and titles
  const allY = [...curves.flatMap((p) => [p.mean, p.lo, p.hi]), ...(em ? [em.y] : [])];
  const logY = allY.every((v) => v > 0);
  const info = METRIC_INFO[metric];
  let yScale: Scale;
  let yTicks: number[] | undefined;
  let yTitle: string;
  let symlogNote: string | null = null;
  if (logY) {
    const ax = logAxis(Math.min(...allY), Math.max(...allY));
    yScale = { type: "log", nice: false, domain: ax.domain };
    yTicks = ax.ticks;
    yTitle = `${info.title} (${info.unit}, log scale)`;
  } else {
    // Values <= 0 (e.g. a method beating the reference on real data): a symmetric-log
    // scale keeps the small final differences visible next to large early values.
    const finals = [...seriesFinals(curves), ...(em ? [em.y] : [])];
    const c = symlogConstant(finals, allY);
    yScale = { type: "symlog", constant: c, zero: false, nice: false, padding: 8 };
    yTicks = symlogTicks(Math.min(...allY), Math.max(...allY), c);
    yTitle = `${info.title} (${info.unit}; symlog: values ≤ 0 occur)`;
    symlogNote = `Y axis: symmetric log scale, linear within ±${fmtNum(c)} and logarithmic beyond (some values ≤ 0).`;
  }
  const xTitle =
    xKey === "samples"
      ? "samples processed (log scale)"
      : "wall-clock time (s, log scale; mean over reps at each checkpoint)";
  const xScale: Scale = { type: "log", nice: false };
  const xAxis: Axis = { title: xTitle, format: xKey === "samples" ? "~s" : "~g", grid: true };
  const y = (field: string): PositionFieldDef<string> => ({
    field,
    type: "quantitative",
    scale: yScale,
    title: yTitle,
    axis: yTicks ? { format: "~g", grid: true, values: yTicks } : { format: "~g", grid: true },
  });
  const xEnc: PositionFieldDef<string> = { field: xKey, type: "quantitative", scale: xScale, axis: xAxis };

  const color = {
    field: "label",
    type: "nominal" as const,
    scale: { domain: labels, range: colors },
    legend: {
      title: null,
      orient: "bottom" as const,
      direction: "horizontal" as const,
      columns: Math.min(labels.length, 3),
      symbolType: "stroke",
      symbolSize: 400,
      symbolOpacity: 1,
      symbolStrokeWidth: 3,
      columnPadding: 24,
    },
  };

  const perSeries = new Map<string, number>();
  for (const p of curves) perSeries.set(p.label, (perSeries.get(p.label) ?? 0) + 1);
  const maxPointsPerSeries = Math.max(0, ...perSeries.values());

  const layers: LayerSpec<string>["layer"] = [];
  if (curves.length > 0) {
    layers.push({
      data: { values: curves },
      mark: { type: "area", opacity: 0.16, interpolate: "linear" },
      encoding: { x: xEnc, y: y("lo"), y2: { field: "hi" }, color },
    });
    layers.push({
      data: { values: curves },
      // markers only when checkpoints are sparse (otherwise they clutter the lines)
      mark: { type: "line", interpolate: "linear", point: maxPointsPerSeries <= 30 ? { filled: true, size: 22 } : false },
      encoding: {
        x: xEnc,
        y: y("mean"),
        color,
        strokeWidth: { condition: { test: "datum.method === 'ismm'", value: 3 }, value: 2 },
      },
    });
  }
  if (em !== null) {
    const emData = { values: [{ label: EM_LABEL, method: "em", mean: em.y, [xKey]: em.x }] };
    layers.push({
      data: emData,
      mark: { type: "rule", strokeDash: [7, 4], strokeWidth: 2 },
      encoding: { y: y("mean"), color },
    });
    layers.push({
      data: emData,
      mark: { type: "text", align: "left", baseline: "bottom", dx: 4, dy: -4, fontSize: 12, fontWeight: "bold" },
      encoding: {
        x: { value: 0 },
        y: y("mean"),
        text: { value: EM_LABEL },
        color: { value: METHOD_COLORS.em },
      },
    });
    if (em.x !== null) {
      layers.push({
        data: emData,
        mark: { type: "point", shape: "diamond", filled: true, size: 110, opacity: 1 },
        encoding: { x: xEnc, y: y("mean"), color },
      });
    }
  }

  // ---- subtitle
  const sub: string[] = [];
  if (curves.length > 0) {
    sub.push(`Lines: mean over ${maxReps} rep${maxReps === 1 ? "" : "s"} at each checkpoint; shaded bands: min–max across reps.`);
    sub.push(`Config shown per method: lowest final mean ${METRIC_INFO[opts.selectionMetric].short} (legend).`);
  }
  if (em !== null) {
    const emCost =
      em.x === null ? "" : xKey === "samples" ? `; diamond marks its cost (${fmtNum(em.x)} samples = epochs × n)` : `; diamond marks its fit time (${fmtNum(em.x)} s)`;
    sub.push(`Dashed: batch EM, mean final value over ${em.reps} rep${em.reps === 1 ? "" : "s"}${emCost}.`);
  }
  if (symlogNote !== null) sub.push(symlogNote);
  const notes: string[] = [];
  if (nonFinite > 0) notes.push(`${nonFinite} non-finite value${nonFinite === 1 ? "" : "s"} (diverged) omitted`);
  if (droppedX > 0) notes.push(`${droppedX} point${droppedX === 1 ? "" : "s"} with ${xKey} ≤ 0 omitted`);
  if (notes.length > 0) sub.push(`Note: ${notes.join("; ")}.`);

  const titleText =
    xKey === "samples" ? `${opts.scenario}: ${info.title} vs samples processed` : `${opts.scenario}: ${info.title} vs wall-clock time`;

  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: titleText, subtitle: sub },
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    layer: layers,
  };
}

/** All charts for all scenarios in `rows` (scenarios sorted by name). */
export function buildBenchmarkCharts(rows: readonly BenchRow[]): NamedChart[] {
  const out: NamedChart[] = [];
  const scenarios = [...new Set(rows.map((r) => r.scenario))].sort();
  for (const scenario of scenarios) {
    const sRows = rows.filter((r) => r.scenario === scenario);
    const selectionMetric = primaryMetric(sRows);
    if (selectionMetric === null) continue;
    const configs = selectBestConfigs(sRows, selectionMetric);
    const nllMetric: MetricColumn | null = hasMetric(sRows, "excess_nll")
      ? "excess_nll"
      : hasMetric(sRows, "test_nll")
        ? "test_nll"
        : null;
    const plan: { kind: ChartKind; metric: MetricColumn | null; x: "samples" | "seconds" }[] = [
      { kind: "nll-vs-samples", metric: nllMetric, x: "samples" },
      { kind: "nll-vs-seconds", metric: nllMetric, x: "seconds" },
      { kind: "param-error-vs-samples", metric: hasMetric(sRows, "param_error") ? "param_error" : null, x: "samples" },
      { kind: "mse-vs-samples", metric: hasMetric(sRows, "test_mse") ? "test_mse" : null, x: "samples" },
    ];
    for (const p of plan) {
      if (p.metric === null) continue;
      const spec = buildCurveChart(sRows, { scenario, kind: p.kind, metric: p.metric, x: p.x, configs, selectionMetric });
      if (spec !== null) out.push({ name: `${safeFileName(scenario)}-${p.kind}`, scenario, kind: p.kind, spec });
    }
  }
  return out;
}

/** Make a scenario name safe as a file name component. */
export function safeFileName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, "_");
}

export interface PlotOutput extends RenderResult {
  name: string;
}

/** Render every benchmark chart into `outDir` (`<scenario>-<chart>.svg/.png`). */
export async function plotBenchmark(rows: readonly BenchRow[], outDir: string): Promise<PlotOutput[]> {
  const out: PlotOutput[] = [];
  for (const c of buildBenchmarkCharts(rows)) {
    const r = await renderVegaLite(c.spec, path.join(outDir, c.name));
    out.push({ name: c.name, ...r });
  }
  return out;
}

// ---------------------------------------------------------------------------
// 1-D fitted model example
// ---------------------------------------------------------------------------

export interface Fitted1dData {
  x: number[];
  y: number[];
  grid: number[];
  /** K × grid expert means */
  experts: number[][];
  /** K × grid gate probabilities */
  gate: number[][];
  /** mixture mean E[y|x] on the grid */
  mean: number[];
  /** optional chart title */
  title?: string;
}

const EXPERT_COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7F7F7F", "#8C564B"];

function isNumArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((e) => typeof e === "number");
}

/** Validate (e.g. parsed JSON) input for the 1-D chart; throws a descriptive Error. */
export function validateFitted1d(d: unknown): Fitted1dData {
  if (d === null || typeof d !== "object") throw new Error("fitted-1d data must be an object");
  const o = d as Record<string, unknown>;
  for (const k of ["x", "y", "grid", "mean"]) if (!isNumArray(o[k])) throw new Error(`fitted-1d: '${k}' must be an array of numbers`);
  for (const k of ["experts", "gate"]) {
    const v = o[k];
    if (!Array.isArray(v) || v.length === 0 || !v.every(isNumArray)) throw new Error(`fitted-1d: '${k}' must be a non-empty array of number arrays (K × grid)`);
  }
  const data = o as unknown as Fitted1dData;
  if (data.x.length !== data.y.length) throw new Error(`fitted-1d: x has ${data.x.length} values but y has ${data.y.length}`);
  const G = data.grid.length;
  if (G < 2) throw new Error("fitted-1d: grid needs at least 2 points");
  if (data.mean.length !== G) throw new Error(`fitted-1d: mean has ${data.mean.length} values, grid has ${G}`);
  if (data.experts.length !== data.gate.length) throw new Error(`fitted-1d: experts has K=${data.experts.length} rows but gate has ${data.gate.length}`);
  data.experts.forEach((row, k) => {
    if (row.length !== G) throw new Error(`fitted-1d: experts[${k}] has ${row.length} values, grid has ${G}`);
  });
  data.gate.forEach((row, k) => {
    if (row.length !== G) throw new Error(`fitted-1d: gate[${k}] has ${row.length} values, grid has ${G}`);
  });
  if (o.title !== undefined && typeof o.title !== "string") throw new Error("fitted-1d: 'title' must be a string");
  return data;
}

/** Two-panel chart: data + expert means + mixture mean (top), gate probabilities (bottom). */
export function buildFitted1dSpec(input: Fitted1dData): vl.TopLevelSpec {
  const data = validateFitted1d(input);
  const K = data.experts.length;
  const expertNames = Array.from({ length: K }, (_, k) => `expert ${k + 1}`);
  const MIX = "mixture mean E[y | x]";
  const domain = [...expertNames, MIX];
  const range = [...expertNames.map((_, k) => EXPERT_COLORS[k % EXPERT_COLORS.length]), "#000000"];
  const points = data.x.map((x, i) => ({ x, y: data.y[i] })).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const expertLines = data.experts.flatMap((row, k) => row.map((v, g) => ({ x: data.grid[g], value: v, series: expertNames[k] })));
  const mixLine = data.mean.map((v, g) => ({ x: data.grid[g], value: v, series: MIX }));
  const gateLines = data.gate.flatMap((row, k) => row.map((p, g) => ({ x: data.grid[g], p, series: expertNames[k] })));

  const xs = [...data.grid, ...points.map((p) => p.x)];
  const xDomain = [Math.min(...xs), Math.max(...xs)];
  const color = {
    field: "series",
    type: "nominal" as const,
    scale: { domain, range },
    legend: { title: null, orient: "bottom" as const, direction: "horizontal" as const, symbolType: "stroke", symbolStrokeWidth: 3 },
  };
  const x = (title: string): PositionFieldDef<string> => ({
    field: "x",
    type: "quantitative",
    scale: { domain: xDomain, nice: false, zero: false },
    title,
  });

  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: data.title ?? "Fitted mixture of experts (1-D)",
      subtitle: [
        `Top: grey points = ${points.length} observations; coloured lines = the ${K} expert means; dashed black = mixture mean.`,
        "Bottom: softmax gate probabilities π_k(x) of each expert (they sum to 1 at every x).",
      ],
    },
    vconcat: [
      {
        width: CHART_WIDTH,
        height: 300,
        layer: [
          {
            data: { values: points },
            mark: { type: "circle", size: 16, opacity: 0.45, color: "#8a8a8a" },
            encoding: { x: x("x"), y: { field: "y", type: "quantitative", title: "y (response)", scale: { zero: false } } },
          },
          {
            data: { values: expertLines },
            mark: { type: "line", strokeWidth: 2.2 },
            encoding: { x: x("x"), y: { field: "value", type: "quantitative", title: "y (response)" }, color },
          },
          {
            data: { values: mixLine },
            mark: { type: "line", strokeWidth: 2.8, strokeDash: [7, 4] },
            encoding: { x: x("x"), y: { field: "value", type: "quantitative", title: "y (response)" }, color },
          },
        ],
      },
      {
        width: CHART_WIDTH,
        height: 150,
        data: { values: gateLines },
        mark: { type: "line", strokeWidth: 2.2 },
        encoding: {
          x: x("x (covariate)"),
          y: { field: "p", type: "quantitative", title: "gate probability", scale: { domain: [0, 1] }, axis: { values: [0, 0.25, 0.5, 0.75, 1], format: ".2~f" } },
          color,
        },
      },
    ],
    resolve: { scale: { color: "shared" }, legend: { color: "shared" } },
    spacing: 18,
  };
}

/** Render the 1-D fitted-model chart to `<outBase>.svg/.png`. */
export async function plotFitted1d(data: Fitted1dData, outBase: string): Promise<RenderResult> {
  return renderVegaLite(buildFitted1dSpec(data), outBase);
}
