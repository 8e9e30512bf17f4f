/**
 * The demo page: settings (URL parameters `scenario`, `rows`, `seed` start a run directly), the
 * Web Worker that runs the race, and the drawing. When a run ends, `<body data-status="done">`
 * and `#nll` holds ISMM's held-out NLL; `window.demoResult` holds the figures for scripts.
 */
import { EXPERT_COLOUR, fitChart, lineChart, METHOD_COLOUR, type Series } from "./charts.js";
import { raceCsv, raceSynthetic, type Race, type RaceResult, type RaceState } from "./engine.js";
import { RACERS, type Racer } from "./racers.js";
import { isScenarioName, SCENARIOS, type ScenarioName } from "./scenarios.js";
import type { WorkerRequest } from "./worker.js";

const MAX_ROWS = 10_000_000;
/** After this long on the page's clock, at least a quarter of it must have passed in real time. */
const WATCHDOG_MS = 2000;

/**
 * A worker that only tells the time (ms since it started, every 50 ms of real time; -1 before its
 * first message). Workers run on real time even when headless Chromium virtualizes the page's.
 */
function startClock(): { elapsed(): number; stop(): void } {
  let elapsed = -1;
  try {
    const url = URL.createObjectURL(new Blob(["const t0 = Date.now(); setInterval(() => postMessage(Date.now() - t0), 50);"], { type: "text/javascript" }));
    const w = new Worker(url);
    w.onmessage = (e: MessageEvent<number>) => (elapsed = e.data);
    return { elapsed: () => elapsed, stop: () => (w.terminate(), URL.revokeObjectURL(url)) };
  } catch {
    return { elapsed: () => elapsed, stop: () => undefined };
  }
}

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

/** Figures of the last finished run, for scripts (the browser test and web/bench.ts read them). */
export interface DemoResult {
  readonly label: string;
  readonly rows: number;
  readonly heldOut: Record<Racer, number>;
  readonly heldOutRows: number;
  readonly truthNll: number | null;
  readonly rate: Record<Racer, number>;
  readonly prequential: Record<Racer, number>;
  readonly curvePoints: number;
  readonly stopped: boolean;
  /** Where the race ran: the Web Worker, or the page's thread (fallback). */
  readonly runner: "worker" | "page";
}
declare global {
  interface Window {
    demoResult?: DemoResult;
  }
}

function fmtNll(v: number | null): string {
  return v === null || !Number.isFinite(v) ? "–" : v.toFixed(4);
}

function fmtRate(v: number): string {
  if (!Number.isFinite(v)) return "–";
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)} M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(0)} k`;
  return v.toFixed(0);
}

function fmtInt(v: number): string {
  return v.toLocaleString("en-US");
}

type Settings = { kind: "scenario"; scenario: ScenarioName; rows: number; seed: number } | { kind: "csv"; file: File; K: number; seed: number; target: string };

class Demo {
  private worker: Worker | null = null;
  private latest: RaceState | null = null;
  private drawPending = false;
  private models: Record<Racer, string> | null = null;
  private fileName = "";
  /** Bumped by every start: a stale run (worker or page thread) is ignored. */
  private runId = 0;
  private stopHere = false;

  constructor() {
    $("run").addEventListener("click", () => this.runFromForm());
    $("stop").addEventListener("click", () => {
      this.stopHere = true;
      this.worker?.postMessage({ type: "stop" } satisfies WorkerRequest);
    });
    $("scenario").addEventListener("change", () => this.showScenario());
    for (const r of RACERS) $(`dl-${r}`).addEventListener("click", () => this.download(r));
    const file = $<HTMLInputElement>("file");
    file.addEventListener("change", () => {
      if (file.files?.[0]) this.startCsv(file.files[0]);
    });
    const drop = $("drop");
    drop.addEventListener("dragover", (e) => {
      e.preventDefault();
      drop.classList.add("over");
    });
    drop.addEventListener("dragleave", () => drop.classList.remove("over"));
    drop.addEventListener("drop", (e) => {
      e.preventDefault();
      drop.classList.remove("over");
      const f = e.dataTransfer?.files[0];
      if (f) this.startCsv(f);
    });
    window.addEventListener("resize", () => this.scheduleDraw());
  }

  /** Reads the URL parameters; starts a run unless they are invalid. */
  boot(): void {
    const params = new URLSearchParams(location.search);
    const scenario = params.get("scenario") ?? "s1";
    const rows = params.get("rows") ?? "50000";
    const seed = params.get("seed") ?? "1";
    const problem = !isScenarioName(scenario)
      ? `unknown scenario '${scenario}' in the URL; use one of ${Object.keys(SCENARIOS).join(", ")}`
      : !/^\d+$/.test(rows) || +rows < 100 || +rows > MAX_ROWS
        ? `rows must be an integer from 100 to ${fmtInt(MAX_ROWS)}; the URL has rows=${rows}`
        : !/^\d+$/.test(seed) || +seed > 2 ** 31
          ? `seed must be a non-negative integer; the URL has seed=${seed}`
          : null;
    if (isScenarioName(scenario)) $<HTMLSelectElement>("scenario").value = scenario;
    $<HTMLInputElement>("rows").value = /^\d+$/.test(rows) ? rows : "50000";
    $<HTMLInputElement>("seed").value = /^\d+$/.test(seed) ? seed : "1";
    this.showScenario();
    if (problem) return this.fail(problem);
    this.start({ kind: "scenario", scenario: scenario as ScenarioName, rows: +rows, seed: +seed });
  }

  private showScenario(): void {
    const v = $<HTMLSelectElement>("scenario").value;
    document.body.classList.toggle("csv", v === "csv");
    $("blurb").textContent = isScenarioName(v)
      ? SCENARIOS[v].blurb
      : "Your own data: drop a CSV file below. ISMM and Adam learn it in file order, one row at a time.";
  }

  private runFromForm(): void {
    const v = $<HTMLSelectElement>("scenario").value;
    const seed = Math.max(0, Math.floor(+$<HTMLInputElement>("seed").value || 0));
    if (v === "csv") {
      const f = $<HTMLInputElement>("file").files?.[0];
      if (f) this.startCsv(f);
      else this.fail("choose or drop a CSV file first");
      return;
    }
    const rows = Math.floor(+$<HTMLInputElement>("rows").value);
    if (!(rows >= 100 && rows <= MAX_ROWS)) return this.fail(`rows must be an integer from 100 to ${fmtInt(MAX_ROWS)}`);
    if (!isScenarioName(v)) return;
    history.replaceState(null, "", `?scenario=${v}&rows=${rows}&seed=${seed}`);
    this.start({ kind: "scenario", scenario: v, rows, seed });
  }

  private startCsv(file: File): void {
    $<HTMLSelectElement>("scenario").value = "csv";
    this.showScenario();
    const K = Math.min(8, Math.max(1, Math.floor(+$<HTMLInputElement>("experts").value || 2)));
    const seed = Math.max(0, Math.floor(+$<HTMLInputElement>("seed").value || 0));
    this.start({ kind: "csv", file, K, seed, target: $<HTMLInputElement>("target").value.trim() });
  }

  private start(s: Settings): void {
    this.worker?.terminate();
    this.worker = null;
    this.latest = null;
    this.models = null;
    window.demoResult = undefined;
    document.body.dataset.status = "running";
    document.body.classList.toggle("real", s.kind === "csv");
    for (const id of ["nll", "nll-adam", "nll-truth", "rate-ismm", "rate-adam", "preq-ismm", "preq-adam"]) $(id).textContent = "–";
    for (const r of RACERS) $<HTMLButtonElement>(`dl-${r}`).disabled = true;
    $<HTMLButtonElement>("stop").disabled = false;
    $("bar").style.width = "0";
    $("truth-note").textContent =
      s.kind === "csv"
        ? "Real data: the generating model is unknown."
        : "The best any model can do on average: the gap to it is what is left to learn.";
    this.fileName = s.kind === "csv" ? s.file.name.replace(/\.[^.]*$/, "") : `${s.scenario}-seed${s.seed}`;
    this.status(s.kind === "csv" ? `Reading ${s.file.name}…` : `Streaming ${fmtInt(s.rows)} rows of ${SCENARIOS[s.scenario].title}…`);
    const run = ++this.runId;
    let worker: Worker;
    try {
      worker = new Worker(new URL("worker.js", document.baseURI), { type: "module" });
    } catch {
      return void this.runHere(s, run, "this browser cannot start a module worker");
    }
    this.worker = worker;
    worker.onmessage = (e: MessageEvent) => {
      if (worker !== this.worker) return;
      const m = e.data as
        | { type: "progress"; state: RaceState }
        | { type: "done"; result: RaceResult; stopped: boolean }
        | { type: "error"; message: string };
      if (m.type === "progress") this.progress(m.state);
      else if (m.type === "done") this.done(m.result, m.stopped, "worker");
      else this.fail(m.message);
    };
    worker.onerror = (e) => {
      e.preventDefault();
      if (worker === this.worker) this.runHere(s, run, `the worker did not load (${e.message || "worker.js"})`);
    };
    // Watchdog: if the page's clock runs far ahead of real time as told by a tiny clock worker
    // (headless Chromium's virtual time fast-forwards the page's timers while the page waits for
    // the worker), or no worker can even start, the race moves to the page's thread, where it
    // still runs to the end. A busy race worker cannot be the clock: it answers between batches.
    const clock = startClock();
    setTimeout(() => {
      const real = clock.elapsed();
      clock.stop();
      if (worker === this.worker && real < WATCHDOG_MS / 4) this.runHere(s, run, "the page's timers run ahead of real time");
    }, WATCHDOG_MS);
    const req: WorkerRequest =
      s.kind === "csv"
        ? { type: "csv", file: s.file, K: s.K, seed: s.seed, target: s.target || undefined }
        : { type: "start", scenario: s.scenario, rows: s.rows, seed: s.seed };
    worker.postMessage(req);
  }

  /** The race on the page's own thread (fallback), yielding to the page between batches. */
  private async runHere(s: Settings, run: number, why: string): Promise<void> {
    this.worker?.terminate();
    this.worker = null;
    this.stopHere = false;
    this.status(`Running on the page's thread: ${why}…`);
    let batches = 0;
    let last = performance.now();
    const tick = async (race: Race): Promise<boolean> => {
      if (run !== this.runId) return true;
      if (++batches % 8 === 0 || performance.now() - last > 100) {
        last = performance.now();
        this.progress(race.state());
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      return this.stopHere || run !== this.runId;
    };
    try {
      const result =
        s.kind === "csv"
          ? await raceCsv({ input: s.file.stream(), label: s.file.name, K: s.K, seed: s.seed, target: s.target || undefined }, tick)
          : await raceSynthetic(s.scenario, s.rows, s.seed, tick);
      if (run === this.runId) this.done(result, this.stopHere, "page");
    } catch (err) {
      if (run === this.runId) this.fail(err instanceof Error ? err.message : String(err));
    }
  }

  private status(text: string): void {
    $("status").textContent = text;
  }

  private fail(message: string): void {
    this.worker?.terminate();
    this.worker = null;
    $<HTMLButtonElement>("stop").disabled = true;
    document.body.dataset.status = "error";
    this.status(`Error: ${message}`);
  }

  private progress(s: RaceState): void {
    this.latest = s;
    this.cards(s);
    const where = s.total ? `${fmtInt(s.rows)} of ${fmtInt(s.total)} rows` : `${fmtInt(s.rows)} rows`;
    const init = Number.isFinite(s.initMs.ismm) ? "" : " — buffering rows for the initialization";
    this.status(`Learning: ${where}${init}…`);
    if (s.total) $("bar").style.width = `${(100 * s.rows) / s.total}%`;
    this.scheduleDraw();
  }

  private cards(s: RaceState): void {
    for (const r of RACERS) {
      $(`rate-${r}`).textContent = fmtRate(s.rate[r]);
      $(`preq-${r}`).textContent = fmtNll(s.prequential[r]);
    }
    $("nll-truth").textContent = fmtNll(s.truthNll);
  }

  private done(r: RaceResult, stopped: boolean, runner: "worker" | "page"): void {
    this.latest = r;
    this.models = r.modelJson;
    this.worker?.terminate();
    this.worker = null;
    this.cards(r);
    $("nll").textContent = fmtNll(r.heldOut.ismm);
    $("nll-adam").textContent = fmtNll(r.heldOut.adam);
    for (const m of RACERS) $<HTMLButtonElement>(`dl-${m}`).disabled = false;
    $<HTMLButtonElement>("stop").disabled = true;
    $("bar").style.width = "100%";
    const gap = r.truthNll === null ? "" : ` (ISMM ${fmtGap(r.heldOut.ismm - r.truthNll)}, Adam ${fmtGap(r.heldOut.adam - r.truthNll)} above the truth)`;
    this.status(`${stopped ? "Stopped" : "Done"}: ${fmtInt(r.rows)} rows learned, held-out NLL on ${fmtInt(r.heldOutRows)} rows${gap}.`);
    this.draw();
    window.demoResult = {
      label: r.label, rows: r.rows, heldOut: r.heldOut, heldOutRows: r.heldOutRows, truthNll: r.truthNll,
      rate: r.rate, prequential: r.prequential, curvePoints: r.curve.length, stopped, runner,
    };
    document.body.dataset.runner = runner;
    document.body.dataset.status = "done";
  }

  private download(r: Racer): void {
    if (!this.models) return;
    const blob = new Blob([this.models[r] + "\n"], { type: "application/json" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `${r}-${this.fileName}.json`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  private scheduleDraw(): void {
    if (this.drawPending) return;
    this.drawPending = true;
    requestAnimationFrame(() => {
      this.drawPending = false;
      this.draw();
    });
  }

  private draw(): void {
    const s = this.latest;
    if (!s) return;
    const xs = s.curve.map((p) => p.rows);
    const xr: [number, number] = [0, Math.max(s.total ?? s.rows, 1)];
    if (s.truthNll !== null) {
      // Excess over the truth on the same rows: the rows' own noise cancels, what is left is learning.
      // Bold: running mean since the initialization; thin: recent rows (exponential moving average
      // over windows, weight 1/4 for the newest, so about the last 4 windows).
      const series: Series[] = [];
      for (const r of RACERS) {
        const win = s.curve.map((p) => p[r] - p.truth);
        let sum = 0;
        let rows = 0;
        let ema = NaN;
        const run: number[] = [];
        const recent: number[] = [];
        win.forEach((v, i) => {
          if (!Number.isFinite(v)) {
            run.push(NaN);
            recent.push(NaN);
            return;
          }
          const w = s.curve[i].rows - (i > 0 ? s.curve[i - 1].rows : 0);
          sum += v * w;
          rows += w;
          ema = Number.isFinite(ema) ? ema + 0.25 * (v - ema) : v;
          run.push(sum / rows);
          recent.push(ema);
        });
        series.push({ label: r, colour: `${METHOD_COLOUR[r]}77`, xs, ys: recent, width: 1.2, scale: false });
        series.push({ label: r, colour: METHOD_COLOUR[r], xs, ys: run, width: 2.5 });
      }
      series.push({ label: "truth", colour: METHOD_COLOUR.truth, xs: xr, ys: [0, 0], dash: [6, 5] });
      lineChart($<HTMLCanvasElement>("curve"), series, xr, { x: "rows seen", y: "excess NLL" }, false);
      $("curve-title").textContent = "Prequential excess NLL";
      $("curve-hint").textContent =
        `each row is scored before it is learned: the model's loss minus the truth's on the same rows (nats/row); ` +
        `bold: running mean since the initialization, thin: recent rows (moving average of ${fmtInt(s.window)}-row windows); 0 is the truth`;
    } else {
      const series: Series[] = RACERS.map((r) => ({ label: r, colour: METHOD_COLOUR[r], xs, ys: s.curve.map((p) => p[r]) }));
      lineChart($<HTMLCanvasElement>("curve"), series, xr, { x: "rows seen", y: "NLL (nats/row)" });
      $("curve-title").textContent = "Prequential NLL";
      $("curve-hint").textContent = `each row is scored before it is learned; mean over windows of ${fmtInt(s.window)} rows; lower is better`;
    }
    for (const r of RACERS) fitChart($<HTMLCanvasElement>(`fit-${r}`), s.fit, r, { x: s.featureNames, y: s.targetName });
    document.body.classList.toggle("fit2d", s.fit.kind === "2d");
    const legend = $("expert-legend");
    if (legend.childElementCount !== (s.fit.kind === "none" ? 0 : s.K)) {
      legend.replaceChildren();
      if (s.fit.kind !== "none") {
        for (let k = 0; k < s.K; k++) {
          const item = document.createElement("span");
          const sw = document.createElement("i");
          sw.className = "swatch";
          sw.style.background = EXPERT_COLOUR[k % EXPERT_COLOUR.length];
          item.append(sw, `expert ${k + 1}`);
          legend.append(item);
        }
      }
    }
    $("fit-legend").textContent =
      s.fit.kind === "1d"
        ? "Solid lines: the model's experts, bold where its gate picks them; dashed: the truth; grey dots: the latest rows; " +
          "lower panels: the gate probabilities πₖ(x). Fitted experts take the colour of the true expert they match."
        : s.fit.kind === "2d"
          ? "Each colour is one expert; a map shows which expert the gate makes most likely at each point " +
            "(fitted experts take the colour of the true expert they match)."
          : "";
  }
}

function fmtGap(v: number): string {
  return `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(4)}`;
}

new Demo().boot();
