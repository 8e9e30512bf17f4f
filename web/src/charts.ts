/**
 * Hand-drawn canvas charts for the demo page (no chart library): a line chart with axes, and the
 * fitted experts / gate of 1-D data or the most-likely-expert maps of 2-D data.
 */
import type { FitView } from "./engine.js";
import type { Racer } from "./racers.js";

export const METHOD_COLOUR: Record<Racer | "truth", string> = { ismm: "#1c64d8", adam: "#e8590c", truth: "#495057" };
/** Expert colours (colour k = truth expert k; fitted experts are matched to these). */
export const EXPERT_COLOUR = ["#0ca678", "#7048e8", "#d6336c", "#f59f00", "#1098ad", "#74b816", "#ae3ec9", "#868e96"];
const INK = "#212529";
const MUTED = "#6c757d";
const GRID = "#e9ecef";
const FONT = "12px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";

/** Sizes the canvas backing store to its CSS box × devicePixelRatio; returns the 2-D context in CSS pixels. */
function setup(canvas: HTMLCanvasElement): { ctx: CanvasRenderingContext2D; w: number; h: number } {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext("2d") as CanvasRenderingContext2D;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  ctx.font = FONT;
  return { ctx, w, h };
}

/** About `n` round tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

function fmtTick(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toPrecision(4)}`;
}

interface Frame {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  xs: (v: number) => number;
  ys: (v: number) => number;
}

/** Axes with ticks, grid and labels in the box; returns the data→pixel maps. */
function axes(
  ctx: CanvasRenderingContext2D, box: { x: number; y: number; w: number; h: number },
  xr: [number, number], yr: [number, number], labels: { x?: string; y?: string }, opts: { xTicks?: boolean } = {},
): Frame {
  const x0 = box.x + 48;
  const x1 = box.x + box.w - 10;
  const y0 = box.y + box.h - (opts.xTicks === false ? 8 : labels.x ? 36 : 22);
  const y1 = box.y + 8;
  const xs = (v: number) => x0 + ((v - xr[0]) / (xr[1] - xr[0])) * (x1 - x0);
  const ys = (v: number) => y0 - ((v - yr[0]) / (yr[1] - yr[0])) * (y0 - y1);
  ctx.lineWidth = 1;
  ctx.strokeStyle = GRID;
  ctx.fillStyle = MUTED;
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const t of ticks(yr[0], yr[1], Math.max(2, Math.floor((y0 - y1) / 40)))) {
    ctx.beginPath();
    ctx.moveTo(x0, ys(t));
    ctx.lineTo(x1, ys(t));
    ctx.stroke();
    ctx.fillText(fmtTick(t), x0 - 6, ys(t));
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const t of ticks(xr[0], xr[1], Math.max(2, Math.floor((x1 - x0) / 80)))) {
    ctx.beginPath();
    ctx.moveTo(xs(t), y0);
    ctx.lineTo(xs(t), y1);
    ctx.stroke();
    if (opts.xTicks !== false) ctx.fillText(fmtTick(t), xs(t), y0 + 5);
  }
  ctx.strokeStyle = "#adb5bd";
  ctx.beginPath();
  ctx.moveTo(x0, y1);
  ctx.lineTo(x0, y0);
  ctx.lineTo(x1, y0);
  ctx.stroke();
  ctx.fillStyle = INK;
  if (labels.x) ctx.fillText(labels.x, (x0 + x1) / 2, y0 + 21);
  if (labels.y) {
    ctx.save();
    ctx.translate(box.x + 11, (y0 + y1) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle";
    ctx.fillText(labels.y, 0, 0);
    ctx.restore();
  }
  return { x0, y0, x1, y1, xs, ys };
}

export interface Series {
  readonly label: string;
  readonly colour: string;
  readonly xs: readonly number[];
  readonly ys: readonly number[];
  readonly dash?: readonly number[];
  readonly width?: number;
  /** Whether the y range must cover this series (default true); others are clipped. */
  readonly scale?: boolean;
}

/** A line chart; the y range covers the scaled series' finite values (robust: early spikes are clipped). */
export function lineChart(
  canvas: HTMLCanvasElement, series: readonly Series[], xr: [number, number], labels: { x: string; y: string }, robust = true,
): void {
  const { ctx, w, h } = setup(canvas);
  const vals = series.flatMap((s) => (s.scale === false ? [] : s.ys.filter(Number.isFinite))).sort((a, b) => a - b);
  if (vals.length === 0) {
    axes(ctx, { x: 0, y: 0, w, h }, xr, [0, 1], labels);
    ctx.fillStyle = MUTED;
    ctx.textAlign = "center";
    ctx.fillText("waiting for the first rows after initialization…", w / 2, h / 2);
    return;
  }
  // Robust: clip at the 95th percentile + margin so one bad early window does not flatten the curves.
  const lo = vals[0];
  const top = robust ? vals[Math.floor(0.95 * (vals.length - 1))] : vals[vals.length - 1];
  const hi = Math.max(top + (robust ? 0.25 : 0.08) * (top - lo), lo + 1e-3);
  const pad = 0.06 * (hi - lo);
  const f = axes(ctx, { x: 0, y: 0, w, h }, xr, [lo - pad, hi], labels);
  ctx.save();
  ctx.beginPath();
  ctx.rect(f.x0, f.y1, f.x1 - f.x0, f.y0 - f.y1);
  ctx.clip();
  for (const s of series) {
    ctx.strokeStyle = s.colour;
    ctx.lineWidth = s.width ?? 2;
    ctx.setLineDash(s.dash ? [...s.dash] : []);
    ctx.beginPath();
    let pen = false;
    for (let i = 0; i < s.xs.length; i++) {
      const y = s.ys[i];
      if (!Number.isFinite(y)) {
        pen = false;
        continue;
      }
      const X = f.xs(s.xs[i]);
      const Y = f.ys(Math.min(y, hi + pad));
      if (pen) ctx.lineTo(X, Y);
      else ctx.moveTo(X, Y);
      pen = true;
    }
    ctx.stroke();
  }
  ctx.restore();
  ctx.setLineDash([]);
}

function caption(ctx: CanvasRenderingContext2D, text: string, x: number, y: number): void {
  ctx.fillStyle = INK;
  ctx.textAlign = "left";
  ctx.textBaseline = "top";
  ctx.font = `600 ${FONT}`;
  ctx.fillText(text, x, y);
  ctx.font = FONT;
}

/**
 * The fitted experts and gate of one model: recent rows (grey), each expert's mean line (solid,
 * drawn strongly where the gate gives that expert weight), the truth's lines (dashed), and below
 * the gate probabilities π_k(x). For 2-D data: the truth's and the model's most likely expert.
 */
export function fitChart(canvas: HTMLCanvasElement, view: FitView, racer: Racer, names: { x: readonly string[]; y: string }): void {
  const { ctx, w, h } = setup(canvas);
  if (view.kind === "none") {
    ctx.fillStyle = MUTED;
    ctx.textAlign = "center";
    ctx.fillText(`The fitted experts are drawn for 1-D and 2-D inputs (this data has ${view.d}).`, w / 2, h / 2);
    return;
  }
  if (view.kind === "1d") {
    const model = view.models[racer];
    const G = view.x.length;
    const K = model ? model.mean.length / G : view.truth ? view.truth.mean.length / G : 0;
    const xr: [number, number] = [view.x[0], view.x[G - 1]];
    const [ylo, yhi] = Number.isFinite(view.yRange[0]) ? view.yRange : [-1, 1];
    const ypad = 0.05 * (yhi - ylo || 1);
    const topH = Math.round(h * 0.68);
    const f = axes(ctx, { x: 0, y: 0, w, h: topH }, xr, [ylo - ypad, yhi + ypad], { y: names.y }, { xTicks: false });
    ctx.fillStyle = "rgba(73, 80, 87, 0.22)";
    for (let i = 0; i < view.px.length; i++) {
      ctx.beginPath();
      ctx.arc(f.xs(view.px[i]), f.ys(view.py[i]), 1.6, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.save();
    ctx.beginPath();
    ctx.rect(f.x0, f.y1, f.x1 - f.x0, f.y0 - f.y1);
    ctx.clip();
    const line = (vals: Float64Array, k: number, dash: number[], width: number, alpha?: Float64Array) => {
      ctx.strokeStyle = EXPERT_COLOUR[k % EXPERT_COLOUR.length];
      ctx.lineWidth = width;
      ctx.setLineDash(dash);
      for (let g = 1; g < G; g++) {
        ctx.globalAlpha = alpha ? 0.18 + 0.82 * Math.max(alpha[k * G + g - 1], alpha[k * G + g]) : 0.9;
        ctx.beginPath();
        ctx.moveTo(f.xs(view.x[g - 1]), f.ys(vals[k * G + g - 1]));
        ctx.lineTo(f.xs(view.x[g]), f.ys(vals[k * G + g]));
        ctx.stroke();
      }
      ctx.globalAlpha = 1;
    };
    for (let k = 0; k < K; k++) {
      if (view.truth) line(view.truth.mean, k, [5, 4], 1.5);
      if (model) line(model.mean, k, [], 3, model.gate);
    }
    ctx.restore();
    ctx.setLineDash([]);
    const g = axes(ctx, { x: 0, y: topH + 6, w, h: h - topH - 6 }, xr, [0, 1], { x: names.x[0] ?? "x", y: "gate π" });
    for (let k = 0; k < K; k++) {
      const c = EXPERT_COLOUR[k % EXPERT_COLOUR.length];
      const draw = (vals: Float64Array, dash: number[], width: number) => {
        ctx.strokeStyle = c;
        ctx.lineWidth = width;
        ctx.setLineDash(dash);
        ctx.beginPath();
        for (let i = 0; i < G; i++) (i === 0 ? ctx.moveTo : ctx.lineTo).call(ctx, g.xs(view.x[i]), g.ys(vals[k * G + i]));
        ctx.stroke();
      };
      if (view.truth) draw(view.truth.gate, [5, 4], 1.5);
      if (model) draw(model.gate, [], 2.5);
    }
    ctx.setLineDash([]);
    if (!model) {
      ctx.fillStyle = MUTED;
      ctx.textAlign = "center";
      ctx.fillText("initializing from the first rows…", (f.x0 + f.x1) / 2, (f.y0 + f.y1) / 2);
    }
    return;
  }
  // 2-D: truth map and model map side by side.
  const model = view.models[racer];
  const panels: { title: string; map: Uint8Array | null }[] = [];
  if (view.truth) panels.push({ title: "truth", map: view.truth });
  panels.push({ title: racer === "ismm" ? "ISMM" : "Adam", map: model ?? null });
  const gap = 18;
  const side = Math.min((w - 50 - gap * (panels.length - 1)) / panels.length, h - 60);
  panels.forEach((p, i) => {
    const bx = 44 + i * (side + gap);
    const by = 24;
    caption(ctx, p.title, bx, 4);
    if (p.map) {
      const cell = side / view.res;
      for (let r = 0; r < view.res; r++) {
        for (let c = 0; c < view.res; c++) {
          ctx.fillStyle = EXPERT_COLOUR[p.map[r * view.res + c] % EXPERT_COLOUR.length];
          ctx.fillRect(bx + c * cell, by + side - (r + 1) * cell, cell + 0.5, cell + 0.5);
        }
      }
    } else {
      ctx.fillStyle = GRID;
      ctx.fillRect(bx, by, side, side);
      ctx.fillStyle = MUTED;
      ctx.textAlign = "center";
      ctx.fillText("initializing…", bx + side / 2, by + side / 2);
    }
    ctx.strokeStyle = "#adb5bd";
    ctx.strokeRect(bx, by, side, side);
    ctx.fillStyle = MUTED;
    ctx.textBaseline = "top";
    ctx.textAlign = "left";
    ctx.fillText(fmtTick(view.lo[0]), bx, by + side + 4);
    ctx.textAlign = "right";
    ctx.fillText(fmtTick(view.hi[0]), bx + side, by + side + 4);
    ctx.textAlign = "center";
    ctx.fillStyle = INK;
    ctx.fillText(names.x[0] ?? "x1", bx + side / 2, by + side + 4);
    if (i === 0) {
      ctx.save();
      ctx.translate(14, by + side / 2);
      ctx.rotate(-Math.PI / 2);
      ctx.textBaseline = "middle";
      ctx.fillText(names.x[1] ?? "x2", 0, 0);
      ctx.restore();
      ctx.fillStyle = MUTED;
      ctx.textAlign = "right";
      ctx.textBaseline = "bottom";
      ctx.fillText(fmtTick(view.lo[1]), bx - 4, by + side);
      ctx.textBaseline = "top";
      ctx.fillText(fmtTick(view.hi[1]), bx - 4, by);
    }
  });
}
