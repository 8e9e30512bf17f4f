/**
 * The demo's race, without any DOM: ISMM and Adam learn the same rows, in the same order, from
 * the same seed (hence the same buffered initialization), and the race records the prequential
 * (predict-then-learn) NLL of each over windows of rows, each model's learning speed, and views
 * of the fitted experts and gate. Runs in the page's Web Worker and, for the speed comparison,
 * in Node (web/bench.ts).
 */
import {
  MoeRegressor, createRng, openCsvStream, parametersNll, sampleSynthetic, syntheticStream, type ByteStream, type MoeParameters,
} from "../../src/web.js";
import { fitView, type FitView } from "./fit-view.js";
import { RACERS, type Racer } from "./racers.js";
import { SCENARIOS, type ScenarioName } from "./scenarios.js";

export { RACERS, type Racer };
export type { Curves1D, FitView } from "./fit-view.js";

/** Held-out rows of a synthetic scenario. */
export const SYNTHETIC_TEST_ROWS = 5000;
/** A dropped CSV: every 5th row is held out, up to this many (then every row is learned). */
export const CSV_TEST_ROWS = 10000;
/** Rows learned per batch between two looks at the clock / the stop flag. */
const BATCH_ROWS = 500;
/** Recent rows kept for the scatter plot. */
const RECENT_ROWS = 1200;

export interface CurvePoint {
  /** Rows seen at the end of the window. */
  readonly rows: number;
  /** Mean prequential NLL over the window (NaN before initialization). */
  readonly ismm: number;
  readonly adam: number;
  /**
   * The truth's mean NLL on the same rows (synthetic data; NaN otherwise, and for the window
   * holding the initialization, whose rows the models did not all score).
   */
  readonly truth: number;
}

export interface RaceState {
  readonly label: string;
  readonly K: number;
  readonly d: number;
  readonly featureNames: readonly string[];
  readonly targetName: string;
  readonly rows: number;
  /** Rows planned (synthetic), null for a CSV of unknown length. */
  readonly total: number | null;
  readonly window: number;
  readonly curve: readonly CurvePoint[];
  /** Learning speed after the initialization (rows/s), NaN before. */
  readonly rate: Record<Racer, number>;
  /** Time spent in the buffered initialization (ms), NaN before it ran. */
  readonly initMs: Record<Racer, number>;
  /** Cumulative prequential NLL. */
  readonly prequential: Record<Racer, number>;
  /** Truth's expected NLL per row (its held-out NLL), null for real data. */
  readonly truthNll: number | null;
  readonly fit: FitView;
}

export interface RaceResult extends RaceState {
  readonly heldOut: Record<Racer, number>;
  readonly heldOutRows: number;
  /** `JSON.stringify(model.toJSON())` of each model: the file `ismm fit` writes and `ismm predict` reads. */
  readonly modelJson: Record<Racer, string>;
}

/** Called after every batch; return true to stop early. */
export type Tick = (race: Race) => boolean | Promise<boolean>;

interface Setup {
  readonly label: string;
  readonly K: number;
  readonly seed: number;
  readonly d: number;
  readonly featureNames: readonly string[];
  readonly targetName: string;
  readonly truth: MoeParameters | null;
  readonly total: number | null;
  /** Input box for the fit views: known for synthetic data, tracked from the rows otherwise. */
  readonly box: { lo: number[]; hi: number[] } | null;
}

export class Race {
  readonly models: Record<Racer, MoeRegressor>;
  rows = 0;
  readonly curve: CurvePoint[] = [];
  private readonly learnMs: Record<Racer, number> = { ismm: 0, adam: 0 };
  private readonly learnRows: Record<Racer, number> = { ismm: 0, adam: 0 };
  private readonly initMs: Record<Racer, number> = { ismm: NaN, adam: NaN };
  private readonly lastPreq: Record<Racer, { sum: number; count: number }> = { ismm: { sum: 0, count: 0 }, adam: { sum: 0, count: 0 } };
  private nextPoint: number;
  /** Σ of the truth's NLL over the rows of the current window. */
  private truthWindow = 0;
  private readonly ringX: Float64Array;
  private readonly ringY: Float64Array;
  private ringN = 0;
  private readonly lo: number[];
  private readonly hi: number[];
  truthNll: number | null = null;

  constructor(readonly setup: Setup, readonly window: number) {
    const meta = { tool: "ismm", command: "web", source: setup.label, targets: [setup.targetName], features: [...setup.featureNames] };
    const make = (method: Racer) => {
      const m = new MoeRegressor({ nExperts: setup.K, method, seed: setup.seed });
      m.meta = { ...meta };
      return m;
    };
    this.models = { ismm: make("ismm"), adam: make("adam") };
    this.nextPoint = window;
    this.ringX = new Float64Array(RECENT_ROWS * setup.d);
    this.ringY = new Float64Array(RECENT_ROWS);
    this.lo = setup.box ? [...setup.box.lo] : new Array<number>(setup.d).fill(Infinity);
    this.hi = setup.box ? [...setup.box.hi] : new Array<number>(setup.d).fill(-Infinity);
  }

  /** Both models learn rows [0, n) of X (n×d) and Y (n×1), in windows that end on curve points. */
  learn(X: Float64Array, Y: Float64Array, n: number): void {
    const d = this.setup.d;
    let i = 0;
    while (i < n) {
      const m = Math.min(n - i, this.nextPoint - this.rows);
      const xs = X.subarray(i * d, (i + m) * d);
      const ys = Y.subarray(i, i + m);
      for (const r of RACERS) this.learnSegment(r, xs, ys, m);
      if (this.setup.truth) this.truthWindow += m * parametersNll(this.setup.truth, xs, ys, m);
      this.remember(X, Y, i, m);
      this.rows += m;
      i += m;
      if (this.rows >= this.nextPoint) {
        this.addPoint();
        this.nextPoint += this.window;
      }
    }
  }

  private learnSegment(r: Racer, X: Float64Array, Y: Float64Array, m: number): void {
    const model = this.models[r];
    const ready = model.isInitialized;
    const t0 = performance.now();
    model.learnMany(X, Y, m);
    const ms = performance.now() - t0;
    if (ready) {
      this.learnMs[r] += ms;
      this.learnRows[r] += m;
    } else if (model.isInitialized) {
      this.initMs[r] = ms;
    }
  }

  private remember(X: Float64Array, Y: Float64Array, from: number, m: number): void {
    const d = this.setup.d;
    const track = this.setup.box === null;
    for (let i = from; i < from + m; i++) {
      const slot = this.ringN % RECENT_ROWS;
      for (let a = 0; a < d; a++) {
        const v = X[i * d + a];
        this.ringX[slot * d + a] = v;
        if (track) {
          if (v < this.lo[a]) this.lo[a] = v;
          if (v > this.hi[a]) this.hi[a] = v;
        }
      }
      this.ringY[slot] = Y[i];
      this.ringN++;
    }
  }

  private addPoint(): void {
    const point: Record<Racer, number> = { ismm: NaN, adam: NaN };
    const windowRows = this.rows - (this.curve.length > 0 ? this.curve[this.curve.length - 1].rows : 0);
    let whole = true;
    for (const r of RACERS) {
      const { sum, count } = this.models[r].toJSON().prequential;
      const last = this.lastPreq[r];
      point[r] = count > last.count ? (sum - last.sum) / (count - last.count) : NaN;
      whole &&= count - last.count === windowRows;
      this.lastPreq[r] = { sum, count };
    }
    const truth = this.setup.truth && whole ? this.truthWindow / windowRows : NaN;
    this.truthWindow = 0;
    this.curve.push({ rows: this.rows, ...point, truth });
  }

  /** Rows/s after initialization. */
  rate(r: Racer): number {
    return this.learnRows[r] > 0 && this.learnMs[r] > 0 ? (this.learnRows[r] / this.learnMs[r]) * 1000 : NaN;
  }

  state(): RaceState {
    const s = this.setup;
    return {
      label: s.label, K: s.K, d: s.d, featureNames: s.featureNames, targetName: s.targetName,
      rows: this.rows, total: s.total, window: this.window, curve: [...this.curve],
      rate: { ismm: this.rate("ismm"), adam: this.rate("adam") },
      initMs: { ...this.initMs },
      prequential: { ismm: this.models.ismm.progressiveNll, adam: this.models.adam.progressiveNll },
      truthNll: this.truthNll,
      fit: this.fitView(),
    };
  }

  private fitView(): FitView {
    const n = Math.min(this.ringN, RECENT_ROWS);
    return fitView(this.setup, this.models, this.lo, this.hi, { x: this.ringX.subarray(0, n * this.setup.d), y: this.ringY.subarray(0, n), n });
  }

  /** Ends the stream (initializing from a short one), scores the held-out rows, saves the models. */
  finish(testX: Float64Array, testY: Float64Array, nTest: number): RaceResult {
    for (const r of RACERS) this.models[r].finish();
    // A last, partial window only if it holds at least half a window of rows (else it is mostly noise).
    const lastRows = this.curve.length > 0 ? this.curve[this.curve.length - 1].rows : 0;
    if (this.curve.length === 0 || this.rows - lastRows >= this.window / 2) this.addPoint();
    const heldOut: Record<Racer, number> = { ismm: NaN, adam: NaN };
    const modelJson: Record<Racer, string> = { ismm: "", adam: "" };
    for (const r of RACERS) {
      if (nTest > 0) heldOut[r] = this.models[r].score(testX, testY, nTest);
      modelJson[r] = JSON.stringify(this.models[r].toJSON());
    }
    return { ...this.state(), heldOut, heldOutRows: nTest, modelJson };
  }
}

/** Curve window: about 60 points over the run, at least 200 rows each. */
export function windowFor(rows: number): number {
  return Math.max(200, Math.round(rows / 60 / 100) * 100);
}

/** Races ISMM and Adam on `rows` rows of a synthetic scenario. */
export async function raceSynthetic(name: ScenarioName, rows: number, seed: number, tick: Tick): Promise<RaceResult> {
  const { spec, title } = SCENARIOS[name];
  if (spec.inputs.kind !== "uniform") throw new Error("demo scenarios have uniform inputs");
  const root = createRng(seed);
  const stream = syntheticStream(spec, root.fork(1));
  const test = sampleSynthetic(spec, SYNTHETIC_TEST_ROWS, root.fork(2));
  const featureNames = Array.from({ length: spec.d }, (_, a) => (spec.d === 1 ? "x" : `x${a + 1}`));
  const race = new Race(
    {
      label: title, K: spec.K, seed, d: spec.d, featureNames, targetName: "y", truth: spec.params, total: rows,
      box: { lo: new Array<number>(spec.d).fill(spec.inputs.low), hi: new Array<number>(spec.d).fill(spec.inputs.high) },
    },
    windowFor(rows),
  );
  race.truthNll = parametersNll(spec.params, test.X, test.Y, test.n);
  const X = new Float64Array(BATCH_ROWS * spec.d);
  const Y = new Float64Array(BATCH_ROWS);
  const x = new Float64Array(spec.d);
  const y = new Float64Array(1);
  while (race.rows < rows) {
    const n = Math.min(BATCH_ROWS, rows - race.rows);
    for (let i = 0; i < n; i++) {
      stream.next(x, y);
      X.set(x, i * spec.d);
      Y[i] = y[0];
    }
    race.learn(X, Y, n);
    if (await tick(race)) break;
  }
  return race.finish(test.X, test.Y, test.n);
}

export interface CsvRaceOptions {
  readonly input: ByteStream;
  readonly label: string;
  readonly K: number;
  readonly seed: number;
  /** Target column; default the last. */
  readonly target?: string;
}

/**
 * Races ISMM and Adam on a CSV stream: every 5th data row (up to CSV_TEST_ROWS) is held out for
 * the final score, the others are learned in file order. Memory is bounded by the held-out rows.
 */
export async function raceCsv(o: CsvRaceOptions, tick: Tick): Promise<RaceResult> {
  const csv = await openCsvStream({ input: o.input, label: o.label, targets: o.target ? [o.target] : undefined, batchRows: BATCH_ROWS });
  const d = csv.featureNames.length;
  const race = new Race(
    { label: o.label, K: o.K, seed: o.seed, d, featureNames: csv.featureNames, targetName: csv.targetNames[0], truth: null, total: null, box: null },
    500,
  );
  const testX = new Float64Array(CSV_TEST_ROWS * d);
  const testY = new Float64Array(CSV_TEST_ROWS);
  let nTest = 0;
  let index = 0;
  const X = new Float64Array(BATCH_ROWS * d);
  const Y = new Float64Array(BATCH_ROWS);
  try {
    for await (const b of csv.batches()) {
      let n = 0;
      for (let i = 0; i < b.n; i++, index++) {
        const row = b.X.subarray(i * d, (i + 1) * d);
        if (index % 5 === 4 && nTest < CSV_TEST_ROWS) {
          testX.set(row, nTest * d);
          testY[nTest++] = b.Y[i];
        } else {
          X.set(row, n * d);
          Y[n++] = b.Y[i];
        }
      }
      race.learn(X, Y, n);
      if (await tick(race)) break;
    }
  } finally {
    csv.close();
  }
  return race.finish(testX.subarray(0, nTest * d), testY.subarray(0, nTest), nTest);
}
