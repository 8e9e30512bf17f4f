/**
 * One scale-out worker: reads its share of a Redis stream through a consumer group and learns it
 * into the model shared by the group (docs/SCALE-OUT.md has the protocol and the exactly-once
 * argument). The first worker to find no model takes the initialization lock, buffers the first
 * `initRows` entries, initializes, and commits the initialized model together with the XACK of
 * those entries; the others wait for it. Then every worker loops: next entries (own pending,
 * claims of idle ones, new), learn them as one batch at the current state, commit atomically.
 */
import type { Redis } from "ioredis";
import { InputError, type MoeRegressor, type MoeRegressorOptions } from "../index.js";
import { modelKeys, type RedisAddress } from "./address.js";
import { keepRows, parseEntries, type Columns, type ParsedEntries } from "./entries.js";
import { ensureGroup, groupReader } from "./group.js";
import { initialize } from "./initialize.js";
import { addSkipped, learnRows } from "./learn.js";
import { modelScripts, type ModelScripts } from "./scripts.js";
import { SharedModel } from "./shared-model.js";

export interface WorkerConfig {
  readonly address: RedisAddress;
  readonly group: string;
  readonly consumer: string;
  /** Entries per read = rows per batch (one commit). */
  readonly batchSize: number;
  /** Claim other consumers' entries pending longer than this (ms). */
  readonly claimIdle: number;
  readonly untilDrained: boolean;
  readonly skipInvalid: boolean;
  readonly targets: readonly string[];
  readonly features: readonly string[] | undefined;
  /** Options of a model this worker creates (the first to arrive); later workers use the stored ones. */
  readonly options: MoeRegressorOptions;
  /** Threads computing each batch statistic in this process (not part of the model); undefined: the model's. */
  readonly threads?: number | null;
  /** Metadata stored with a model this worker creates (the CLI's run description). */
  readonly meta: Record<string, unknown>;
  /** How long one blocking read waits for new entries (ms). */
  readonly blockMs?: number;
  /** Called after each commit of this worker, and once per second-or-so while idle. */
  readonly onProgress?: (w: WorkerProgress) => void;
  /** Called between batches: true stops the worker after the current batch (Ctrl-C). */
  readonly stopRequested?: () => boolean;
  /** Called once with the shared model's metadata (to check this worker's columns and options against it). */
  readonly onModel?: (model: MoeRegressor) => void;
}

export interface WorkerProgress {
  /** Rows this worker committed. */
  readonly rows: number;
  /** Rows the shared model has seen (at this worker's last view). */
  readonly modelRows: number;
  readonly commits: number;
  readonly conflicts: number;
}

export interface WorkerResult extends WorkerProgress {
  /** The shared model when the worker stopped. */
  readonly model: MoeRegressor;
  /** True when this worker initialized the model. */
  readonly initialized: boolean;
  readonly reloads: number;
  /** Times this worker found the turn taken (see shared-model.ts). */
  readonly waits: number;
  /** Entries this worker skipped (malformed with --skip-invalid, or deleted), and their first reasons. */
  readonly skipped: number;
  readonly reasons: string[];
  readonly claimed: number;
  readonly stopped: "drained" | "interrupted";
}

const WAIT_MS = 100;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function columnsOf(model: MoeRegressor): Columns {
  return { features: model.meta.features as string[], targets: model.meta.targets as string[] };
}

export async function runWorker(redis: Redis, cfg: WorkerConfig): Promise<WorkerResult> {
  const keys = modelKeys(cfg.address.stream, cfg.group);
  const scripts: ModelScripts = modelScripts(redis);
  const shared = new SharedModel(scripts, keys, cfg.group, cfg.consumer, cfg.claimIdle, cfg.threads);
  await ensureGroup(redis, keys.stream, cfg.group);
  const reader = groupReader(redis, keys.stream, cfg.group, cfg.consumer, cfg.claimIdle, cfg.blockMs ?? 500);
  let rows = 0;
  let skipped = 0;
  let initialized = false;
  const reasons: string[] = [];
  let model: MoeRegressor | null = null;
  const progress = (): void =>
    cfg.onProgress?.({ rows, modelRows: model?.nSeen ?? 0, commits: shared.stats.commits, conflicts: shared.stats.conflicts });
  const noteSkipped = (p: ParsedEntries, acked: (i: number) => boolean): void => {
    for (let s = 0; s < p.skipped.length; s++) {
      if (!acked(p.skipped[s])) continue;
      skipped++;
      if (reasons.length < 5) reasons.push(p.reasons[s]);
    }
  };
  let stopped: WorkerResult["stopped"] = "drained";
  let checked = false;
  for (;;) {
    if (cfg.stopRequested?.() === true) {
      stopped = "interrupted";
      break;
    }
    if (model === null) {
      model = (await shared.load()).model;
      if (model === null) {
        const init = await initialize(redis, scripts, shared, reader, keys.initLock, cfg);
        if (init === "waiting") {
          const s = await reader.status();
          if (cfg.untilDrained && s.pending === 0 && !s.undelivered && (await redis.exists(keys.initLock)) === 0 && (await shared.load()).model === null) {
            throw new InputError(`${cfg.address.label}: the stream has no entries to fit (group '${cfg.group}')`);
          }
          await sleep(WAIT_MS);
          continue;
        }
        if (init.committed) {
          initialized = true;
          rows += init.rows;
          noteSkipped(init.parsed, () => true);
        }
        model = (await shared.load()).model;
        progress();
        continue;
      }
    }
    if (!checked) {
      cfg.onModel?.(model);
      checked = true;
    }
    const entries = await reader.next(cfg.batchSize);
    if (entries.length === 0) {
      progress();
      if (!cfg.untilDrained) continue;
      const s = await reader.status();
      if (s.pending === 0 && !s.undelivered) break;
      continue;
    }
    const cols = columnsOf(model);
    const parsed = parseEntries(entries, cols, cfg.address.label, cfg.skipInvalid);
    const d = cols.features.length;
    const q = cols.targets.length;
    let learned = 0;
    const acked = await shared.commit(parsed.ids, (m, pending) => {
      const all = parsed.skipped.length === 0 && parsed.ids.every((_, i) => pending(i));
      const part = all ? { X: parsed.X, Y: parsed.Y, m: parsed.m, skipped: 0 } : keepRows(parsed, pending, d, q);
      learnRows(m, part.X, part.Y, part.m);
      addSkipped(m, all ? 0 : part.skipped);
      learned = part.m;
    });
    const ackSet = new Set(acked);
    noteSkipped(parsed, (i) => ackSet.has(i));
    if (acked.length > 0) rows += learned;
    model = shared.current ?? (await shared.load()).model;
    progress();
  }
  const final = (await shared.load()).model;
  if (final === null) throw new InputError(`${cfg.address.label}: stopped before the model was initialized; nothing was committed`);
  return {
    model: final, rows, modelRows: final.nSeen, commits: shared.stats.commits, conflicts: shared.stats.conflicts,
    reloads: shared.stats.reloads, waits: shared.stats.waits, initialized, skipped, reasons, claimed: reader.claimed, stopped,
  };
}
