/**
 * The fitted model of one feature, two panels sharing x: the data, each expert's mean line, the
 * mixture mean and (optionally) a predictive band on top; the gate probabilities π_k(x) below.
 */
import type * as vl from "vega-lite";
import type { PositionFieldDef } from "vega-lite/types_unstable/channeldef.js";
import type { LayerSpec } from "vega-lite/types_unstable/spec/layer.js";
import { CHART_WIDTH } from "./curve-chart.js";
import { renderVegaLite, type RenderResult } from "./render.js";
import { EXPERT_COLORS, VEGA_LITE_SCHEMA } from "./style.js";

export interface Fitted1dData {
  x: number[];
  y: number[];
  grid: number[];
  /** K × grid expert means. */
  experts: number[][];
  /** K × grid gate probabilities. */
  gate: number[][];
  /** Mixture mean E[y|x] on the grid. */
  mean: number[];
  /** Optional predictive band on the grid (e.g. the 5% and 95% quantiles) and its legend label. */
  lower?: number[];
  upper?: number[];
  bandLabel?: string;
  /** Optional chart title and axis titles (defaults: "x (covariate)", "y (response)"). */
  title?: string;
  xTitle?: string;
  yTitle?: string;
}

function isNumArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((e) => typeof e === "number");
}

/** Validates (e.g. parsed JSON) input for the 1-D chart; throws a descriptive Error. */
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
  for (const k of ["lower", "upper"] as const) {
    const v = o[k];
    if (v !== undefined && (!isNumArray(v) || v.length !== G)) throw new Error(`fitted-1d: '${k}' must be an array of ${G} numbers`);
  }
  for (const k of ["title", "xTitle", "yTitle", "bandLabel"]) if (o[k] !== undefined && typeof o[k] !== "string") throw new Error(`fitted-1d: '${k}' must be a string`);
  return data;
}

/** Two-panel chart: data, expert means, mixture mean and band (top); gate probabilities (bottom). */
export function buildFitted1dSpec(input: Fitted1dData): vl.TopLevelSpec {
  const data = validateFitted1d(input);
  const K = data.experts.length;
  const expertNames = Array.from({ length: K }, (_, k) => `expert ${k + 1}`);
  const MIX = "mixture mean E[y | x]";
  const hasBand = data.lower !== undefined && data.upper !== undefined;
  const band = data.bandLabel ?? "predictive band";
  const domain = [...expertNames, MIX, ...(hasBand ? [band] : [])];
  const range = [...expertNames.map((_, k) => EXPERT_COLORS[k % EXPERT_COLORS.length]), "#000000", ...(hasBand ? ["#9a9a9a"] : [])];
  const points = data.x.map((x, i) => ({ x, y: data.y[i] })).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const xs = [...data.grid, ...points.map((p) => p.x)];
  const xDomain = [Math.min(...xs), Math.max(...xs)];
  const xTitle = data.xTitle ?? "x (covariate)";
  const yTitle = data.yTitle ?? "y (response)";
  const color = {
    field: "series", type: "nominal" as const, scale: { domain, range },
    legend: { title: null, orient: "bottom" as const, direction: "horizontal" as const, symbolType: "stroke", symbolStrokeWidth: 3, symbolOpacity: 1 },
  };
  const x = (title: string): PositionFieldDef<string> => ({ field: "x", type: "quantitative", scale: { domain: xDomain, nice: false, zero: false }, title });
  const yv: PositionFieldDef<string> = { field: "value", type: "quantitative", title: yTitle, scale: { zero: false } };
  const top: LayerSpec<string>["layer"] = [];
  if (hasBand) {
    top.push({
      data: { values: data.grid.map((g, i) => ({ x: g, value: (data.lower as number[])[i], hi: (data.upper as number[])[i], series: band })) },
      mark: { type: "area", opacity: 0.22 },
      encoding: { x: x(xTitle), y: yv, y2: { field: "hi" }, color },
    });
  }
  top.push(
    { data: { values: points }, mark: { type: "circle", size: 16, opacity: 0.45, color: "#8a8a8a" }, encoding: { x: x(xTitle), y: { field: "y", type: "quantitative", title: yTitle, scale: { zero: false } } } },
    { data: { values: data.experts.flatMap((row, k) => row.map((v, g) => ({ x: data.grid[g], value: v, series: expertNames[k] }))) }, mark: { type: "line", strokeWidth: 2.2 }, encoding: { x: x(xTitle), y: yv, color } },
    { data: { values: data.mean.map((v, g) => ({ x: data.grid[g], value: v, series: MIX })) }, mark: { type: "line", strokeWidth: 2.8, strokeDash: [7, 4] }, encoding: { x: x(xTitle), y: yv, color } },
  );
  const subtitle = [
    `Top: grey points = ${points.length.toLocaleString("en-US")} observations; coloured lines = the ${K} expert means; dashed black = mixture mean${hasBand ? `; grey band = ${band}` : ""}.`,
    "Bottom: softmax gate probabilities π_k(x) of each expert (they sum to 1 at every x).",
  ];
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: { text: data.title ?? "Fitted mixture of experts (1-D)", subtitle },
    vconcat: [
      { width: CHART_WIDTH, height: 300, layer: top },
      {
        width: CHART_WIDTH,
        height: 150,
        data: { values: data.gate.flatMap((row, k) => row.map((p, g) => ({ x: data.grid[g], p, series: expertNames[k] }))) },
        mark: { type: "line", strokeWidth: 2.2 },
        encoding: {
          x: x(xTitle),
          y: { field: "p", type: "quantitative", title: "gate probability", scale: { domain: [0, 1] }, axis: { values: [0, 0.25, 0.5, 0.75, 1], format: ".2~f" } },
          color,
        },
      },
    ],
    resolve: { scale: { color: "shared" }, legend: { color: "shared" } },
    spacing: 18,
  };
}

/** Renders the 1-D chart to `<outBase>.svg/.png`. */
export async function plotFitted1d(data: Fitted1dData, outBase: string): Promise<RenderResult> {
  return renderVegaLite(buildFitted1dSpec(data), outBase);
}
