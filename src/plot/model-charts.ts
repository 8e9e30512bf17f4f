/**
 * Charts of a fitted model on data with several features, and of a prequential log:
 *  - observed vs predicted (the mixture mean), coloured by the MAP expert, with the y = x line;
 *    below, each row's gate probabilities along the gate's most important direction;
 *  - the prequential (predict-then-learn) NLL and MSE against rows scored.
 */
import type * as vl from "vega-lite";
import { CHART_WIDTH } from "./curve-chart.js";
import { EXPERT_COLORS, VEGA_LITE_SCHEMA } from "./style.js";

export interface MultiFeatureData {
  /** Observed target values. */
  observed: number[];
  /** Predictive means of the same rows. */
  predicted: number[];
  /** MAP expert of each row, 1-based. */
  expert: number[];
  /** Position of each row along the gate direction. */
  along: number[];
  /** K × rows gate probabilities. */
  gate: number[][];
  /** Target name (axis titles). */
  target: string;
  /** Description of the gate direction (axis title), e.g. "0.8·x1 − 0.6·x2 (inputs in sd units)". */
  direction: string;
  title?: string;
}

function expertColor(K: number): { domain: string[]; range: string[] } {
  const domain = Array.from({ length: K }, (_, k) => `expert ${k + 1}`);
  return { domain, range: domain.map((_, k) => EXPERT_COLORS[k % EXPERT_COLORS.length]) };
}

/** Two panels: observed vs predicted by MAP expert; gate probabilities along the gate direction. */
export function buildMultiFeatureSpec(d: MultiFeatureData): vl.TopLevelSpec {
  const K = d.gate.length;
  const n = d.observed.length;
  const scale = expertColor(K);
  const color = {
    field: "series", type: "nominal" as const, scale,
    legend: { title: "MAP expert / gate of expert", orient: "bottom" as const, direction: "horizontal" as const },
  };
  const pts = d.observed.map((y, i) => ({ y, yhat: d.predicted[i], series: `expert ${d.expert[i]}` }));
  const all = [...d.observed, ...d.predicted].filter(Number.isFinite);
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const gatePts = d.gate.flatMap((row, k) => row.map((p, i) => ({ t: d.along[i], p, series: `expert ${k + 1}` })));
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: {
      text: d.title ?? `Fitted mixture of experts: ${d.target}`,
      subtitle: [
        `Top: observed ${d.target} against the predicted mean for ${n.toLocaleString("en-US")} rows, coloured by the most probable expert; grey line: y = ŷ.`,
        `Bottom: each row's gate probabilities π_k(x) against its position along the gate's most important direction.`,
      ],
    },
    vconcat: [
      {
        width: CHART_WIDTH,
        height: 320,
        layer: [
          { data: { values: [{ a: lo, b: lo }, { a: hi, b: hi }] }, mark: { type: "line", color: "#9a9a9a", strokeDash: [6, 4] }, encoding: { x: { field: "a", type: "quantitative", title: `predicted mean of ${d.target}` }, y: { field: "b", type: "quantitative", title: `observed ${d.target}` } } },
          {
            data: { values: pts },
            mark: { type: "circle", size: 16, opacity: 0.55 },
            encoding: {
              x: { field: "yhat", type: "quantitative", title: `predicted mean of ${d.target}`, scale: { domain: [lo, hi], nice: false, zero: false } },
              y: { field: "y", type: "quantitative", title: `observed ${d.target}`, scale: { domain: [lo, hi], nice: false, zero: false } },
              color,
            },
          },
        ],
      },
      {
        width: CHART_WIDTH,
        height: 170,
        data: { values: gatePts },
        mark: { type: "circle", size: 10, opacity: 0.5 },
        encoding: {
          x: { field: "t", type: "quantitative", title: `gate direction: ${d.direction}`, scale: { zero: false } },
          y: { field: "p", type: "quantitative", title: "gate probability", scale: { domain: [0, 1] }, axis: { values: [0, 0.25, 0.5, 0.75, 1], format: ".2~f" } },
          color,
        },
      },
    ],
    resolve: { scale: { color: "shared" }, legend: { color: "shared" } },
    spacing: 18,
  };
}

export interface PrequentialData {
  /** Rows scored (predicted before learned) at each line: the x axis. */
  rows: number[];
  nll: number[];
  windowNll: number[];
  mse: number[];
  windowMse: number[];
  title?: string;
}

/** NLL (top) and MSE (bottom) against rows scored: the running mean and the window since the last line. */
export function buildPrequentialSpec(d: PrequentialData): vl.TopLevelSpec {
  const RUN = "running mean (all rows so far)";
  const WIN = "window (rows since the previous line)";
  const color = {
    field: "series", type: "nominal" as const, scale: { domain: [RUN, WIN], range: ["#0072B2", "#D55E00"] },
    legend: { title: null, orient: "bottom" as const, direction: "horizontal" as const, symbolType: "stroke", symbolStrokeWidth: 3 },
  };
  const long = (a: number[], b: number[]): { rows: number; v: number; series: string }[] => [
    ...d.rows.map((r, i) => ({ rows: r, v: a[i], series: RUN })),
    ...d.rows.map((r, i) => ({ rows: r, v: b[i], series: WIN })),
  ].filter((p) => Number.isFinite(p.v) && p.rows > 0);
  const x = { field: "rows", type: "quantitative" as const, scale: { type: "log" as const, nice: false }, title: "rows scored, each predicted before it is learned (log scale)", axis: { format: "~s" } };
  const panel = (values: ReturnType<typeof long>, title: string, height: number) => ({
    width: CHART_WIDTH,
    height,
    data: { values },
    mark: { type: "line" as const, point: { filled: true, size: 24 }, strokeWidth: 2 },
    encoding: { x, y: { field: "v", type: "quantitative" as const, title, scale: { zero: false } }, color },
  });
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: {
      text: d.title ?? "Prequential (predict-then-learn) evaluation",
      subtitle: [
        "Each row is scored by the model that predicts, before that model learns the row; lines at 1, 2, 4, … scored rows.",
        "Blue: mean over all scored rows so far; orange: mean over the rows since the previous line.",
      ],
    },
    vconcat: [panel(long(d.nll, d.windowNll), "NLL per row (nats, data units)", 260), panel(long(d.mse, d.windowMse), "squared error of the mean", 170)],
    resolve: { scale: { color: "shared" }, legend: { color: "shared" } },
    spacing: 18,
  };
}
