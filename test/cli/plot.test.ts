/**
 * `ismm plot`: valid PNG/SVG images for a 1-feature and a 4-feature model and for a prequential
 * log, with titles, axis titles and legends; usage errors leave no file.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import { MAIN, ismm, syntheticCsv, tempDir, writeText } from "./helpers.js";

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
let dir = "";
let cleanup = (): void => undefined;
let one = { data: "", model: "", preq: "" };
let four = { data: "", model: "" };

/** The text of every <text> element of an SVG. */
function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([\s\S]*?)<\/text>/g)].flatMap((m) => {
    const spans = [...m[1].matchAll(/<tspan[^>]*>([^<]*)<\/tspan>/g)].map((t) => t[1]);
    return spans.length > 0 ? spans : [m[1].replace(/<[^>]*>/g, "")];
  });
}

function checkPng(path: string): void {
  const png = readFileSync(path);
  assert.ok(png.subarray(0, 8).equals(PNG_SIGNATURE), "PNG signature");
  // A chart at 2× is over 1000 px wide; a blank or tiny image is not a chart.
  assert.ok(png.readUInt32BE(16) >= 1000 && png.readUInt32BE(20) >= 500, `PNG ${png.readUInt32BE(16)}×${png.readUInt32BE(20)}`);
  assert.ok(png.length > 30_000, `PNG of ${png.length} bytes`);
}

before(async () => {
  ({ dir, cleanup } = tempDir());
  one = { data: writeText(join(dir, "one.csv"), syntheticCsv(2500, 31, 1, 1, 2)), model: join(dir, "one.json"), preq: join(dir, "preq.csv") };
  four = { data: writeText(join(dir, "four.csv"), syntheticCsv(2500, 32, 4, 1, 3)), model: join(dir, "four.json") };
  const [a, b] = await Promise.all([
    ismm(["fit", one.data, "-t", "y", "-o", one.model, "--prequential-out", one.preq, "--init-rows", "400"]),
    ismm(["fit", four.data, "-t", "y", "--experts", "3", "-o", four.model, "--init-rows", "400"]),
  ]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
});
after(() => cleanup());

describe("ismm plot", { concurrency: 3 }, () => {
  it("one feature: PNG, and an SVG with data, experts, mixture mean, band and gates", async () => {
    const png = join(dir, "one.png");
    const svg = join(dir, "one.svg");
    const [a, b] = await Promise.all([ismm(["plot", "-m", one.model, one.data, "-o", png]), ismm(["plot", "-m", one.model, one.data, "-o", svg, "--points", "500"])]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    checkPng(png);
    const texts = svgTexts(readFileSync(svg, "utf8"));
    for (const t of ["expert 1", "expert 2", "mixture mean E[y | x]", "90% predictive interval (5%–95%)", "gate probability", "x1", "y"]) assert.ok(texts.includes(t), `no text ${JSON.stringify(t)}`);
    assert.ok(texts.some((t) => /^y: mixture of 2 experts .* 500 of 2,500 rows$/.test(t)), "title names the sample");
  });

  it("four features: observed vs predicted by MAP expert and gates along the gate direction", async () => {
    const png = join(dir, "four.png");
    const svg = join(dir, "four.svg");
    const [a, b] = await Promise.all([ismm(["plot", "-m", four.model, four.data, "-o", png]), ismm(["plot", "-m", four.model, four.data, "-o", svg])]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    checkPng(png);
    const texts = svgTexts(readFileSync(svg, "utf8"));
    for (const t of ["expert 1", "expert 2", "expert 3", "observed y", "predicted mean of y", "gate probability", "MAP expert / gate of expert"]) assert.ok(texts.includes(t), `no text ${JSON.stringify(t)}`);
    const dirTitle = texts.find((t) => t.startsWith("gate direction: "));
    assert.ok(dirTitle !== undefined && /x[1-4]/.test(dirTitle) && dirTitle.endsWith("(features in sd units)"), String(dirTitle));
  });

  it("--prequential draws the log of fit --prequential-out", async () => {
    const png = join(dir, "preq.png");
    const svg = join(dir, "preq.svg");
    const [a, b] = await Promise.all([ismm(["plot", "--prequential", one.preq, "-o", png]), ismm(["plot", "--prequential", one.preq, "-o", svg])]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    checkPng(png);
    const texts = svgTexts(readFileSync(svg, "utf8"));
    for (const t of ["running mean (all rows so far)", "window (rows since the previous line)", "NLL per row (nats, data units)"]) assert.ok(texts.includes(t), `no text ${JSON.stringify(t)}`);
  });

  it("the chart packages load only for plot: fit imports none of vega, vega-lite, resvg", () => {
    // A resolve hook that reports every import of the chart packages.
    const hook = "export async function resolve(s, c, next) { if (/^(vega|vega-lite|@resvg\\/resvg-js)$/.test(s)) process.stderr.write('LOADED ' + s + '\\n'); return next(s, c); }";
    const register = `import { register } from "node:module"; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)}, ${JSON.stringify(pathToFileURL(MAIN).href)});`;
    const run = (args: string[]): string =>
      spawnSync(process.execPath, ["--import", `data:text/javascript,${encodeURIComponent(register)}`, "--import", "tsx", MAIN, ...args], { encoding: "utf8" }).stderr;
    assert.doesNotMatch(run(["fit", one.data, "-t", "y", "-o", join(dir, "lazy.json"), "--init-rows", "400"]), /LOADED/);
    assert.match(run(["plot", "-m", one.model, one.data, "-o", join(dir, "lazy.svg")]), /LOADED vega/);
  });

  it("usage errors exit 2 and write nothing", async () => {
    const out = join(dir, "bad.gif");
    const r1 = await ismm(["plot", "-m", one.model, one.data, "-o", out]);
    assert.equal(r1.code, 2);
    assert.match(r1.stderr, /--out must end in \.png or \.svg/);
    const r2 = await ismm(["plot", "-m", one.model, one.data, "--prequential", one.preq, "-o", join(dir, "x.png")]);
    assert.equal(r2.code, 2);
    const r3 = await ismm(["plot", "-m", one.model, "-o", join(dir, "y.png")]);
    assert.equal(r3.code, 2);
    for (const f of [out, join(dir, "x.png"), join(dir, "y.png")]) assert.equal(existsSync(f), false);
  });
});
