/**
 * The charts' one font, Roboto (SIL OFL 1.1, from the `@expo-google-fonts/roboto` package), and
 * text measurement for Vega's layout done by the rasterizer itself: resvg lays the text out with
 * the same font files it draws with, and its bounding box is the width (no font parser here).
 * Nothing depends on system fonts, so PNG text renders the same on machines with none installed.
 *
 * `setMeasurer` is called by render.ts once resvg is loaded (it is imported lazily).
 */
import { createRequire } from "node:module";
import path from "node:path";

/** Font family used by every chart (SVG text and PNG rasterization). */
export const FONT_FAMILY = "Roboto";

const FONT_FILES = [
  "400Regular/Roboto_400Regular.ttf",
  "700Bold/Roboto_700Bold.ttf",
  "400Regular_Italic/Roboto_400Regular_Italic.ttf",
  "700Bold_Italic/Roboto_700Bold_Italic.ttf",
];

let files: string[] | undefined;

/** Absolute paths of the TTF files used for rendering (regular, bold, italic, bold italic). */
export function fontFiles(): string[] {
  if (files === undefined) {
    const dir = path.dirname(createRequire(import.meta.url).resolve("@expo-google-fonts/roboto/package.json"));
    files = FONT_FILES.map((f) => path.join(dir, f));
  }
  return files;
}

/** The resvg constructor's shape used here (the class is loaded lazily by render.ts). */
export type ResvgClass = new (svg: string, opts: object) => { getBBox(): { width: number } | undefined };

let Resvg: ResvgClass | undefined;
const cache = new Map<string, number>();

/** Installs the rasterizer used to measure text (render.ts does this after loading resvg). */
export function setMeasurer(cls: ResvgClass): void {
  Resvg = cls;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** resvg's options with only the bundled font. */
export function resvgFontOptions(): object {
  return { fontFiles: fontFiles(), loadSystemFonts: false, defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY };
}

/** Width in px of `text` in Roboto at `fontSize`, as resvg lays it out (cached per string and style). */
export function measureText(text: string, fontSize: number, opts: { bold?: boolean; italic?: boolean } = {}): number {
  if (text.length === 0 || fontSize <= 0) return 0;
  const key = `${fontSize}|${opts.bold ? 1 : 0}${opts.italic ? 1 : 0}|${text}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  if (Resvg === undefined) throw new Error("text measurement needs the renderer: call loadRenderer() first");
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(fontSize * text.length + 100)}" height="${Math.ceil(fontSize * 3)}">` +
    `<text x="0" y="${2 * fontSize}" font-family="${FONT_FAMILY}" font-size="${fontSize}" font-weight="${opts.bold ? 700 : 400}" font-style="${opts.italic ? "italic" : "normal"}" xml:space="preserve">${escapeXml(text)}</text></svg>`;
  const w = new Resvg(svg, { font: resvgFontOptions() }).getBBox()?.width ?? 0;
  cache.set(key, w);
  return w;
}

/**
 * Characters of `text` the bundled font cannot draw: resvg draws them as the font's "missing
 * glyph" box, so their width equals that of a private-use code point (U+E000).
 */
export function missingGlyphs(text: string): string[] {
  const notdef = measureText("\uE000", 20);
  const out = new Set<string>();
  for (const ch of text) {
    if (ch.trim() === "" || out.has(ch)) continue;
    if (measureText(ch, 20) === notdef && measureText(`${ch}${ch}`, 20) === measureText("\uE000\uE000", 20)) out.add(ch);
  }
  return [...out];
}
