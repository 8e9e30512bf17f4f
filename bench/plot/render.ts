/**
 * Headless rendering of Vega-Lite specs to SVG and PNG.
 *
 * Pipeline: Vega-Lite spec --(vega-lite.compile)--> Vega spec --(vega.View,
 * renderer "none")--> SVG string --(@resvg/resvg-js)--> PNG.
 *
 * Fonts: nothing here depends on system fonts. The Roboto TTF files shipped in
 * the `@expo-google-fonts/roboto` devDependency (SIL OFL 1.1) are
 *   1. handed to resvg (with `loadSystemFonts: false`), so PNG text renders on
 *      machines with no fonts installed at all, and
 *   2. used to measure text widths for Vega's layout (Vega would otherwise fall
 *      back to a crude `0.8 * chars * fontSize` estimate without `canvas`).
 * The Vega config sets `font: "Roboto"` so SVG and PNG name the same family.
 *
 * Output is deterministic: no timestamps, SVG def ids are reset per render.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import * as vega from "vega";
import * as vl from "vega-lite";
import { Resvg } from "@resvg/resvg-js";

/** Font family used by every chart (SVG text and PNG rasterisation). */
export const FONT_FAMILY = "Roboto";

type FontFace = "regular" | "bold" | "italic" | "boldItalic";

const FONT_FILES: Record<FontFace, string> = {
  regular: "400Regular/Roboto_400Regular.ttf",
  bold: "700Bold/Roboto_700Bold.ttf",
  italic: "400Regular_Italic/Roboto_400Regular_Italic.ttf",
  boldItalic: "700Bold_Italic/Roboto_700Bold_Italic.ttf",
};

let fontDirCache: string | undefined;

/** Directory of the installed font package. */
function fontDir(): string {
  if (fontDirCache === undefined) {
    const require = createRequire(import.meta.url);
    const pkgJson = require.resolve("@expo-google-fonts/roboto/package.json");
    fontDirCache = path.dirname(pkgJson);
  }
  return fontDirCache;
}

/** Absolute paths of the TTF files used for rendering (regular, bold, italic, bold italic). */
export function fontFiles(): string[] {
  return (Object.keys(FONT_FILES) as FontFace[]).map((k) => path.join(fontDir(), FONT_FILES[k]));
}

// ---------------------------------------------------------------------------
// Minimal TrueType reader: advance widths per code point (cmap + hmtx).
// Kerning is ignored (resvg applies it, so real text is at most a few % narrower).
// ---------------------------------------------------------------------------

interface GlyphMetrics {
  unitsPerEm: number;
  /** advance width (font units) per code point */
  advance: Map<number, number>;
  /** advance used for code points missing from the font (glyph 0) */
  missingAdvance: number;
}

function parseTtfMetrics(buf: Buffer): GlyphMetrics {
  const numTables = buf.readUInt16BE(4);
  const tables = new Map<string, number>();
  for (let i = 0; i < numTables; i++) {
    const rec = 12 + 16 * i;
    tables.set(buf.toString("latin1", rec, rec + 4), buf.readUInt32BE(rec + 8));
  }
  const need = (tag: string): number => {
    const off = tables.get(tag);
    if (off === undefined) throw new Error(`font is missing the '${tag}' table`);
    return off;
  };
  const head = need("head");
  const hhea = need("hhea");
  const hmtx = need("hmtx");
  const cmap = need("cmap");
  const unitsPerEm = buf.readUInt16BE(head + 18);
  const numberOfHMetrics = buf.readUInt16BE(hhea + 34);
  const advOf = (glyph: number): number =>
    buf.readUInt16BE(hmtx + 4 * Math.min(glyph, numberOfHMetrics - 1));

  // choose a Unicode cmap subtable: prefer format 12 (3,10), then format 4 (3,1) / (0,*)
  const nSub = buf.readUInt16BE(cmap + 2);
  let best: { off: number; format: number } | undefined;
  for (let i = 0; i < nSub; i++) {
    const rec = cmap + 4 + 8 * i;
    const pid = buf.readUInt16BE(rec);
    const eid = buf.readUInt16BE(rec + 2);
    const off = cmap + buf.readUInt32BE(rec + 4);
    const format = buf.readUInt16BE(off);
    const unicode = pid === 0 || (pid === 3 && (eid === 1 || eid === 10));
    if (!unicode || (format !== 4 && format !== 12)) continue;
    if (best === undefined || (format === 12 && best.format !== 12)) best = { off, format };
  }
  if (best === undefined) throw new Error("font has no Unicode cmap subtable (format 4 or 12)");

  const advance = new Map<number, number>();
  if (best.format === 12) {
    const nGroups = buf.readUInt32BE(best.off + 12);
    for (let g = 0; g < nGroups; g++) {
      const rec = best.off + 16 + 12 * g;
      const start = buf.readUInt32BE(rec);
      const end = buf.readUInt32BE(rec + 4);
      const glyph0 = buf.readUInt32BE(rec + 8);
      // only the BMP + a little beyond matters for chart labels
      for (let c = start; c <= end && c < 0x20000; c++) advance.set(c, advOf(glyph0 + (c - start)));
    }
  } else {
    const off = best.off;
    const segX2 = buf.readUInt16BE(off + 6);
    const ends = off + 14;
    const starts = ends + segX2 + 2;
    const deltas = starts + segX2;
    const rangeOffs = deltas + segX2;
    for (let s = 0; s < segX2 / 2; s++) {
      const end = buf.readUInt16BE(ends + 2 * s);
      const start = buf.readUInt16BE(starts + 2 * s);
      const delta = buf.readInt16BE(deltas + 2 * s);
      const ro = buf.readUInt16BE(rangeOffs + 2 * s);
      for (let c = start; c <= end && c !== 0xffff; c++) {
        let glyph: number;
        if (ro === 0) glyph = (c + delta) & 0xffff;
        else {
          const gOff = rangeOffs + 2 * s + ro + 2 * (c - start);
          glyph = buf.readUInt16BE(gOff);
          if (glyph !== 0) glyph = (glyph + delta) & 0xffff;
        }
        if (glyph !== 0) advance.set(c, advOf(glyph));
      }
    }
  }
  return { unitsPerEm, advance, missingAdvance: advOf(0) };
}

const metricsCache = new Map<FontFace, GlyphMetrics>();

function faceMetrics(face: FontFace): GlyphMetrics {
  let m = metricsCache.get(face);
  if (m === undefined) {
    m = parseTtfMetrics(readFileSync(path.join(fontDir(), FONT_FILES[face])));
    metricsCache.set(face, m);
  }
  return m;
}

/** Width in px of `text` set in Roboto at `fontSize` (no kerning). */
export function measureText(
  text: string,
  fontSize: number,
  opts: { bold?: boolean; italic?: boolean } = {},
): number {
  const face: FontFace = opts.bold
    ? opts.italic
      ? "boldItalic"
      : "bold"
    : opts.italic
      ? "italic"
      : "regular";
  const m = faceMetrics(face);
  let units = 0;
  for (const ch of text) {
    units += m.advance.get(ch.codePointAt(0) ?? 0) ?? m.missingAdvance;
  }
  return (units / m.unitsPerEm) * fontSize;
}

/** Code points of `text` that the bundled font cannot draw. */
export function missingGlyphs(text: string): string[] {
  const m = faceMetrics("regular");
  const out = new Set<string>();
  for (const ch of text) if (!m.advance.has(ch.codePointAt(0) ?? 0) && ch.trim() !== "") out.add(ch);
  return [...out];
}

/** Subset of a Vega scenegraph text item that text measurement looks at. */
interface TextItem {
  fontSize?: number | string;
  fontWeight?: string | number;
  fontStyle?: string;
  limit?: number;
  ellipsis?: string;
  dir?: string;
}

function itemFontSize(item: TextItem): number {
  return item.fontSize != null ? +item.fontSize || 0 : 11;
}

function itemWidth(item: TextItem, text: string): number {
  const w = item.fontWeight;
  const bold = w === "bold" || w === "bolder" || (typeof w === "number" && w >= 600) || (typeof w === "string" && +w >= 600);
  return measureText(text, itemFontSize(item), { bold, italic: item.fontStyle === "italic" || item.fontStyle === "oblique" });
}

/** Mirrors vega-scenegraph's textValue(): trim, then truncate to `limit` px with an ellipsis. */
function vegaTextWidth(item: TextItem, line: unknown): number {
  if (itemFontSize(item) <= 0) return 0;
  let text = line == null ? "" : String(line).trim();
  const limit = Number(item.limit);
  if (limit > 0 && text.length > 0 && itemWidth(item, text) >= limit) {
    const ellipsis = item.ellipsis ?? "\u2026";
    const room = limit - itemWidth(item, ellipsis);
    const rtl = item.dir === "rtl";
    let lo = 0;
    let hi = text.length;
    if (rtl) {
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

let metricsInstalled = false;

/**
 * Replace Vega's text-width function with one based on the bundled font's real
 * glyph advances (the hook vega-scenegraph documents for custom measurement).
 */
function installTextMetrics(): void {
  if (metricsInstalled) return;
  const tm = (vega as unknown as { textMetrics?: { width: (item: TextItem, text: unknown) => number } }).textMetrics;
  if (tm === undefined) throw new Error("vega.textMetrics is not exported by this vega version");
  tm.width = vegaTextWidth;
  metricsInstalled = true;
}

// ---------------------------------------------------------------------------
// Shared chart styling
// ---------------------------------------------------------------------------

/** Vega-Lite config applied to every chart. */
export const BASE_CONFIG: vl.Config = {
  font: FONT_FAMILY,
  background: "white",
  padding: 12,
  view: { stroke: "#bbbbbb" },
  title: { fontSize: 16, subtitleFontSize: 12, subtitleColor: "#444444", anchor: "start", offset: 10, subtitlePadding: 4 },
  axis: {
    labelFontSize: 12,
    titleFontSize: 13,
    titleFontWeight: "normal",
    titleColor: "#222222",
    labelColor: "#333333",
    gridColor: "#e6e6e6",
    domainColor: "#888888",
    tickColor: "#888888",
  },
  legend: { labelFontSize: 12, titleFontSize: 12, symbolStrokeWidth: 3, labelLimit: 320 },
};

export interface RenderOptions {
  /** PNG pixel ratio relative to the SVG size (default 2, i.e. "retina"). */
  scale?: number;
}

export interface RenderResult {
  svg: string;
  png: string;
  /** SVG width/height in CSS px */
  width: number;
  height: number;
  /** wall time spent compiling + rendering, ms */
  ms: number;
}

function deepMergeConfig(base: vl.Config, extra: vl.Config | undefined): vl.Config {
  if (extra === undefined) return base;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(extra as Record<string, unknown>)) {
    const b = out[k];
    out[k] =
      b !== null && typeof b === "object" && !Array.isArray(b) && v !== null && typeof v === "object" && !Array.isArray(v)
        ? { ...(b as object), ...(v as object) }
        : v;
  }
  return out as vl.Config;
}

/** Compile a Vega-Lite spec (with BASE_CONFIG merged under the spec's own config) and render it to an SVG string. */
export async function vegaLiteToSvg(spec: vl.TopLevelSpec): Promise<string> {
  installTextMetrics();
  const merged = { ...spec, config: deepMergeConfig(BASE_CONFIG, spec.config) } as vl.TopLevelSpec;
  const compiled = vl.compile(merged).spec;
  vega.resetSVGDefIds();
  const view = new vega.View(vega.parse(compiled), { renderer: "none", logLevel: vega.Warn });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterise an SVG string to PNG bytes using only the bundled font. */
export function svgToPng(svg: string, opts: RenderOptions = {}): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: opts.scale ?? 2 },
    background: "white",
    font: {
      fontFiles: fontFiles(),
      loadSystemFonts: false,
      defaultFontFamily: FONT_FAMILY,
      sansSerifFamily: FONT_FAMILY,
    },
  });
  return resvg.render().asPng();
}

/**
 * Render a Vega-Lite spec to `<outBasePath>.svg` and `<outBasePath>.png`
 * (parent directories are created). Deterministic for a given spec.
 */
export async function renderVegaLite(
  spec: vl.TopLevelSpec,
  outBasePath: string,
  opts: RenderOptions = {},
): Promise<RenderResult> {
  const t0 = performance.now();
  const svg = await vegaLiteToSvg(spec);
  const png = svgToPng(svg, opts);
  const svgPath = `${outBasePath}.svg`;
  const pngPath = `${outBasePath}.png`;
  await mkdir(path.dirname(path.resolve(svgPath)), { recursive: true });
  await writeFile(svgPath, svg, "utf8");
  await writeFile(pngPath, png);
  const m = /<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(svg);
  return {
    svg: svgPath,
    png: pngPath,
    width: m ? Number(m[1]) : NaN,
    height: m ? Number(m[2]) : NaN,
    ms: performance.now() - t0,
  };
}
