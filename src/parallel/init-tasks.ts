/**
 * What the threads of a parallel initialization share (parallel/init-threads.ts, init-worker.ts):
 * the buffer rows, a control word array and one result slot per task, all in shared memory.
 *
 * ctrl: [CLAIM] the next task, tagged with the phase (gen << 16 | index, claimed by compare-and-swap,
 * so a late thread of an earlier phase claims nothing); [DONE] tasks finished; [ERR] 1 once a task
 * threw (its message in the error bytes); [FLAGS + i] 1 once task i's result is in its slot.
 * A result slot holds θ (L.size), then the objective, converged (0/1) and the EM iterations.
 */
import { rngFromState } from "../core/rng.js";
import { moeLayout, type MoeDims, type MoeLayout } from "../model/dims.js";
import { createInitWorkspace, refineStart, screenStart, type InitPlan, type InitWorkspace } from "../mm/init-start.js";
import { claimTagged } from "./protocol.js";

export const CLAIM = 0;
export const DONE = 1;
export const ERR = 2;
export const FLAGS = 4;
export const ERR_BYTES = 1024;

export type InitPhase = "screen" | "refine";

/** Everything a thread needs (plain data and shared buffers: it crosses to worker threads). */
export interface InitShared {
  readonly dims: MoeDims;
  readonly n: number;
  readonly plan: InitPlan;
  readonly rootState: readonly number[];
  readonly X: SharedArrayBuffer;
  readonly Y: SharedArrayBuffer;
  readonly ctrl: SharedArrayBuffer;
  /** Refinement inputs: one θ per task. */
  readonly inputs: SharedArrayBuffer;
  readonly results: SharedArrayBuffer;
  readonly err: SharedArrayBuffer;
  /** Tests only: the task with this index throws (fault injection). */
  readonly faultAtTask?: number;
}

/** A phase's tasks as one thread sees them. */
export interface InitThreadState {
  readonly L: MoeLayout;
  readonly X: Float64Array;
  readonly Y: Float64Array;
  readonly ctrl: Int32Array;
  readonly inputs: Float64Array;
  readonly results: Float64Array;
  readonly ws: InitWorkspace;
  readonly shared: InitShared;
}

export function threadState(shared: InitShared): InitThreadState {
  const L = moeLayout(shared.dims);
  return {
    L, shared,
    X: new Float64Array(shared.X), Y: new Float64Array(shared.Y), ctrl: new Int32Array(shared.ctrl),
    inputs: new Float64Array(shared.inputs), results: new Float64Array(shared.results),
    ws: createInitWorkspace(L, shared.n, shared.plan),
  };
}

/** Result slot width: θ, objective, converged, iterations. */
export const slotSize = (L: MoeLayout): number => L.size + 3;

/** Claims the next task of phase `gen` below `count`; −1 when none is left. */
export function claimTask(ctrl: Int32Array, gen: number, count: number): number {
  return claimTagged(ctrl, CLAIM, gen, count);
}

/** Runs task i of the phase into out[oo..] (a result slot, or a private one). */
export function runTask(t: InitThreadState, phase: InitPhase, i: number, out: Float64Array, oo: number): void {
  const { L, X, Y, ws, shared } = t;
  if (shared.faultAtTask === i) throw new Error(`injected fault in task ${i} (test)`);
  if (phase === "screen") {
    const r = screenStart(L, X, Y, shared.n, rngFromState(shared.rootState), shared.plan, ws, i);
    out.set(r.theta, oo);
    out[oo + L.size] = r.nll;
    out[oo + L.size + 1] = 0;
    out[oo + L.size + 2] = shared.plan.startIters;
    return;
  }
  const theta = t.inputs.slice(i * L.size, (i + 1) * L.size); // the input stays intact for a thread that redoes the task
  const r = refineStart(L, X, Y, shared.n, shared.plan, ws, theta);
  out.set(theta, oo);
  out[oo + L.size] = r.nll;
  out[oo + L.size + 1] = r.converged ? 1 : 0;
  out[oo + L.size + 2] = r.iterations;
}

/** Records the first failure's message in the shared error bytes. */
export function recordError(shared: InitShared, ctrl: Int32Array, who: string, e: unknown): void {
  const msg = `${who}: ${e instanceof Error ? e.message : String(e)}`;
  if (Atomics.compareExchange(ctrl, ERR, 0, 1) !== 0) return;
  const bytes = new TextEncoder().encode(msg).subarray(0, ERR_BYTES - 4);
  new Uint8Array(shared.err).set(bytes, 4);
  new DataView(shared.err).setInt32(0, bytes.length, true);
}

/** Claims and runs tasks of phase `gen` until none is left; each result goes to its shared slot. */
export function workOnPhase(t: InitThreadState, gen: number, phase: InitPhase, count: number, who: string): void {
  const S = slotSize(t.L);
  for (;;) {
    const i = claimTask(t.ctrl, gen, count);
    if (i < 0) return;
    try {
      runTask(t, phase, i, t.results, i * S);
    } catch (e) {
      recordError(t.shared, t.ctrl, who, e);
    }
    Atomics.store(t.ctrl, FLAGS + i, 1);
    Atomics.add(t.ctrl, DONE, 1);
    Atomics.notify(t.ctrl, DONE);
  }
}
