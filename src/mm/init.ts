/**
 * Initialization without ground truth (issue 2, spec §3.7): multi-start batch EM on a buffered
 * prefix of the stream.
 *
 *   for r = 1..starts:
 *     partition the buffer — r ≡ 0 (mod 4): seeded k-means++ (+3 Lloyd steps) on (x, y); r ≡ 1: on x
 *     only (regimes of x, the gate's view); r ≡ 2: a uniformly random partition (flexmix's start);
 *     r ≡ 3: K contiguous regimes cut at K − 1 random quantiles of a random direction of x (regime
 *     boundaries k-means would not place) — and soften it: τ = 0.8·onehot + 0.2/K
 *     θ_r = EM M-step from τ, then `startIters` EM iterations
 *   refine the `restarts` best θ_r (lowest EM objective: mean NLL + MAP penalty, which a collapsed
 *   expert cannot game) with `refineIters` more EM iterations each; keep the best.
 *
 * The data are expected standardized (the estimator does it), so Euclidean k-means is sensible.
 * All randomness comes from the `rng` argument.
 *
 * Defaults by width (`initDefaults`). Narrow models ((K−1)p ≤ 64: the gate's Newton system is
 * small): 5 starts × 15 iterations, 60 refining, one damped Newton gate step per iteration. Wide
 * models: 3 starts × 8 iterations, 10 refining, ONE Böhning gate step per iteration (a monotone
 * generalized EM; the Gram of every EM M-step runs in WebAssembly SIMD, core/wasm/gram.ts). At
 * d = 100, K = 3 that is 34 EM iterations instead of 135 with 5 Böhning steps each, and over 8
 * seeded problems (`npx tsx scripts/init-quality.ts`) the held-out NLL after one streamed pass was
 * no worse: mean 1.1334, against 1.1347 with 5 starts × 15 + 60 and one gate step, and 1.1863 with
 * the former defaults (5 starts × 15 + 60, 5 gate steps: the same script run on commit 8c54c8b).
 * The streaming pass refines θ0; what the initialization must find is the basin.
 */
import type { Rng } from "../core/rng.js";
import type { MoeLayout } from "../model/dims.js";
import type { EmPriorOptions, GateStep } from "./batch-em.js";
import { createInitWorkspace, refineStart, screenStart, type InitPlan, type Refined } from "./init-start.js";

export interface InitOptions extends EmPriorOptions {
  /** Random starts. Default `initDefaults(L).starts` (5; 3 for wide models). */
  readonly starts?: number;
  /** EM iterations per start. Default `initDefaults(L).startIters` (15; 8 for wide models). */
  readonly startIters?: number;
  /** EM iterations refining the best start. Default `initDefaults(L).refineIters` (60; 10 for wide models). */
  readonly refineIters?: number;
  /**
   * Gate update inside the EM iterations. Default: one damped Newton step when the Newton system
   * is small ((K−1)p ≤ 64), else one Böhning MM step. Either is a monotone generalized EM; a full
   * Newton loop made d = 100 initializations take minutes (O(n(K−1)²p² + ((K−1)p)³) per step).
   */
  readonly gateStep?: GateStep;
  /** Starts refined after screening (the best by objective). Default 1. */
  readonly restarts?: number;
  /** Stop a refinement when the objective changes by ≤ tol·(1 + |F|). Default 1e-12. */
  readonly tol?: number;
  /**
   * Threads for the starts and for the refinements (each an independent EM run), where a thread
   * runner is registered (Node: parallel/init-threads.ts) and the work repays starting threads. The
   * result is the same bits for every count. Default 1.
   */
  readonly threads?: number;
  /** Multiply-adds below which a phase stays on the calling thread. Default `MIN_THREADED_WORK`. */
  readonly minThreadedWork?: number;
}

export interface InitResult {
  readonly theta: Float64Array;
  /** EM objective (buffer mean NLL + MAP penalty) of the returned θ. */
  readonly nll: number;
  /** EM objective of each start after its screening iterations. */
  readonly startNlls: number[];
  /** EM objective of each refined start, best first is not implied: in the order refined. */
  readonly refinedNlls: number[];
  /** Whether the kept refinement met the tolerance within `refineIters`. */
  readonly converged: boolean;
  /** EM iterations (passes over the buffer) behind the kept θ: screening plus refinement. */
  readonly iterations: number;
}

/** The largest (K−1)p for which the initialization's defaults are the narrow ones (Newton gate step). */
export const WIDE_INIT_FROM = 65;

/** Default starts, iterations and gate step of `initializeMoe` for this layout (see the module comment). */
export function initDefaults(L: MoeLayout): { starts: number; startIters: number; refineIters: number; gateStep: GateStep } {
  return (L.K - 1) * L.p < WIDE_INIT_FROM
    ? { starts: 5, startIters: 15, refineIters: 60, gateStep: { kind: "newton", iters: 1 } }
    : { starts: 3, startIters: 8, refineIters: 10, gateStep: { kind: "mm", iters: 1 } };
}

/**
 * Runs independent starts or refinements of one initialization on several threads, each result the
 * same bits as the serial loop's (registered by parallel/init-threads.ts where worker threads exist).
 */
export interface InitThreads {
  /** Starts 0..plan.starts−1 from the root generator with state `rootState`, in start order. */
  screen(L: MoeLayout, X: Float64Array, Y: Float64Array, n: number, rootState: readonly number[], plan: InitPlan, threads: number): { theta: Float64Array; nll: number }[];
  /** Refines every θ in place, in order. */
  refine(L: MoeLayout, X: Float64Array, Y: Float64Array, n: number, plan: InitPlan, thetas: readonly Float64Array[], threads: number): Refined[];
}

let initThreads: InitThreads | null = null;

/** Called by parallel/init-threads.ts when it loads (Node). */
export function registerInitThreads(runner: InitThreads): void {
  initThreads = runner;
}

/**
 * Multiply-adds (tasks × EM iterations × n·K·p(p+1)/2, the Gram of every M-step) below which the
 * starts or refinements run on the calling thread. Starting workers (module loading, WebAssembly
 * compilation) is not free, so the default wide initialization at d = 100, K = 3 (3 starts × 8
 * iterations on 1,515 rows, 5.6·10⁸) stays on one thread, where in hand-timed runs it was not slower;
 * a small file fitted whole (10 restarts to convergence, 10¹⁰ and more) goes to the threads
 * (scripts/threads-cli.ts times one). The result is the same bits either way.
 */
export const MIN_THREADED_WORK = 2e9;

function threadsFor(L: MoeLayout, n: number, tasks: number, iters: number, threads: number, minWork: number): number {
  if (initThreads === null || threads <= 1 || tasks <= 1 || tasks >= 1 << 15) return 1; // claims carry 15-bit task indices
  return tasks * iters * n * L.K * ((L.p * (L.p + 1)) / 2) < minWork ? 1 : Math.min(threads, tasks);
}

/**
 * Multi-start EM initialization on the n buffered rows (X: n×p design with intercept, Y: n×q).
 * Returns a fresh θ; does not modify X or Y.
 */
export function initializeMoe(L: MoeLayout, X: Float64Array, Y: Float64Array, n: number, rng: Rng, options: InitOptions = {}): InitResult {
  const def = initDefaults(L);
  const starts = options.starts ?? def.starts;
  const plan: InitPlan = {
    ...options,
    starts,
    startIters: options.startIters ?? def.startIters,
    refineIters: options.refineIters ?? def.refineIters,
    restarts: Math.max(1, Math.min(options.restarts ?? 1, starts)),
    tol: options.tol ?? 1e-12,
    gateStep: options.gateStep ?? def.gateStep,
  };
  const threads = options.threads ?? 1;
  let ws: ReturnType<typeof createInitWorkspace> | null = null;
  const local = (): ReturnType<typeof createInitWorkspace> => (ws ??= createInitWorkspace(L, n, plan));
  const minWork = options.minThreadedWork ?? MIN_THREADED_WORK;
  const tScreen = threadsFor(L, n, plan.starts, plan.startIters, threads, minWork);
  const candidates =
    tScreen > 1 && initThreads !== null
      ? initThreads.screen(L, X, Y, n, rng.getState(), plan, tScreen)
      : Array.from({ length: plan.starts }, (_, r) => screenStart(L, X, Y, n, rng, plan, local(), r));
  const startNlls = candidates.map((c) => c.nll);
  // Stable order: ties keep the earlier start (deterministic for a given rng).
  const order = candidates.map((_, i) => i).sort((a, b) => (candidates[a].nll - candidates[b].nll) || a - b);
  const thetas = order.slice(0, plan.restarts).map((r) => candidates[r].theta);
  const tRefine = threadsFor(L, n, plan.restarts, plan.refineIters, threads, minWork);
  const refined =
    tRefine > 1 && initThreads !== null
      ? initThreads.refine(L, X, Y, n, plan, thetas, tRefine)
      : thetas.map((theta) => refineStart(L, X, Y, n, plan, local(), theta));
  let best = 0;
  for (let r = 1; r < refined.length; r++) if (refined[r].nll < refined[best].nll) best = r;
  const b = refined[best];
  return { theta: thetas[best], nll: b.nll, startNlls, refinedNlls: refined.map((x) => x.nll), converged: b.converged, iterations: plan.startIters + b.iterations };
}
