/**
 * Mini-batch ISMM as a learner (issue 12; mm/minibatch.ts has the recursion, docs/MINIBATCH.md the
 * argument). Rows are collected into a batch of `batchSize` rows; when it is full, its statistic
 * Σ S̄(θ_t; z_i) is computed at the current θ_t — on `threads` threads (parallel/), the same bits for
 * any thread count — then s is blended once and the exact (Cholesky) M-step runs once: O(K p³) per
 * batch, amortized over its rows, against O(K p²) per row for the statistic. A final partial batch
 * is learned by `finish()`.
 *
 * Snapshot: the per-row learner's fields (solver "exact") plus the batch size and the rows waiting
 * in the current batch (at most batchSize − 1), so save → load → continue is bit-identical at any row.
 */
import { toNumbers, fromNumbers, type Learner, type LearnerHealth, type LearnerSnapshot } from "./types.js";
import { batchStepSize, ismmBatchFinish } from "../mm/minibatch.js";
import { ismmParams, type IsmmConfig, type IsmmState } from "../mm/ismm.js";
import type { MoeLayout } from "../model/dims.js";
import type { MoeSurrogate, MoeWorkspace } from "../surrogate/moe.js";
import { createBatchStats, threadsFor, type BatchStats } from "../parallel/batch-stats.js";

/** Pending rows as saved in a snapshot. */
export interface PendingRows {
  readonly m: number;
  readonly X: Float64Array;
  readonly Y: Float64Array;
}

/**
 * Hands a batch of m rows (design rows X from xo, stride p; targets Y from yo, stride q) to `eng`
 * (grown if m exceeds its capacity) with θ and s of the state and the batch step Γ: the job blends
 * the batch statistic into s and, when an M-step follows, factorizes. Returns the engine to keep and
 * the weight of one row, Γ/m. Finish with `finishBatch` after `eng.wait()`.
 */
export function startBatchJob(
  L: MoeLayout, cfg: IsmmConfig, st: IsmmState, stats: BatchStats, X: ArrayLike<number>, xo: number, Y: ArrayLike<number>, yo: number, m: number,
  requested = stats.threads,
): { eng: BatchStats; each: number } {
  let eng = stats;
  if (m > eng.capacity) {
    eng.close();
    eng = createBatchStats(L, Math.max(eng.threads, threadsFor(L, m, requested)), m);
  }
  for (let i = 0; i < m * L.p; i++) eng.X[i] = X[xo + i];
  for (let i = 0; i < m * L.q; i++) eng.Y[i] = Y[yo + i];
  eng.theta.set(st.theta);
  eng.s.set(st.s);
  const gamma = batchStepSize(cfg, st.n, m);
  eng.start(m, 1 - gamma, gamma / m, st.n + m > cfg.burnIn);
  return { eng, each: gamma / m };
}

/** Takes the blended s and the factorizations of a finished job into the state and runs the step's M-step. */
export function finishBatch(sur: MoeSurrogate, ws: MoeWorkspace, cfg: IsmmConfig, st: IsmmState, eng: BatchStats, m: number, each: number): void {
  st.s.set(eng.s);
  ws.pre = st.n + m > cfg.burnIn ? eng.factors : null;
  try {
    ismmBatchFinish(sur, cfg, st, m, each, ws);
  } finally {
    ws.pre = null;
  }
}

/** One whole mini-batch step (start, wait, finish); returns the engine to keep. */
export function batchStep(
  sur: MoeSurrogate, ws: MoeWorkspace, cfg: IsmmConfig, st: IsmmState, stats: BatchStats,
  X: ArrayLike<number>, xo: number, Y: ArrayLike<number>, yo: number, m: number, requested: number,
): BatchStats {
  const { eng, each } = startBatchJob(sur.layout, cfg, st, stats, X, xo, Y, yo, m, requested);
  eng.wait();
  finishBatch(sur, ws, cfg, st, eng, m, each);
  return eng;
}

/** Scores a row (scaled design row at X[xo..], targets at Y[yo..]) before it is learned. */
export type RowScorer = (X: Float64Array, xo: number, Y: Float64Array, yo: number) => void;

export class IsmmBatchLearner implements Learner {
  readonly method = "ismm" as const;
  readonly storesRows = false;
  private stats: BatchStats | null = null;
  /** Rows waiting in the current batch (scaled design rows and targets). */
  private readonly Xp: Float64Array;
  private readonly Yp: Float64Array;
  private m = 0;
  /** Rows of the batch handed to the threads and not yet folded into s (0: none), and Γ/m. */
  private inflight = 0;
  private inflightEach = 0;
  private scorer: RowScorer | null = null;
  /** True while the scorer runs during a job (θ̃ is final then: `params` need not wait). */
  private scoring = false;

  constructor(
    private readonly sur: MoeSurrogate,
    private readonly ws: MoeWorkspace,
    private readonly cfg: IsmmConfig,
    readonly state: IsmmState,
    readonly batchSize: number,
    readonly threads: number,
    pending: PendingRows | null,
  ) {
    const L: MoeLayout = sur.layout;
    this.Xp = new Float64Array(batchSize * L.p);
    this.Yp = new Float64Array(batchSize * L.q);
    if (pending !== null) {
      if (!(pending.m >= 0 && pending.m < batchSize)) throw new RangeError(`ismm snapshot: ${pending.m} pending rows for a batch size of ${batchSize}`);
      this.Xp.set(pending.X);
      this.Yp.set(pending.Y);
      this.m = pending.m;
    }
  }

  /**
   * Rows are scored (prequential) when their batch starts, by the parameters its statistic is
   * computed at — the same parameters for any thread count. Set by the estimator.
   */
  setScorer(scorer: RowScorer | null): void {
    this.scorer = scorer;
  }

  /** Rows folded into s, in flight, or waiting in the current batch. */
  get nSeen(): number {
    return this.state.n + this.inflight + this.m;
  }

  /** Adds the row to the current batch; a full batch starts (one blend, one M-step). Returns NaN. */
  learn(x: Float64Array, xo: number, y: Float64Array, yo: number): number {
    const { p, q } = this.sur.layout;
    // A full batch whose start failed (a WorkerError) is retried first: a row is never dropped.
    if (this.m === this.batchSize) this.startBatch();
    const m = this.m;
    for (let i = 0; i < p; i++) this.Xp[m * p + i] = x[xo + i];
    for (let j = 0; j < q; j++) this.Yp[m * q + j] = y[yo + j];
    this.m = m + 1;
    if (this.m === this.batchSize) this.startBatch();
    return NaN;
  }

  /**
   * Pipeline: the previous batch is finished (its M-step gives θ_t), the waiting rows are scored and
   * handed to the threads at θ_t, and the caller goes on reading rows while they work. With one
   * thread the statistic is computed here. Either way the step is applied before anything observes
   * the model (`sync`), so the result is the same.
   */
  private startBatch(): void {
    this.sync();
    const m = this.m;
    if (m === 0) return;
    const { p, q } = this.sur.layout;
    const { eng, each } = startBatchJob(this.sur.layout, this.cfg, this.state, this.engine(m), this.Xp, 0, this.Yp, 0, m, this.threads);
    this.stats = eng;
    this.inflight = m;
    this.inflightEach = each;
    // Scored while the threads work: the job changes only s, never θ or θ̃, so the scores are those
    // of the parameters the batch's statistic is computed at.
    if (this.scorer !== null) {
      this.scoring = true;
      try {
        for (let i = 0; i < m; i++) this.scorer(this.Xp, i * p, this.Yp, i * q);
      } finally {
        this.scoring = false;
      }
    }
    this.m = 0;
  }

  /** Folds the batch in flight into s and runs its M-step. */
  private sync(): void {
    const m = this.inflight;
    if (m === 0) return;
    const eng = this.stats as BatchStats;
    eng.wait(); // a WorkerError leaves the batch in flight: every later call raises it again
    this.inflight = 0;
    finishBatch(this.sur, this.ws, this.cfg, this.state, eng, m, this.inflightEach);
  }

  /** Learns the waiting rows now, as a (partial) batch of their own. */
  flushPending(): void {
    this.startBatch();
    this.sync();
  }

  /** Learns the waiting rows, then m given rows (already scored by the caller) as ONE mini-batch step. */
  learnBatch(X: Float64Array, xo: number, Y: Float64Array, yo: number, m: number): void {
    this.flushPending();
    if (m > 0) this.stats = batchStep(this.sur, this.ws, this.cfg, this.state, this.engine(m), X, xo, Y, yo, m, this.threads);
  }

  private engine(m: number): BatchStats {
    if (this.stats === null) {
      const L = this.sur.layout;
      this.stats = createBatchStats(L, threadsFor(L, this.batchSize, this.threads), Math.max(this.batchSize, m));
    }
    return this.stats;
  }

  params(): Float64Array {
    if (!this.scoring) this.sync();
    return ismmParams(this.state);
  }

  /** End of the data: the partial batch is learned. */
  finish(): void {
    this.flushPending();
  }

  /**
   * Learns the batch in flight and stops the threads. When that batch failed, its error is raised
   * and the batch is given up (the threads are stopped either way).
   */
  close(): void {
    try {
      this.sync();
    } finally {
      this.stats?.close();
      this.stats = null;
      this.inflight = 0;
    }
  }

  health(): LearnerHealth {
    this.sync();
    const S = this.sur.stats;
    const st = this.state;
    return {
      expertWeights: st.s.slice(S.s0, S.s0 + this.sur.layout.K),
      rowWeight: this.ws.rowWeight[0],
      skippedMsteps: st.skippedMsteps,
      ridgedSolves: this.ws.ridged[0],
    };
  }

  toJSON(): LearnerSnapshot {
    this.sync();
    const st = this.state;
    const { p, q } = this.sur.layout;
    return {
      method: "ismm", n: st.n, nAvg: st.nAvg, skippedMsteps: st.skippedMsteps,
      theta: toNumbers(st.theta), thetaAvg: toNumbers(st.thetaAvg), s: toNumbers(st.s),
      solver: "exact", rowWeight: this.ws.rowWeight[0], ridgedSolves: this.ws.ridged[0], gamma0: this.cfg.schedule.gamma0,
      batch: { size: this.batchSize, pending: this.m, X: toNumbers(this.Xp.subarray(0, this.m * p)), Y: toNumbers(this.Yp.subarray(0, this.m * q)) },
    };
  }
}

/** The pending rows of a snapshot's `batch` field (validated), or null when it has none. */
export function pendingFromSnapshot(snap: LearnerSnapshot, L: MoeLayout): PendingRows | null {
  const b = snap.batch as { pending?: unknown; X?: unknown; Y?: unknown } | undefined;
  if (b === undefined) return null;
  if (typeof b !== "object" || b === null) throw new RangeError("ismm snapshot: batch must be an object");
  const m = b.pending;
  if (typeof m !== "number" || !Number.isInteger(m) || m < 0) throw new RangeError("ismm snapshot: batch.pending must be a non-negative integer");
  return { m, X: fromNumbers(b.X, m * L.p, "ismm snapshot batch.X"), Y: fromNumbers(b.Y, m * L.q, "ismm snapshot batch.Y") };
}
