/**
 * The model shared by the workers of one consumer group: a snapshot (`MoeRegressor.toJSON()`) and a
 * version `n:tag` in Redis, cached by each worker and refreshed only when the version changed.
 *
 * `commit` takes the turn (a lease, SET NX PX, so that workers take turns instead of learning the
 * same step at once and throwing all but one away), learns a batch on the cached model at the
 * current version and writes the new snapshot, the version n+1 and the XACK of exactly the batch's
 * ids in one atomic script, which also releases the turn. Correctness never rests on the turn: the
 * commit script checks the version, so when a turn expired and another worker committed first,
 * the batch is learned again at the new state (every batch statistic is taken at the θ it is
 * blended into). Ids another worker learned meanwhile (claimed from this one) are dropped.
 */
import { randomBytes } from "node:crypto";
import { MoeRegressor } from "../index.js";
import type { ModelKeys } from "./address.js";
import type { ModelScripts, ScriptKeys } from "./scripts.js";

/** Never equal to a stored version: forces the next load to fetch the snapshot. */
const STALE = "stale";

export interface CommitStats {
  /** Commits that went through. */
  commits: number;
  /** Commit attempts refused because another worker committed first (each means one recomputation). */
  conflicts: number;
  /** Snapshots fetched and parsed because the version moved. */
  reloads: number;
  /** Times the turn was held by another worker (each a wait of 1–2 ms). */
  waits: number;
}

/** What a batch learns, given the model at the version it is learned at and which ids are still pending. */
export type BatchStep = (model: MoeRegressor, pending: (index: number) => boolean) => void;

export class SharedModel {
  private version = STALE;
  private cached: MoeRegressor | null = null;
  readonly stats: CommitStats = { commits: 0, conflicts: 0, reloads: 0, waits: 0 };
  private readonly keys4: ScriptKeys;

  constructor(
    private readonly scripts: ModelScripts,
    keys: ModelKeys,
    private readonly group: string,
    /** This worker's consumer name: the owner of its turn. */
    private readonly owner: string,
    /** How long a turn lasts unless the commit releases it (ms): a dead worker's turn expires. */
    private readonly turnMs: number,
    /** This process's `threads` for the batch statistic (not part of the model); undefined: the stored one. */
    private readonly threads?: number | null,
  ) {
    this.keys4 = [keys.version, keys.state, keys.stream, keys.turn];
  }

  /** The commit number of the cached version (0: none). */
  get commitNumber(): number {
    return this.version === STALE ? 0 : Number(this.version.split(":")[0]);
  }

  /** The cached model (null: none, or dropped after a conflict). */
  get current(): MoeRegressor | null {
    return this.cached;
  }

  /** Refreshes the cache; returns the model (null: no model yet) and which of `ids` are still pending. */
  async load(ids: readonly string[] = []): Promise<{ model: MoeRegressor | null; pending: string }> {
    const [v, state, flags] = await this.scripts.load(this.keys4, this.version, this.group, ids);
    return { model: this.take(v, state), pending: flags };
  }

  /** Updates the cache from a load's version and state; returns the model. */
  private take(v: string | null, state: string | null): MoeRegressor | null {
    if (v === null) {
      this.drop();
    } else if (v !== this.version) {
      this.cached?.close();
      this.cached = MoeRegressor.fromJSON(JSON.parse(state as string), this.threads === undefined ? undefined : { threads: this.threads });
      this.version = v;
      this.stats.reloads++;
    }
    return this.cached;
  }

  /** Waits for the turn (1, then 2 ms between tries: a batch takes milliseconds); returns which of `ids` are still pending. */
  private async takeTurn(ids: readonly string[]): Promise<string> {
    for (let wait = 1; ; wait = 2) {
      const r = await this.scripts.turn(this.keys4, this.version, this.group, this.owner, this.turnMs, ids);
      if (r[0] === 1) {
        this.take(r[1], r[2]);
        return r[3];
      }
      this.stats.waits++;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /**
   * Learns `step` on the current model and commits it with the XACK of `ids`, retrying at the new
   * state after a conflict. Returns the indices of `ids` this commit acknowledged (those another
   * worker had learned meanwhile are left out; empty when none was left).
   */
  async commit(ids: readonly string[], step: BatchStep): Promise<number[]> {
    for (;;) {
      const pending = await this.takeTurn(ids);
      const model = this.cached;
      if (model === null) throw new Error("the shared model disappeared from Redis (its keys were deleted during the fit)");
      const keep: number[] = [];
      for (let i = 0; i < ids.length; i++) if (pending[i] === "1") keep.push(i);
      if (keep.length === 0) return keep;
      step(model, (i) => pending[i] === "1");
      const next = nextVersion(this.version);
      const json = JSON.stringify(model.toJSON());
      const r = await this.scripts.commit(this.keys4, this.version, next, json, this.group, this.owner, keep.map((i) => ids[i]));
      if (r >= 0) {
        this.version = next;
        this.stats.commits++;
        return keep;
      }
      // The turn expired and another worker committed first: the cached model has learned the
      // batch at a version that is no longer current. Drop it, learn the batch again at the new state.
      this.drop();
      this.stats.conflicts++;
    }
  }

  /** Forgets the cached model (stopping its statistic threads, if any). */
  drop(): void {
    this.cached?.close();
    this.cached = null;
    this.version = STALE;
  }

  /** Commits the first model (expected version: none). False when another worker's came first. */
  async commitFirst(model: MoeRegressor, ids: readonly string[]): Promise<boolean> {
    const next = nextVersion("0:");
    const r = await this.scripts.commit(this.keys4, "", next, JSON.stringify(model.toJSON()), this.group, this.owner, ids);
    if (r < 0) return false;
    this.drop();
    this.version = next;
    this.cached = model;
    this.stats.commits++;
    return true;
  }
}

/** `n+1:tag` with a fresh random tag, so a version value is never reused (see docs/SCALE-OUT.md). */
function nextVersion(v: string): string {
  const n = v === STALE ? 0 : Number(v.split(":")[0]);
  return `${n + 1}:${randomBytes(6).toString("hex")}`;
}
