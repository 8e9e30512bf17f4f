/**
 * Headless rendering of Vega-Lite specs: Vega-Lite --(vega-lite.compile)--> Vega --(vega.View,
 * renderer "none")--> SVG string --(@resvg/resvg-js, bundled Roboto only)--> PNG.
 *
 * The three packages are imported on first use (`loadRenderer`), so programs that never draw (e.g.
 * `ismm fit`) do not load them. Output is deterministic: no timestamps, SVG def ids reset per render.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type * as VegaNs from "vega";
import type * as VegaLiteNs from "vega-lite";
import { FONT_FAMILY, measureText, resvgFontOptions, setMeasurer, type ResvgClass } from "./fonts.js";

type Vega = typeof VegaNs;
type VegaLite = typeof VegaLiteNs;
/** A Vega-Lite top-level spec (the charts' common currency). */
export type ChartSpec = VegaLiteNs.TopLevelSpec;

interface Renderer {
  readonly vega: Vega;
  readonly vl: VegaLite;
  readonly Resvg: new (svg: string, opts: object) => { render(): { asPng(): Buffer }; getBBox(): { width: number } | undefined };
}

let loading: Promise<Renderer> | undefined;

/** Imports vega, vega-lite and resvg once, and installs text measurement. */
export function loadRenderer(): Promise<Renderer> {
  loading ??= (async () => {
    const [vega, vl, resvg] = await Promise.all([import("vega"), import("vega-lite"), import("@resvg/resvg-js")]);
    const Resvg = resvg.Resvg as unknown as Renderer["Resvg"];
    setMeasurer(Resvg as ResvgClass);
    const tm = (vega as unknown as { textMetrics?: { width: (item: TextItem, text: unknown) => number } }).textMetrics;
    if (tm === undefined) throw new Error("vega.textMetrics is not exported by this vega version");
    tm.width = vegaTextWidth;
    return { vega, vl, Resvg };
  })();
  return loading;
}

/** The part of a Vega scenegraph text item that text measurement looks at. */
interface TextItem {
  fontSize?: number | string;
  fontWeight?: string | number;
  fontStyle?: string;
  limit?: number;
  ellipsis?: string;
  dir?: string;
}

function itemWidth(item: TextItem, text: string): number {
  const size = item.fontSize != null ? +item.fontSize || 0 : 11;
  const w = item.fontWeight;
  const bold = w === "bold" || w === "bolder" || (w !== undefined && +w >= 600);
  return measureText(text, size, { bold, italic: item.fontStyle === "italic" || item.fontStyle === "oblique" });
}

/** Mirrors vega-scenegraph's textValue(): trim, then truncate to `limit` px with an ellipsis. */
function vegaTextWidth(item: TextItem, line: unknown): number {
  let text = line == null ? "" : String(line).trim();
  const limit = Number(item.limit);
  if (limit > 0 && text.length > 0 && itemWidth(item, text) >= limit) {
    const ellipsis = item.ellipsis ?? "\u2026";
    const room = limit - itemWidth(item, ellipsis);
    let lo = 0;
    let hi = text.length;
    if (item.dir === "rtl") {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (itemWidth(item, text.slice(mid)) > room) lo = mid + 1;
        else hi = mid;
      }
      text = ellipsis + text.slice(lo);
    } else {
      while (lo < hi) {
        const mid = 1 + ((lo + hi) >>> 1);
        if (itemWidth(item, text.slice(0, mid)) < room) lo = mid;
        else hi = mid - 1;
      }
      text = text.slice(0, lo) + ellipsis;
    }
  }
  return text.length > 0 ? itemWidth(item, text) : 0;
}

/** Vega-Lite config applied under every chart's own config. */
export const BASE_CONFIG: VegaLiteNs.Config = {
  font: FONT_FAMILY,
  background: "white",
  padding: 12,
  view: { stroke: "#bbbbbb" },
  title: { fontSize: 16, subtitleFontSize: 12, subtitleColor: "#444444", anchor: "start", offset: 10, subtitlePadding: 4 },
  axis: {
    labelFontSize: 12, titleFontSize: 13, titleFontWeight: "normal", titleColor: "#222222", labelColor: "#333333",
    gridColor: "#e6e6e6", domainColor: "#888888", tickColor: "#888888",
  },
  legend: { labelFontSize: 12, titleFontSize: 12, symbolStrokeWidth: 3, labelLimit: 320 },
};

function mergeConfig(base: VegaLiteNs.Config, extra: VegaLiteNs.Config | undefined): VegaLiteNs.Config {
  if (extra === undefined) return base;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(extra as Record<string, unknown>)) {
    const b = out[k];
    const plain = (o: unknown): boolean => o !== null && typeof o === "object" && !Array.isArray(o);
    out[k] = plain(b) && plain(v) ? { ...(b as object), ...(v as object) } : v;
  }
  return out as VegaLiteNs.Config;
}

/** Compiles a Vega-Lite spec (BASE_CONFIG under its own config) and renders it to an SVG string. */
export async function vegaLiteToSvg(spec: ChartSpec): Promise<string> {
  const { vega, vl } = await loadRenderer();
  const compiled = vl.compile({ ...spec, config: mergeConfig(BASE_CONFIG, spec.config) } as ChartSpec).spec;
  vega.resetSVGDefIds();
  const view = new vega.View(vega.parse(compiled), { renderer: "none", logLevel: vega.Warn });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterizes an SVG string to PNG bytes with the bundled font only; `scale` is the pixel ratio (default 2). */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  const { Resvg } = await loadRenderer();
  return new Resvg(svg, { fitTo: { mode: "zoom", value: scale }, background: "white", font: resvgFontOptions() }).render().asPng();
}

/** Width and height (CSS px) of a rendered SVG. */
export function svgSize(svg: string): { width: number; height: number } {
  const m = /<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(svg);
  return { width: m ? Number(m[1]) : NaN, height: m ? Number(m[2]) : NaN };
}

export interface RenderResult {
  readonly svg: string;
  readonly png: string;
  /** SVG width/height in CSS px. */
  readonly width: number;
  readonly height: number;
  /** Wall time spent compiling and rendering, ms. */
  readonly ms: number;
}

/** Renders a spec to `<outBase>.svg` and `<outBase>.png` (directories created). Deterministic. */
export async function renderVegaLite(spec: ChartSpec, outBase: string): Promise<RenderResult> {
  const t0 = performance.now();
  const svg = await vegaLiteToSvg(spec);
  const png = await svgToPng(svg);
  await mkdir(path.dirname(path.resolve(outBase)), { recursive: true });
  await writeFile(`${outBase}.svg`, svg, "utf8");
  await writeFile(`${outBase}.png`, png);
  return { svg: `${outBase}.svg`, png: `${outBase}.png`, ...svgSize(svg), ms: performance.now() - t0 };
}
