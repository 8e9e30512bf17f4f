/**
 * The chart library (src/plot) and the benchmark's plot step: synthetic learning curves ->
 * SVG/PNG files. Set PLOT_DEMO_DIR=/some/dir to keep the rendered files for inspection.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  buildBenchmarkCharts,
  buildFitted1dSpec,
  formatCurveCsv,
  formatCurveNdjson,
  logAxis,
  missingGlyphs,
  methodLabel,
  parseCurveNdjson,
  plotFitted1d,
  renderVegaLite,
  selectBestConfigs,
  symlogTicks,
  validateFitted1d,
  vegaLiteToSvg,
  type CurveRow as BenchRow,
  type Fitted1dData,
} from "../../src/index.js";
import { main } from "../../bench/plot/main.js";

// ---------------------------------------------------------------------------
// Deterministic synthetic benchmark results (no RNG: smooth formulas + sin "noise")
// ---------------------------------------------------------------------------

const CHECKPOINTS = [0, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000];
const REPS = 3;

interface MethodModel {
  method: string;
  config: string;
  scale: number; // size of the initial excess
  rate: number; // power-law decay exponent
  floor: number; // asymptotic excess
  costPerSample: number; // seconds per sample
  divergeAfter?: number; // NaN from this many samples on
}

function wiggle(rep: number, i: number, amp: number): number {
  return 1 + amp * Math.sin(1.7 * rep + 0.9 * i + 0.3 * rep * i);
}

function streamingRows(scenario: string, m: MethodModel, realData: boolean): BenchRow[] {
  const rows: BenchRow[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    CHECKPOINTS.forEach((samples, i) => {
      const base = m.scale * Math.pow((samples + 50) / 50, -m.rate) + m.floor;
      let excess = base * wiggle(rep, i, 0.12);
      if (realData) excess -= 0.02; // real data: the reference fit can be beaten -> negative values
      const diverged = m.divergeAfter !== undefined && samples >= m.divergeAfter;
      const nll = diverged ? NaN : excess;
      rows.push({
        scenario,
        method: m.method,
        config: m.config,
        rep,
        samples,
        seconds: samples * m.costPerSample * (1 + 0.05 * rep) + 0.002,
        test_nll: diverged ? NaN : 1.25 + nll,
        excess_nll: nll,
        param_error: realData ? null : diverged ? NaN : 0.8 * Math.sqrt(base) * wiggle(rep, i + 3, 0.1),
        test_mse: realData ? (diverged ? NaN : 0.5 + 0.8 * base * wiggle(rep, i + 5, 0.1)) : null,
      });
    });
  }
  return rows;
}

function emRows(scenario: string, realData: boolean): BenchRow[] {
  const n = 5000;
  const epochs = 20;
  return Array.from({ length: REPS }, (_, rep) => ({
    scenario,
    method: "em",
    config: `epochs=${epochs}`,
    rep,
    samples: epochs * n,
    seconds: 1.4 + 0.1 * rep,
    test_nll: 1.25 + 0.004 + 0.001 * rep,
    excess_nll: realData ? -0.01 + 0.001 * rep : 0.004 + 0.001 * rep,
    param_error: realData ? null : 0.05 + 0.005 * rep,
    test_mse: realData ? 0.52 + 0.002 * rep : null,
  }));
}

const MODELS: MethodModel[] = [
  { method: "ismm", config: "alpha=0.6", scale: 0.9, rate: 0.85, floor: 0.002, costPerSample: 4e-5 },
  { method: "ismm", config: "alpha=0.9", scale: 0.9, rate: 0.55, floor: 0.004, costPerSample: 4e-5 },
  { method: "sgd", config: "lr=1e-2", scale: 1.0, rate: 0.35, floor: 0.02, costPerSample: 1e-5 },
  { method: "sgd", config: "lr=1e-1", scale: 1.0, rate: 0.5, floor: 0.01, costPerSample: 1e-5, divergeAfter: 2000 },
  { method: "rmsprop", config: "lr=1e-3", scale: 1.0, rate: 0.45, floor: 0.012, costPerSample: 1.2e-5 },
  { method: "adam", config: "lr=1e-3", scale: 1.0, rate: 0.4, floor: 0.012, costPerSample: 1.3e-5 },
  { method: "adam", config: "lr=3e-3", scale: 1.0, rate: 0.5, floor: 0.008, costPerSample: 1.3e-5 },
  { method: "sophia", config: "lr=1e-3,rho=0.04", scale: 1.0, rate: 0.48, floor: 0.01, costPerSample: 2e-5 },
];

/** Synthetic results: one synthetic scenario (param_error) and one real-data-like one (test_mse, negative excess). */
function syntheticRows(): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const m of MODELS) rows.push(...streamingRows("S1-perturbed", m, false));
  rows.push(...emRows("S1-perturbed", false));
  for (const m of MODELS) rows.push(...streamingRows("crime-K2", m, true));
  rows.push(...emRows("crime-K2", true));
  return rows;
}

function syntheticFitted(): Fitted1dData {
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < 200; i++) {
    const xi = -3 + (6 * ((i * 0.6180339887) % 1));
    const g = 1 / (1 + Math.exp(-3 * xi));
    const noise = 0.35 * Math.sin(12.9898 * i + 78.233) * Math.cos(4.1 * i);
    y.push(g * (1.5 * xi - 1) + (1 - g) * (-0.8 * xi + 2) + noise);
    x.push(xi);
  }
  const grid = Array.from({ length: 61 }, (_, g) => -3 + g * 0.1);
  const e1 = grid.map((v) => -0.8 * v + 2);
  const e2 = grid.map((v) => 1.5 * v - 1);
  const p2 = grid.map((v) => 1 / (1 + Math.exp(-3 * v)));
  const p1 = p2.map((p) => 1 - p);
  const mean = grid.map((_, g) => p1[g] * e1[g] + p2[g] * e2[g]);
  return { x, y, grid, experts: [e1, e2], gate: [p1, p2], mean };
}

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

async function outDir(name: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const demo = process.env.PLOT_DEMO_DIR;
  if (demo) {
    const dir = path.join(demo, name);
    await mkdir(dir, { recursive: true });
    return { dir, cleanup: async () => {} };
  }
  const dir = await mkdtemp(path.join(tmpdir(), `ismm-plot-${name}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Text content of every <text> element; multi-line texts give one entry per <tspan> line. */
function svgTexts(svg: string): string[] {
  const unescape = (t: string): string =>
    t.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");
  const out: string[] = [];
  for (const m of svg.matchAll(/<text[^>]*>([\s\S]*?)<\/text>/g)) {
    const inner = m[1];
    const spans = [...inner.matchAll(/<tspan[^>]*>([^<]*)<\/tspan>/g)].map((t) => t[1]);
    out.push(...(spans.length > 0 ? spans : [inner.replace(/<[^>]*>/g, "")]).map(unescape));
  }
  return out;
}

async function checkPng(file: string, svgWidth?: number): Promise<void> {
  const png = await readFile(file);
  assert.ok(png.subarray(0, 8).equals(PNG_SIGNATURE), `${file}: bad PNG signature`);
  assert.ok(png.length > 20_000, `${file}: PNG suspiciously small (${png.length} bytes)`);
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  assert.ok(width >= 1000 && height >= 500, `${file}: PNG is ${width}×${height}`);
  if (svgWidth !== undefined) assert.equal(width, Math.round(svgWidth * 2));
}

// ---------------------------------------------------------------------------
// tests
// ---------------------------------------------------------------------------

test("rows round-trip through NDJSON, including configs with commas, null metrics and NaN; CSV quotes", () => {
  const rows = syntheticRows();
  assert.match(formatCurveCsv(rows), /"lr=1e-3,rho=0.04"/);
  assert.match(formatCurveCsv(rows), /^scenario,method,config,rep,samples,seconds,test_nll,excess_nll,param_error,test_mse\n/);
  const text = formatCurveNdjson(rows);
  assert.match(text, /"NaN"/);
  const back = parseCurveNdjson(text);
  assert.equal(back.length, rows.length);
  for (let i = 0; i < rows.length; i += 37) {
    const a = rows[i];
    const b = back[i];
    for (const k of Object.keys(a) as (keyof BenchRow)[]) {
      const va = a[k];
      const vb = b[k];
      if (typeof va === "number" && Number.isNaN(va)) assert.ok(Number.isNaN(vb as number));
      else assert.equal(vb, va, `row ${i} column ${k}`);
    }
  }
  assert.throws(() => parseCurveNdjson('{"scenario":"S1","method":"ismm"}\n'), /line 1: 'config' must be a string/);
  assert.throws(
    () => parseCurveNdjson(formatCurveNdjson(rows.slice(0, 2)).replace(/"rep":0/, '"rep":"x"')),
    /line 1: 'rep' must be a number, got "x"/,
  );
  assert.throws(() => parseCurveNdjson("{oops\n"), /line 1: not JSON/);
});

test("best config per method: lowest final mean metric, diverged configs lose", () => {
  const rows = syntheticRows().filter((r) => r.scenario === "S1-perturbed");
  const best = selectBestConfigs(rows, "excess_nll");
  assert.equal(best.get("adam"), "lr=3e-3");
  assert.equal(best.get("sgd"), "lr=1e-2"); // lr=1e-1 ends in NaN
  assert.equal(best.get("ismm"), "alpha=0.6");
  assert.equal(methodLabel("adam", "lr=3e-3"), "adam (lr=3e-3)");
  assert.equal(methodLabel("em", "epochs=20"), "batch EM");
  assert.equal(methodLabel("ismm", ""), "ismm");
});

test("diverged (non-finite) points are omitted and reported in the subtitle", () => {
  const rows = syntheticRows().filter((r) => r.scenario === "S1-perturbed" && (r.method === "em" || r.config === "lr=1e-1"));
  const [chart] = buildBenchmarkCharts(rows);
  const title = (chart.spec as { title: { subtitle: string[] } }).title;
  assert.ok(title.subtitle.some((s) => /non-finite values \(diverged\) omitted/.test(s)), JSON.stringify(title.subtitle));
});

test("chart set per scenario depends on which metrics are present", () => {
  const names = buildBenchmarkCharts(syntheticRows()).map((c) => c.name);
  assert.deepEqual(names, [
    "S1-perturbed-nll-vs-samples",
    "S1-perturbed-nll-vs-seconds",
    "S1-perturbed-param-error-vs-samples",
    "crime-K2-nll-vs-samples",
    "crime-K2-nll-vs-seconds",
    "crime-K2-mse-vs-samples",
  ]);
});

test("the bench plot step renders every chart from results.ndjson to SVG + PNG", async () => {
  const { dir, cleanup } = await outDir("bench");
  try {
    const results = path.join(dir, "results.ndjson");
    await writeFile(results, formatCurveNdjson(syntheticRows()));
    const logs: string[] = [];
    const written = await main(["--in", results, "--out", dir], (s) => logs.push(s));
    assert.equal(written.length, 12);
    for (const f of written) assert.ok((await stat(f)).size > 0, f);

    const expectLabels = ["ismm (alpha=0.6)", "batch EM", "adam (lr=3e-3)", "rmsprop (lr=1e-3)", "sgd (lr=1e-2)", "sophia (lr=1e-3,rho=0.04)"];
    for (const f of written.filter((w) => w.endsWith(".svg"))) {
      const svg = await readFile(f, "utf8");
      assert.match(svg, /^<svg /);
      assert.match(svg, /font-family="Roboto/);
      const texts = svgTexts(svg);
      for (const label of expectLabels) assert.ok(texts.includes(label), `${path.basename(f)}: no legend text ${JSON.stringify(label)}`);
      assert.ok(!texts.some((t) => t.includes("lr=1e-1")), "diverged config must not be plotted");
      assert.deepEqual(missingGlyphs(texts.join(" ")), [], `${path.basename(f)}: glyphs missing from the bundled font`);
      const width = Number(/width="([\d.]+)"/.exec(svg)?.[1]);
      await checkPng(f.replace(/\.svg$/, ".png"), width);
    }
    const crime = svgTexts(await readFile(path.join(dir, "crime-K2-nll-vs-samples.svg"), "utf8"));
    assert.ok(crime.some((t) => t.startsWith("excess test NLL") && t.includes("symlog") && t.includes("≤ 0")), "negative excess NLL must switch to a labelled symlog axis");
    const s1 = svgTexts(await readFile(path.join(dir, "S1-perturbed-nll-vs-samples.svg"), "utf8"));
    assert.ok(s1.some((t) => t.includes("log scale") && t.startsWith("excess test NLL")));
    assert.ok(s1.some((t) => t.includes("min–max across reps")));
  } finally {
    await cleanup();
  }
});

test("rendering is deterministic", async () => {
  const [chart] = buildBenchmarkCharts(syntheticRows());
  const { dir, cleanup } = await outDir("determinism");
  try {
    const a = await renderVegaLite(chart.spec, path.join(dir, "a"));
    const b = await renderVegaLite(chart.spec, path.join(dir, "b"));
    assert.equal(await readFile(a.svg, "utf8"), await readFile(b.svg, "utf8"));
    assert.ok((await readFile(a.png)).equals(await readFile(b.png)));
  } finally {
    await cleanup();
  }
});

test("fitted-1d: two-panel chart with experts, mixture mean and gates", async () => {
  const { dir, cleanup } = await outDir("fitted");
  try {
    const data = syntheticFitted();
    const out = await plotFitted1d(data, path.join(dir, "fitted-1d"));
    const svg = await readFile(out.svg, "utf8");
    const texts = svgTexts(svg);
    for (const t of ["expert 1", "expert 2", "mixture mean E[y | x]", "gate probability", "y (response)", "0.25", "0.75"]) {
      assert.ok(texts.includes(t), `missing text ${t}`);
    }
    assert.deepEqual(missingGlyphs(texts.join(" ")), []);
    await checkPng(out.png, out.width);

    // via the CLI too
    const json = path.join(dir, "fitted.json");
    await writeFile(json, JSON.stringify(data));
    const written = await main(["--fitted", json, "--out", path.join(dir, "cli"), "--quiet"]);
    assert.deepEqual(written.map((w) => path.basename(w)), ["fitted-1d.svg", "fitted-1d.png"]);
  } finally {
    await cleanup();
  }
});

test("fitted-1d input is validated", () => {
  const d = syntheticFitted();
  assert.throws(() => validateFitted1d({ ...d, mean: d.mean.slice(1) }), /mean has 60 values, grid has 61/);
  assert.throws(() => validateFitted1d({ ...d, gate: [d.gate[0]] }), /experts has K=2 rows but gate has 1/);
  assert.throws(() => validateFitted1d({ ...d, y: "no" }), /'y' must be an array of numbers/);
  assert.ok(buildFitted1dSpec(d));
});

test("SVG rendering does not depend on the order of previous renders", async () => {
  const charts = buildBenchmarkCharts(syntheticRows());
  const first = await vegaLiteToSvg(charts[1].spec);
  await vegaLiteToSvg(charts[0].spec);
  assert.equal(await vegaLiteToSvg(charts[1].spec), first);
});

test("axis tick helpers", () => {
  assert.deepEqual(logAxis(0.004, 0.7), { domain: [0.004, 0.7], ticks: [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5] });
  assert.deepEqual(logAxis(0.505, 1.05), { domain: [0.5, 1.2], ticks: [0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.2] });
  assert.ok(logAxis(1e-9, 1e3).ticks.length <= 8);
  const flat = logAxis(0.3, 0.3);
  assert.ok(flat.domain[0] < 0.3 && flat.domain[1] > 0.3 && flat.ticks.length >= 1);
  const t = symlogTicks(-0.017, 1.05, 0.01);
  assert.ok(t.includes(0) && t.includes(-0.01) && t.includes(1) && t.includes(0.1));
  assert.deepEqual([...t].sort((a, b) => a - b), t);
});

test("CLI usage errors", async () => {
  await assert.rejects(main(["--in", "x.csv"]), /--out <dir> is required/);
  await assert.rejects(main(["--out", "d"]), /give --in/);
  await assert.rejects(main(["--bogus"]), /unknown argument/);
});
