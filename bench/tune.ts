/**
 * Tuning on validation data (ALGORITHM.md §4.1: "grid-search η for each optimiser on one validation
 * seed, and report the best per optimiser"; the same for ISMM's α).
 *
 * Per scenario, tuning instances are built with the scenario's `tuneSeeds` (never repetition
 * seeds) in the "tune" role: a fresh synthetic stream plus a validation sample, or for real data a
 * separate 80/20 split whose training fold is split again into fit and validation rows (screening
 * on the fit rows only). Every candidate of every method is run through exactly the protocol of the
 * measured repetitions (same stream length, epochs, row order, shared start, seed) and scored by its
 * mean validation NLL at the end of the stream, averaged over the tuning instances (several for
 * the small real data sets, where one validation fold of 39–319 rows is noisy). The lowest finite
 * average wins (ties: the first
 * candidate in grid order); a diverged candidate scores +Infinity and stays in the table.
 *
 * Why not `tuneLearningRate` (src/estimators/lr-grid.ts)? It fits through `MoeRegressor.fit`, which
 * cannot start from a given θ0 (the perturbed-truth scenarios) and recomputes the multi-start
 * initialization for every grid value (≈ 10–30 s each at d = 50 on this machine). The loop below
 * is the same idea run on the benchmark's own protocol.
 */
import { runMethod, sharedStart, streamLength, streamOrder } from "./engine.js";
import type { MethodName } from "../src/index.js";
import type { Scenario } from "./scenarios/types.js";

/** One tuning candidate's outcome. */
export interface TuneRow {
  readonly method: MethodName;
  readonly config: string;
  /** Mean over the tuning instances of the validation NLL at the end of the stream; +Infinity if any run diverged. */
  readonly validationNll: number;
  readonly diverged: boolean;
  /** Learning seconds summed over the tuning instances. */
  readonly seconds: number;
}

/** Tuning outcome of a scenario. */
export interface TuneResult {
  readonly scenario: string;
  readonly seeds: readonly number[];
  readonly rows: TuneRow[];
  /** Selected config label per method (methods with one candidate included). */
  readonly selected: Map<MethodName, string>;
  /** Wall seconds spent tuning (instance builds included). */
  readonly seconds: number;
}

/**
 * True when the selected learning rate is the smallest or largest of a grid of three or more (the
 * grid may be too narrow). Only for one-dimensional learning-rate grids.
 */
export function atGridEdge(scenario: Scenario, method: MethodName, label: string): boolean {
  const spec = scenario.methods.find((m) => m.method === method);
  if (!spec || spec.candidates.length < 3 || !spec.candidates.every((c) => c.options.learningRate !== undefined)) return false;
  const i = spec.candidates.findIndex((c) => c.label === label);
  return i === 0 || i === spec.candidates.length - 1;
}

/** Runs the tuning step of one scenario. */
export function tuneScenario(scenario: Scenario, log: (msg: string) => void = () => {}): TuneResult {
  const t0 = performance.now();
  const selected = new Map<MethodName, string>();
  const rows: TuneRow[] = [];
  const needsTuning = scenario.methods.filter((m) => m.candidates.length > 1);
  for (const m of scenario.methods) if (m.candidates.length === 1) selected.set(m.method, m.candidates[0].label);
  if (needsTuning.length > 0) {
    // key "method\0config" → validation NLL per tuning seed and learning seconds
    const acc = new Map<string, { values: number[]; seconds: number }>();
    for (const seed of scenario.tuneSeeds) {
      const inst = scenario.build(seed, "tune");
      const validation = inst.validation;
      if (validation === null) throw new Error(`${scenario.name}: the tuning instance has no validation rows`);
      const order = streamOrder(scenario, inst.train.n, seed);
      const total = streamLength(scenario, inst.train);
      const start = sharedStart(scenario, inst, order, seed);
      for (const m of needsTuning) {
        for (const config of m.candidates) {
          const r = runMethod({ scenario, inst, seed, method: m.method, config, order, start, evalData: validation, checkpoints: [total] });
          const v = r.points[r.points.length - 1].testNll;
          const key = `${m.method}\u0000${config.label}`;
          const a = acc.get(key) ?? { values: [], seconds: 0 };
          a.values.push(r.diverged === null && Number.isFinite(v) ? v : Infinity);
          a.seconds += r.seconds;
          acc.set(key, a);
        }
      }
    }
    for (const m of needsTuning) {
      let best: TuneRow | null = null;
      for (const config of m.candidates) {
        const a = acc.get(`${m.method}\u0000${config.label}`) as { values: number[]; seconds: number };
        const mean = a.values.reduce((x, y) => x + y, 0) / a.values.length;
        const ok = Number.isFinite(mean);
        const row: TuneRow = { method: m.method, config: config.label, validationNll: ok ? mean : Infinity, diverged: !ok, seconds: a.seconds };
        rows.push(row);
        if (ok && (best === null || mean < best.validationNll)) best = row;
      }
      // every candidate diverged: keep the first (its runs will show the divergence)
      selected.set(m.method, best ? best.config : m.candidates[0].label);
      const edge = best && atGridEdge(scenario, m.method, best.config) ? " — at the edge of the grid" : "";
      log(`  tune ${scenario.name} ${m.method}: ${best ? `${best.config} (validation NLL ${best.validationNll.toFixed(4)})${edge}` : "every candidate diverged"}`);
    }
  }
  return { scenario: scenario.name, seeds: scenario.tuneSeeds, rows, selected, seconds: (performance.now() - t0) / 1000 };
}
