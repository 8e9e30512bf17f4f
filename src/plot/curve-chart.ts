/**
 * One learning-curve chart of one scenario: per method, the mean over reps at each checkpoint (line)
 * and the min–max band; batch EM (one point per rep) as a dashed rule at its mean final value with a
 * diamond at its cost. The y axis is logarithmic when every value is positive, else symmetric-log.
 */
import type * as vl from "vega-lite";
import type { Scale } from "vega-lite/types_unstable/scale.js";
import type { PositionFieldDef } from "vega-lite/types_unstable/channeldef.js";
import type { LayerSpec } from "vega-lite/types_unstable/spec/layer.js";
import { logAxis, symlogConstant, symlogTicks } from "./axes.js";
import { aggregateCurve, groupBy, METRIC_INFO, type CurvePoint, type CurveRow, type MetricColumn } from "./curves.js";
import { chartNum, EM_LABEL, isKnownMethod, METHOD_COLORS, methodColor, methodLabel, sortMethods, VEGA_LITE_SCHEMA } from "./style.js";

/** Width/height of the plotting area of curve charts, px. */
export const CHART_WIDTH = 600;
export const CHART_HEIGHT = 360;

export interface CurveChartOptions {
  scenario: string;
  metric: MetricColumn;
  x: "samples" | "seconds";
  /** method → chosen config (from selectBestConfigs on the scenario's primary metric) */
  configs: Map<string, string>;
  selectionMetric: MetricColumn;
}

interface Series {
  curves: CurvePoint[];
  present: Map<string, { label: string; color: string }>;
  nonFinite: number;
  droppedX: number;
  maxReps: number;
}

interface EmReference {
  y: number;
  x: number | null;
  reps: number;
  nonFinite: number;
}

const xOk = (v: number): boolean => Number.isFinite(v) && v > 0;

/** The streaming methods' aggregated curves (points with x ≤ 0 cannot sit on the log x axis). */
function streamingSeries(rows: readonly CurveRow[], methods: readonly string[], opts: CurveChartOptions): Series {
  const unknown = methods.filter((m) => !isKnownMethod(m));
  const s: Series = { curves: [], present: new Map(), nonFinite: 0, droppedX: 0, maxReps: 0 };
  for (const method of methods) {
    if (method === "em") continue;
    const config = opts.configs.get(method) ?? "";
    const label = methodLabel(method, config);
    const agg = aggregateCurve(rows.filter((r) => r.method === method && r.config === config), opts.metric, label);
    s.nonFinite += agg.nonFinite;
    const pts = agg.points.filter((p) => {
      const ok = xOk(p[opts.x]);
      if (!ok && p[opts.x] !== 0) s.droppedX++; // a samples = 0 start is expected, not worth a note
      return ok;
    });
    if (pts.length === 0) continue;
    s.maxReps = Math.max(s.maxReps, agg.reps);
    s.curves.push(...pts);
    s.present.set(method, { label, color: methodColor(method, unknown) });
  }
  return s;
}

/** Batch EM's mean final value over reps and its mean cost, or null. */
function emReference(rows: readonly CurveRow[], opts: CurveChartOptions): EmReference | null {
  const config = opts.configs.get("em") ?? "";
  const finals: { v: number; x: number }[] = [];
  let nonFinite = 0;
  for (const repRows of groupBy(rows.filter((r) => r.method === "em" && r.config === config), (r) => r.rep).values()) {
    const withVal = repRows.filter((r) => r[opts.metric] !== null);
    if (withVal.length === 0) continue;
    const last = withVal.reduce((a, b) => (b.samples > a.samples ? b : a));
    const v = last[opts.metric] as number;
    if (!Number.isFinite(v)) nonFinite++;
    else finals.push({ v, x: last[opts.x] });
  }
  if (finals.length === 0) return nonFinite > 0 ? { y: NaN, x: null, reps: 0, nonFinite } : null;
  const xs = finals.map((f) => f.x).filter(xOk);
  return {
    y: finals.reduce((a, f) => a + f.v, 0) / finals.length,
    x: xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : null,
    reps: finals.length,
    nonFinite,
  };
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

/** Log y axis for positive data, else a symmetric-log one resolving the final values. */
function yAxisFor(curves: readonly CurvePoint[], em: EmReference | null, metric: MetricColumn): { scale: Scale; ticks: number[]; title: string; note: string | null } {
  const allY = [...curves.flatMap((p) => [p.mean, p.lo, p.hi]), ...(em ? [em.y] : [])];
  const info = METRIC_INFO[metric];
  if (allY.every((v) => v > 0)) {
    const ax = logAxis(Math.min(...allY), Math.max(...allY));
    return { scale: { type: "log", nice: false, domain: ax.domain }, ticks: ax.ticks, title: `${info.title} (${info.unit}, log scale)`, note: null };
  }
  const c = symlogConstant([...seriesFinals(curves), ...(em ? [em.y] : [])], allY);
  return {
    scale: { type: "symlog", constant: c, zero: false, nice: false, padding: 8 },
    ticks: symlogTicks(Math.min(...allY), Math.max(...allY), c),
    title: `${info.title} (${info.unit}; symlog: values ≤ 0 occur)`,
    note: `Y axis: symmetric log scale, linear within ±${chartNum(c)} and logarithmic beyond (some values ≤ 0).`,
  };
}

/** Builds one curve chart from one scenario's rows; null when there is no curve to draw. */
export function buildCurveChart(rows: readonly CurveRow[], opts: CurveChartOptions): vl.TopLevelSpec | null {
  const xKey = opts.x;
  const methods = sortMethods(rows.map((r) => r.method));
  const series = streamingSeries(rows, methods, opts);
  const emRaw = methods.includes("em") ? emReference(rows, opts) : null;
  const em = emRaw !== null && emRaw.reps > 0 ? emRaw : null;
  if (series.curves.length === 0) return null; // batch EM alone is not a curve
  const labels: string[] = [];
  const colors: string[] = [];
  for (const method of methods) {
    const entry = method === "em" ? (em !== null ? { label: EM_LABEL, color: METHOD_COLORS.em } : undefined) : series.present.get(method);
    if (entry !== undefined) {
      labels.push(entry.label);
      colors.push(entry.color);
    }
  }
  const yAx = yAxisFor(series.curves, em, opts.metric);
  const y = (field: string): PositionFieldDef<string> => ({
    field, type: "quantitative", scale: yAx.scale, title: yAx.title, axis: { format: "~g", grid: true, values: yAx.ticks },
  });
  const xEnc: PositionFieldDef<string> = {
    field: xKey, type: "quantitative", scale: { type: "log", nice: false },
    axis: { title: xKey === "samples" ? "samples processed (log scale)" : "wall-clock time (s, log scale; mean over reps at each checkpoint)", format: xKey === "samples" ? "~s" : "~g", grid: true },
  };
  const color = {
    field: "label", type: "nominal" as const, scale: { domain: labels, range: colors },
    legend: {
      title: null, orient: "bottom" as const, direction: "horizontal" as const, columns: Math.min(labels.length, 3),
      symbolType: "stroke", symbolSize: 400, symbolOpacity: 1, symbolStrokeWidth: 3, columnPadding: 24,
    },
  };
  const perSeries = new Map<string, number>();
  for (const p of series.curves) perSeries.set(p.label, (perSeries.get(p.label) ?? 0) + 1);
  const sparse = Math.max(0, ...perSeries.values()) <= 30; // markers only when checkpoints are sparse
  const layers: LayerSpec<string>["layer"] = [
    { data: { values: series.curves }, mark: { type: "area", opacity: 0.16, interpolate: "linear" }, encoding: { x: xEnc, y: y("lo"), y2: { field: "hi" }, color } },
    {
      data: { values: series.curves },
      mark: { type: "line", interpolate: "linear", point: sparse ? { filled: true, size: 22 } : false },
      encoding: { x: xEnc, y: y("mean"), color, strokeWidth: { condition: { test: "datum.method === 'ismm'", value: 3 }, value: 2 } },
    },
  ];
  if (em !== null) {
    const emData = { values: [{ label: EM_LABEL, method: "em", mean: em.y, [xKey]: em.x }] };
    layers.push({ data: emData, mark: { type: "rule", strokeDash: [7, 4], strokeWidth: 2 }, encoding: { y: y("mean"), color } });
    layers.push({
      data: emData,
      mark: { type: "text", align: "left", baseline: "bottom", dx: 4, dy: -4, fontSize: 12, fontWeight: "bold" },
      encoding: { x: { value: 0 }, y: y("mean"), text: { value: EM_LABEL }, color: { value: METHOD_COLORS.em } },
    });
    if (em.x !== null) layers.push({ data: emData, mark: { type: "point", shape: "diamond", filled: true, size: 110, opacity: 1 }, encoding: { x: xEnc, y: y("mean"), color } });
  }
  const info = METRIC_INFO[opts.metric];
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: {
      text: xKey === "samples" ? `${opts.scenario}: ${info.title} vs samples processed` : `${opts.scenario}: ${info.title} vs wall-clock time`,
      subtitle: curveSubtitle(series, em, yAx.note, emRaw?.nonFinite ?? 0, opts),
    },
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    layer: layers,
  };
}

function curveSubtitle(series: Series, em: EmReference | null, yNote: string | null, emNonFinite: number, opts: CurveChartOptions): string[] {
  const r = series.maxReps;
  const sub = [
    `Lines: mean over ${r} rep${r === 1 ? "" : "s"} at each checkpoint; shaded bands: min–max across reps.`,
    `Config shown per method: lowest final mean ${METRIC_INFO[opts.selectionMetric].short} (legend).`,
  ];
  if (em !== null) {
    const cost = em.x === null ? "" : opts.x === "samples" ? `; diamond marks its cost (${chartNum(em.x)} samples = epochs × n)` : `; diamond marks its fit time (${chartNum(em.x)} s)`;
    sub.push(`Dashed: batch EM, mean final value over ${em.reps} rep${em.reps === 1 ? "" : "s"}${cost}.`);
  }
  if (yNote !== null) sub.push(yNote);
  const notes: string[] = [];
  const nonFinite = series.nonFinite + emNonFinite;
  if (nonFinite > 0) notes.push(`${nonFinite} non-finite value${nonFinite === 1 ? "" : "s"} (diverged) omitted`);
  if (series.droppedX > 0) notes.push(`${series.droppedX} point${series.droppedX === 1 ? "" : "s"} with ${opts.x} ≤ 0 omitted`);
  if (notes.length > 0) sub.push(`Note: ${notes.join("; ")}.`);
  return sub;
}
