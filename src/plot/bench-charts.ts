/**
 * The benchmark's chart set: per scenario, NLL vs samples and vs seconds, parameter error and MSE
 * vs samples (the last two only when the column has values), each with one config per method
 * chosen by the scenario's primary metric.
 */
import path from "node:path";
import type * as vl from "vega-lite";
import { buildCurveChart } from "./curve-chart.js";
import { hasMetric, primaryMetric, selectBestConfigs, type CurveRow, type MetricColumn } from "./curves.js";
import { renderVegaLite, type RenderResult } from "./render.js";

export const CHART_KINDS = ["nll-vs-samples", "nll-vs-seconds", "param-error-vs-samples", "mse-vs-samples"] as const;
export type ChartKind = (typeof CHART_KINDS)[number];

export interface NamedChart {
  /** File base name: `<scenario>-<kind>`. */
  name: string;
  scenario: string;
  kind: ChartKind;
  spec: vl.TopLevelSpec;
}

/** A scenario name made safe as a file name component. */
export function safeFileName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, "_");
}

/** Every chart of every scenario in `rows` (scenarios sorted by name). */
export function buildBenchmarkCharts(rows: readonly CurveRow[]): NamedChart[] {
  const out: NamedChart[] = [];
  for (const scenario of [...new Set(rows.map((r) => r.scenario))].sort()) {
    const sRows = rows.filter((r) => r.scenario === scenario);
    const selectionMetric = primaryMetric(sRows);
    if (selectionMetric === null) continue;
    const configs = selectBestConfigs(sRows, selectionMetric);
    const nll: MetricColumn | null = hasMetric(sRows, "excess_nll") ? "excess_nll" : hasMetric(sRows, "test_nll") ? "test_nll" : null;
    const plan: { kind: ChartKind; metric: MetricColumn | null; x: "samples" | "seconds" }[] = [
      { kind: "nll-vs-samples", metric: nll, x: "samples" },
      { kind: "nll-vs-seconds", metric: nll, x: "seconds" },
      { kind: "param-error-vs-samples", metric: hasMetric(sRows, "param_error") ? "param_error" : null, x: "samples" },
      { kind: "mse-vs-samples", metric: hasMetric(sRows, "test_mse") ? "test_mse" : null, x: "samples" },
    ];
    for (const p of plan) {
      if (p.metric === null) continue;
      const spec = buildCurveChart(sRows, { scenario, metric: p.metric, x: p.x, configs, selectionMetric });
      if (spec !== null) out.push({ name: `${safeFileName(scenario)}-${p.kind}`, scenario, kind: p.kind, spec });
    }
  }
  return out;
}

export interface PlotOutput extends RenderResult {
  name: string;
}

/** Renders every benchmark chart into `outDir` (`<scenario>-<chart>.svg/.png`). */
export async function plotBenchmark(rows: readonly CurveRow[], outDir: string): Promise<PlotOutput[]> {
  const out: PlotOutput[] = [];
  for (const c of buildBenchmarkCharts(rows)) out.push({ name: c.name, ...(await renderVegaLite(c.spec, path.join(outDir, c.name))) });
  return out;
}
